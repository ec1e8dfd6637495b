/// An app output that lists the files its task wrote, when they are known only once it has run (a batch
/// whose failed items write nothing, a tile set that depends on the data).
///
/// The kernel records each produced file's fingerprint with the checkpointed result, and reuses the result
/// only while every one of them still exists with that fingerprint; otherwise the task runs again. Unlike
/// ``DeclaresFiles/outputFiles``, a file that is not listed is not required.
public protocol ProducesFiles {
    /// The files the task wrote.
    var producedFiles: [DataFile] { get }
}
