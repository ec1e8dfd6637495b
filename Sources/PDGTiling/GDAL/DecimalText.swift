import Foundation

/// Plain decimal text (`-2137775.305363684426993`, as dBase number fields hold it) to the nearest double: the value
/// `strtod` gives, found with integer arithmetic.
///
/// Why: the `%24.15f` reals of the IWP attribute tables have 17 to 22 significant digits, which send glibc's
/// `strtod` down its multi-precision path (about 5 % of staging). Here the digits are read into a 128-bit integer
/// `w` and the value `w / 10^k` is rounded once, to nearest with ties to even, from an exact integer quotient and
/// remainder, so the result is the correctly rounded one that `strtod` also returns; `DecimalTextTests` compares
/// the two on millions of strings, ties included. Anything else (exponents, signs other than a leading `-`, more
/// than 38 digits or 21 decimals, results that would be subnormal) returns nil and the caller uses `strtod`.
enum DecimalText {
    /// 10^0 … 10^22, exact in double precision.
    private static let doublePowers: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
        1e20, 1e21, 1e22,
    ]
    /// 10^0 … 10^21.
    private static let integerPowers: [UInt128] = {
        var powers: [UInt128] = [1]
        for _ in 1...21 { powers.append(powers[powers.count - 1] * 10) }
        return powers
    }()

    /// The double nearest to `text`, or nil when the text is not of the plain form handled here.
    static func double(_ text: UnsafeRawBufferPointer) -> Double? {
        let count = text.count
        var index = 0
        var negative = false
        if index < count, text[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        var mantissa: UInt128 = 0
        var significantDigits = 0
        var fractionDigits = 0
        var sawDigit = false
        var sawPoint = false
        while index < count {
            let byte = text[index]
            if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                sawDigit = true
                if mantissa != 0 || byte != UInt8(ascii: "0") {
                    significantDigits += 1
                    if significantDigits > 38 { return nil }
                }
                mantissa = mantissa &* 10 &+ UInt128(byte - UInt8(ascii: "0"))
                if sawPoint { fractionDigits += 1 }
            } else if byte == UInt8(ascii: "."), !sawPoint {
                sawPoint = true
            } else {
                return nil
            }
            index += 1
        }
        guard sawDigit else { return nil }
        if mantissa == 0 { return negative ? -0.0 : 0.0 }
        // Trailing zeros of the fraction change nothing; dropping them lets more values take the short path.
        while fractionDigits > 0, mantissa % 10 == 0 {
            mantissa /= 10
            fractionDigits -= 1
        }
        let magnitude: Double
        if mantissa < (1 << 53), fractionDigits <= 22 {
            // Both operands exact: one IEEE division rounds the quotient correctly (Clinger's fast path).
            magnitude = Double(UInt64(mantissa)) / doublePowers[fractionDigits]
        } else {
            guard fractionDigits <= 21, let rounded = roundedQuotient(mantissa, integerPowers[fractionDigits]) else { return nil }
            magnitude = rounded
        }
        return negative ? -magnitude : magnitude
    }

    /// `dividend / divisor` rounded to the nearest double (ties to even), both below 2^128 and the divisor at most
    /// 10^21; nil for a subnormal result.
    private static func roundedQuotient(_ dividend: UInt128, _ divisor: UInt128) -> Double? {
        let dividendBits = 128 - dividend.leadingZeroBitCount
        let divisorBits = 128 - divisor.leadingZeroBitCount
        // Scale by 2^shift so that the integer quotient has 56 or 57 bits: 53 kept, the rest and the remainder
        // decide the rounding. With a divisor of at most 72 bits the scaled dividend fits in 128 bits.
        let shift = 56 + divisorBits - dividendBits
        let quotient: UInt128
        let remainder: UInt128
        if shift >= 0 {
            (quotient, remainder) = (dividend << shift).quotientAndRemainder(dividingBy: divisor)
        } else {
            (quotient, remainder) = dividend.quotientAndRemainder(dividingBy: divisor << -shift)
        }
        let quotientBits = 128 - quotient.leadingZeroBitCount
        let dropped = quotientBits - 53
        var significand = UInt64(truncatingIfNeeded: quotient >> dropped)
        let rest = quotient & ((UInt128(1) << dropped) - 1)
        let half = UInt128(1) << (dropped - 1)
        if rest > half || (rest == half && (remainder != 0 || significand & 1 == 1)) {
            significand += 1
        }
        // value = significand · 2^(dropped − shift)
        var exponent = dropped - shift
        if significand == 1 << 53 {
            significand >>= 1
            exponent += 1
        }
        guard exponent + 52 >= -1022, exponent + 52 <= 1023 else { return nil }
        return Double(sign: .plus, exponent: exponent, significand: Double(significand))
    }
}
