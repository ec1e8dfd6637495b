/// Errors met while writing one batch: how many events were lost and the first error.
struct WriteErrors {
    var dropped: UInt64 = 0
    var first: MonitoringError?

    mutating func record(_ error: MonitoringError, dropped: Int) {
        self.dropped &+= UInt64(dropped)
        if self.first == nil { self.first = error }
    }
}
