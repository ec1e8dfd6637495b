/// An app output that says which items of its task failed, for apps that go on with the rest of their work
/// when one item is bad (a batch of tiles, a folder of inputs).
///
/// The task still succeeds and its dependents run; the kernel records each ``PartialFailure`` with the task
/// in the monitoring database (table `partial_failure`), so `status` shows them while the run goes on and
/// after it ended, from any host that can read the database or its snapshot.
///
/// ```swift
/// struct BatchResult: Codable, Sendable, ReportsPartialFailures {
///     var written: [String]
///     var skipped: [String: String]  // file -> why
///     var partialFailures: [PartialFailure] { skipped.sorted { $0.key < $1.key }.map { PartialFailure(item: $0.key, message: $0.value) } }
/// }
/// ```
public protocol ReportsPartialFailures {
    /// The items that failed, in a stable order.
    var partialFailures: [PartialFailure] { get }
}
