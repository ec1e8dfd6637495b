import NIOCore

/// Runs Swift tasks on a NIO event loop: a task created with this executor as its preference (and the
/// nonisolated async code it calls) runs on the loop's thread.
///
/// The worker's runners use it so that a short body runs where its task arrived and its result is written
/// from the same thread, with no wake-up of another thread on the way. A job enqueued from the loop's own
/// thread costs no wake-up either (NIO only wakes a loop from other threads).
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { [self] in job.runSynchronously(on: asUnownedTaskExecutor()) }
    }
}
