/// Decides which of two rows (or footprints) is preferred under PDG keep rules (spec §6.1).
///
/// Rules compare lexicographically: `"larger"` prefers the larger value, `"smaller"` the smaller; a null value
/// loses against any value (pandas sorts NaN last either way). PDG breaks remaining ties in an unstable,
/// implementation-defined way; here ties always go to the smaller `staging_filename`, then to the earlier row of
/// that file, so the result never depends on processing order.
struct KeepRuleOrdering {
    let rules: [WorkflowConfiguration.KeepRule]

    /// True when `a` is preferred over `b`.
    func prefers(
        _ a: (values: [FieldValue], filename: String, sequence: UInt64),
        over b: (values: [FieldValue], filename: String, sequence: UInt64)
    ) -> Bool {
        for (index, rule) in rules.enumerated() {
            let left = a.values[index]
            let right = b.values[index]
            switch (left.isNull, right.isNull) {
            case (true, true): continue
            case (true, false): return false
            case (false, true): return true
            default: break
            }
            guard let comparison = left.compare(to: right), comparison != 0 else { continue }
            return rule.keepsLarger ? comparison > 0 : comparison < 0
        }
        if a.filename != b.filename {
            return a.filename.unicodeScalars.lexicographicallyPrecedes(b.filename.unicodeScalars)
        }
        return a.sequence <= b.sequence
    }
}
