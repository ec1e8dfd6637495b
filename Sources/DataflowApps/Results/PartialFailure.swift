/// One item of a task's work that failed while the task as a whole succeeded: a tile a batch could not write,
/// a record a parser skipped.
///
/// An app returns these in an output that conforms to ``ReportsPartialFailures``; the kernel records them in
/// the monitoring database, and `status` lists them next to the failed tasks.
public struct PartialFailure: Codable, Sendable, Hashable {
    /// What failed, as the user would look for it: a file, a tile, a record number.
    public var item: String
    /// Why, naming the file or key involved.
    public var message: String

    /// Creates a partial failure of `item`.
    public init(item: String, message: String) {
        self.item = item
        self.message = message
    }
}
