extension Array {
    /// Whether the elements are in order under `areInIncreasingOrder` (adjacent pairs).
    func isSorted(by areInIncreasingOrder: (Element, Element) -> Bool) -> Bool {
        guard count > 1 else { return true }
        for index in 1..<count where areInIncreasingOrder(self[index], self[index - 1]) {
            return false
        }
        return true
    }
}
