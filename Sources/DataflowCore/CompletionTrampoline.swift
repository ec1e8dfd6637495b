#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs completion work iteratively instead of recursively.
///
/// A task that finishes synchronously (a memo or checkpoint hit, a failed dependency) completes its future,
/// whose callbacks launch its dependents, which may finish synchronously too: `complete → whenSettled →
/// launch → finish → complete …`. Run directly, a chain of a million such tasks nests a million frames and
/// overflows the stack. ``run(_:)`` queues work that arrives while this thread is already inside it and
/// runs it when the outer call unwinds, so completion needs the same stack depth however long the chain.
///
/// The queue is per thread (a pthread key): work from other threads never waits on this one.
enum CompletionTrampoline {
    /// One thread's pending work; `active` while some frame of this thread is draining it.
    private final class Queue {
        var active = false
        var work: [() -> Void] = []
        var head = 0
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let rc = pthread_key_create(&key) { pointer in
            guard let pointer else { return }
            Unmanaged<AnyObject>.fromOpaque(pointer).release()
        }
        precondition(rc == 0, "pthread_key_create failed: \(rc)")
        return key
    }()

    private static var current: Queue {
        if let pointer = pthread_getspecific(key) {
            return Unmanaged<Queue>.fromOpaque(pointer).takeUnretainedValue()
        }
        let queue = Queue()
        pthread_setspecific(key, Unmanaged.passRetained(queue).toOpaque())
        return queue
    }

    /// Runs `work` now, or, when called from inside another `run` on this thread, after it returns.
    static func run(_ work: @escaping () -> Void) {
        let queue = current
        guard !queue.active else {
            queue.work.append(work)
            return
        }
        queue.active = true
        work()
        while queue.head < queue.work.count {
            let next = queue.work[queue.head]
            queue.head += 1
            next()
        }
        queue.work.removeAll(keepingCapacity: queue.work.capacity <= 1024)
        queue.head = 0
        queue.active = false
    }
}
