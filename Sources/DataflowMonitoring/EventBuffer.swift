import Foundation
import Synchronization

/// The hand-off between recording threads and the writer thread.
///
/// Producers append under `state` (a `Mutex`, held for an append). The writer swaps the whole array
/// out under the same lock, so it never holds the lock while talking to SQLite. Two condition variables
/// carry the wake-ups that a `Mutex` cannot: `wake` (producers → writer: "batch full" or "flush now") and
/// `progress` (writer → producers: "buffer swapped" or "batch committed"). To avoid lost wake-ups, a
/// waiter re-reads `state` while holding the condition's lock, and a signaller changes `state` first
/// and then signals while holding the same condition's lock. Nobody takes a condition lock while holding
/// the mutex, so the lock order is always condition → mutex.
final class EventBuffer: Sendable {
    struct State: ~Copyable {
        /// Events recorded but not yet taken by the writer.
        var events: [MonitoringEvent] = []
        /// Events ever appended.
        var enqueued: UInt64 = 0
        /// Events the writer has finished with (committed, or dropped after an error).
        var processed: UInt64 = 0
        /// Incremented every time the writer takes the buffer; backpressured producers wait for a change.
        var swaps: UInt64 = 0
        var flushRequested = false
        /// Set by `close()`: recording is ignored from then on and the writer drains and exits.
        var closed = false
        var writerFinished = false
        var droppedEvents: UInt64 = 0
        var lastError: MonitoringError?
    }

    let state = Mutex(State())
    let wake = NSCondition()
    let progress = NSCondition()
    /// Producers block (backpressure) once this many events are waiting.
    let capacity: Int
    /// Buffer length at which a producer wakes the writer early.
    let wakeThreshold: Int

    init(capacity: Int, wakeThreshold: Int) {
        self.capacity = max(1, capacity)
        self.wakeThreshold = max(1, min(wakeThreshold, self.capacity))
    }

    private enum AppendOutcome {
        case appended, appendedWakeWriter, ignored
        case full(swaps: UInt64)
    }

    /// Appends an event; blocks only while the buffer is at capacity.
    @inline(__always)
    func append(_ event: MonitoringEvent) {
        while true {
            let outcome = self.state.withLock { state -> AppendOutcome in
                if state.closed { return .ignored }
                if state.events.count >= self.capacity { return .full(swaps: state.swaps) }
                state.events.append(event)
                state.enqueued &+= 1
                // Signal only on the crossing; a busy writer re-checks the length before it sleeps.
                return state.events.count == self.wakeThreshold ? .appendedWakeWriter : .appended
            }
            switch outcome {
            case .appended, .ignored:
                return
            case .appendedWakeWriter:
                self.signalWriter()
                return
            case .full(let swaps):
                self.waitForProgress { $0.swaps != swaps || $0.closed }
            }
        }
    }

    /// Wakes the writer thread if it is sleeping.
    func signalWriter() {
        self.wake.lock()
        self.wake.signal()
        self.wake.unlock()
    }

    /// Wakes every thread waiting for the writer (flush, backpressure, close).
    func broadcastProgress() {
        self.progress.lock()
        self.progress.broadcast()
        self.progress.unlock()
    }

    /// Blocks until `done` holds; `done` is evaluated under the mutex.
    func waitForProgress(until done: (borrowing State) -> Bool) {
        self.progress.lock()
        while !self.state.withLock({ done($0) }) {
            self.progress.wait()
        }
        self.progress.unlock()
    }
}
