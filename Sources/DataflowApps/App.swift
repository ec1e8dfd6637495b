/// A typed handle to a registered app: what a workflow author calls through the kernel.
///
/// Make one with ``AppRegistry/Builder``; the handle carries the app's name (which is how workers find it)
/// and its options. `Input` and `Output` are the types of the closure it was registered with.
public struct App<Input: Codable & Sendable, Output: Codable & Sendable>: Sendable {
    /// The registry entry behind this handle.
    public let registered: RegisteredApp

    /// The app's unique name.
    public var name: String { registered.name }

    package init(registered: RegisteredApp) { self.registered = registered }
}

/// What kind of body an app has.
public enum AppKind: String, Sendable, Codable {
    /// A Swift closure (Parsl `python_app`).
    case function
    /// A closure that returns a command line, which is then run in a shell (Parsl `bash_app`).
    case bash
    /// A closure that launches more apps and completes with their results; runs in the leader (Parsl `join_app`).
    case join
}

/// Per-app options, fixed at registration.
public struct AppOptions: Sendable, Hashable {
    /// Memoize the app: an identical call (same app name and same encoded input) that already succeeded, in
    /// this run or in a loaded checkpoint, is not run again. Default `false`.
    public var cacheable: Bool
    /// Labels of the executors this app may run on; `nil` means the kernel's default executor.
    public var executors: [String]?
    /// Walltime of one try; `nil` means unlimited. A try that runs longer is cancelled and fails with
    /// `walltimeExceeded` (bash apps have their process group killed).
    public var walltime: Duration?
    /// How the declared files of this app's tasks are fingerprinted (``DeclaresFiles``, ``ProducesFiles``);
    /// `nil` means the kernel's setting. Default `nil`.
    public var fileFingerprint: FileFingerprint.Mode?

    /// Creates options; the defaults are not cached, the kernel's default executor, no walltime and the
    /// kernel's file fingerprint mode.
    public init(cacheable: Bool = false, executors: [String]? = nil, walltime: Duration? = nil, fileFingerprint: FileFingerprint.Mode? = nil) {
        self.cacheable = cacheable
        self.executors = executors
        self.walltime = walltime
        self.fileFingerprint = fileFingerprint
    }
}
