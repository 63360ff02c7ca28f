/// Sample values written as text straight into a byte buffer, without a `String` on the common paths.
///
/// Every function writes at most ``maximumLength`` bytes at `destination`, which must have room for that many, and
/// returns how many it wrote.
package enum NumberFormatting {
    /// The most bytes any value takes: 20 digits for a `UInt64`, 24 for the longest `Double` description
    /// (`-2.2250738585072014e-308`), 29 for seconds with 9 decimals.
    package static let maximumLength = 32

    /// Writes the decimal digits of `value`.
    @inlinable
    package static func write(_ value: UInt64, to destination: UnsafeMutablePointer<UInt8>) -> Int {
        if value < 10 {
            destination.pointee = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value)
            return 1
        }
        var length = 1
        var probe = value
        while probe >= 10 {
            probe /= 10
            length &+= 1
        }
        var remaining = value
        var index = length
        while index > 0 {
            index &-= 1
            destination[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: remaining % 10)
            remaining /= 10
        }
        return length
    }

    /// Powers of ten exactly representable as `Double` (up to 10²²).
    private static let powersOfTen: [Double] = (0...22).map { exponent in
        (0..<exponent).reduce(1.0) { product, _ in product * 10 }
    }

    /// 2⁵³: every integer below it is exact as a `Double`.
    private static let exactIntegerLimit = 9_007_199_254_740_992.0

    /// The most decimals the fast path tries before falling back to `description`.
    private static let maximumFastDecimals = 17

    /// Writes `value` so that parsing the text gives `value` back exactly: `NaN`, `+Inf` and `-Inf` as the text
    /// format spells them; a whole number as an integer; a number from 2⁻⁷ to 2⁵³ (ratios, timestamps) with its
    /// shortest decimals; a smaller one with few decimals as `0.digits`; anything else through `description`.
    ///
    /// For numbers below 2⁻⁷, the path writes `m / 10ᵏ` for the smallest `k` such that the `Double` division `m / 10ᵏ` gives
    /// `value` back: with `m < 2⁵³` and `k ≤ 22` both operands are exact, so the division is the correctly
    /// rounded value of the decimal `m × 10⁻ᵏ`, which is what a correct parser returns for the text.
    package static func write(_ value: Double, to destination: UnsafeMutablePointer<UInt8>) -> Int {
        if value.isNaN { return copy("NaN", to: destination) }
        if value.isInfinite { return copy(value < 0 ? "-Inf" : "+Inf", to: destination) }
        let magnitude = value.magnitude
        var length = 0
        if value < 0 {
            destination.pointee = UInt8(ascii: "-")
            length = 1
        }
        if magnitude < exactIntegerLimit {
            if magnitude == magnitude.rounded(.towardZero) {
                return length &+ write(UInt64(magnitude), to: destination + length)
            }
            if magnitude.exponent >= -7 {
                return length &+ writeShortestFraction(magnitude, to: destination + length)
            }
            let powers = powersOfTen
            var decimals = 1
            while decimals <= maximumFastDecimals {
                let power = powers[decimals]
                let scaled = (magnitude * power).rounded()
                guard scaled < exactIntegerLimit else { break }
                if scaled / power == magnitude {
                    return length &+ writeFixed(UInt64(scaled), decimals: decimals, to: destination + length)
                }
                decimals &+= 1
            }
        }
        return copy(value.description, to: destination)
    }

    /// Writes a positive, non-integral `magnitude` in [2⁻⁷, 2⁵³) (timestamps, most ratios) with the fewest decimals
    /// that parse back to it, and among those the closest, as `description` would, computed exactly in integers.
    ///
    /// With `f` the fraction of `magnitude` and `s` its number of fraction bits, `F = f × 2ˢ` is an integer and
    /// the gap to the neighbouring `Double`s is `2⁻ˢ` on both sides. `whole.d` (`k` decimals) parses back to
    /// `magnitude` when `|d / 10ᵏ − f| < 2⁻ˢ / 2`, that is `2 × |d × 2ˢ − F × 10ᵏ| < 10ᵏ`; `d` is `F × 10ᵏ / 2ˢ`
    /// rounded, ties to even. Seventeen significant digits always pass, so at most 19 decimals are tried (two leading zeros at
    /// most above 2⁻⁷), and every product stays below 2¹²⁷.
    private static func writeShortestFraction(_ magnitude: Double, to destination: UnsafeMutablePointer<UInt8>) -> Int {
        let whole = magnitude.rounded(.towardZero)
        let fractionBits = 52 &- Int(magnitude.exponent)
        // Exact: the fraction of a Double is a Double, and scaling by a power of two is exact.
        let scaledFraction = UInt128((magnitude - whole) * Double(sign: .plus, exponent: fractionBits, significand: 1))
        let wholeLength = write(UInt64(whole), to: destination)
        var power: UInt128 = 1
        var decimals = 1
        while decimals <= 19 && wholeLength &+ 1 &+ decimals <= maximumLength {
            power &*= 10
            let target = scaledFraction &* power
            // Rounded to nearest, ties to even (as `description` breaks them).
            let quotient = target &>> fractionBits
            let remainder = target &- (quotient &<< fractionBits)
            let half: UInt128 = 1 &<< (fractionBits &- 1)
            let roundsUp = remainder > half || (remainder == half && quotient & 1 == 1)
            let digits = roundsUp ? quotient &+ 1 : quotient
            let candidate = digits &<< fractionBits
            let difference = candidate > target ? candidate &- target : target &- candidate
            if difference &* 2 < power {
                destination[wholeLength] = UInt8(ascii: ".")
                var remaining = digits
                var index = decimals
                while index > 0 {
                    destination[wholeLength &+ index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: remaining % 10)
                    remaining /= 10
                    index &-= 1
                }
                return wholeLength &+ 1 &+ decimals
            }
            decimals &+= 1
        }
        // Unreachable by the argument above; the description is correct anyway.
        return copy(magnitude.description, to: destination)
    }

    /// Writes `Double(nanoseconds) / 1e9` exactly as ``write(_:to:)-(Double,_)`` writes that `Double`, in far fewer
    /// instructions for the common values: from 2⁻⁷ s to 2²² s (7.8 ms to 48 days), through
    /// ``writeSeconds(nanoseconds:to:)``. The time-in-state series are rewritten this way at every scrape.
    ///
    /// Why the two agree there: the decimal `n / 10⁹` with its trailing zeros removed (`m` decimals) parses back
    /// to `x = Double(n) / 1e9` (the division is correctly rounded, and `n < 2⁵³` is exact). Below 2²², `x`'s
    /// neighbouring `Double`s are at most 2⁻³¹ ≈ 4.7 × 10⁻¹⁰ away, so `x` is within 2.4 × 10⁻¹⁰ of `n / 10⁹`, and any
    /// other decimal of at most `m` decimals is at least 10⁻⁹ − 2.4 × 10⁻¹⁰ from `x`: more than half the gap to a
    /// neighbour, so it does not parse back to `x`, and among `m`-decimal values `n / 10⁹` is the closest. That is
    /// the shortest, closest decimal the `Double` path writes from 2⁻⁷ up (a whole number of seconds included).
    package static func write(secondsOfNanoseconds nanoseconds: Int64, to destination: UnsafeMutablePointer<UInt8>)
        -> Int
    {
        if nanoseconds >= 7_812_500 && nanoseconds < 4_194_304_000_000_000 {
            return writeSeconds(nanoseconds: UInt64(nanoseconds), to: destination)
        }
        return write(Double(nanoseconds) / 1e9, to: destination)
    }

    /// Writes `nanoseconds` as seconds, exactly: the integer part, then up to 9 decimals without trailing zeros.
    package static func writeSeconds(nanoseconds: UInt64, to destination: UnsafeMutablePointer<UInt8>) -> Int {
        let fraction = nanoseconds % 1_000_000_000
        let whole = write(nanoseconds / 1_000_000_000, to: destination)
        guard fraction != 0 else { return whole }
        var digits = fraction
        var decimals = 9
        while digits % 10 == 0 {
            digits /= 10
            decimals &-= 1
        }
        destination[whole] = UInt8(ascii: ".")
        var index = decimals
        while index > 0 {
            destination[whole &+ index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: digits % 10)
            digits /= 10
            index &-= 1
        }
        return whole &+ 1 &+ decimals
    }

    /// Writes `digits / 10^decimals` with exactly `decimals` decimals (`decimals` ≥ 1).
    private static func writeFixed(_ digits: UInt64, decimals: Int, to destination: UnsafeMutablePointer<UInt8>) -> Int
    {
        // The integer part, then the decimals padded with leading zeros.
        var divisor: UInt64 = 1
        for _ in 0..<decimals { divisor &*= 10 }
        let whole = write(digits / divisor, to: destination)
        destination[whole] = UInt8(ascii: ".")
        var remaining = digits % divisor
        var index = decimals
        while index > 0 {
            destination[whole &+ index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: remaining % 10)
            remaining /= 10
            index &-= 1
        }
        return whole &+ 1 &+ decimals
    }

    private static func copy(_ text: String, to destination: UnsafeMutablePointer<UInt8>) -> Int {
        var length = 0
        for byte in text.utf8 where length < maximumLength {
            destination[length] = byte
            length &+= 1
        }
        return length
    }
}

extension [UInt8] {
    /// Appends the decimal digits of a non-negative integer without going through `String`.
    package mutating func appendDecimal(_ value: Int64) {
        appendNumber { NumberFormatting.write(UInt64(Swift.max(value, 0)), to: $0) }
    }

    /// Appends `value` as ``NumberFormatting/write(_:to:)-(Double,_)`` writes it.
    package mutating func appendDouble(_ value: Double) {
        appendNumber { NumberFormatting.write(value, to: $0) }
    }

    /// Appends `nanoseconds` as seconds, exactly.
    package mutating func appendSeconds(nanoseconds: UInt64) {
        appendNumber { NumberFormatting.writeSeconds(nanoseconds: nanoseconds, to: $0) }
    }

    private mutating func appendNumber(_ write: (UnsafeMutablePointer<UInt8>) -> Int) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: NumberFormatting.maximumLength) { scratch in
            guard let base = scratch.baseAddress else { return }
            let length = write(base)
            append(contentsOf: UnsafeBufferPointer(start: base, count: length))
        }
    }
}
