import Foundation

/// Wall and per-thread CPU clocks for the timings of the events CSV and the benchmark.
enum ThreadClock {
    /// Unix time in seconds.
    static func now() -> Double { Date().timeIntervalSince1970 }

    /// CPU seconds of the calling thread.
    static func cpu() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}
