#if AsyncHTTPClientSupport
    /// Reads an HTTP `Retry-After` field value (RFC 9110 §10.2.3): delay-seconds (`120`) or an HTTP-date in any of its
    /// three forms (`Sun, 06 Nov 1994 08:49:37 GMT`, `Sunday, 06-Nov-94 08:49:37 GMT`, `Sun Nov  6 08:49:37 1994`).
    ///
    /// The value comes from a network peer, so nothing here can trap: digits are accumulated with saturation, a date's
    /// fields are range-checked before any arithmetic, and anything else (a sign, an exponent, a fraction, a year of
    /// five digits, trailing text) is no value at all.
    enum RetryAfter {
        /// The longest delay this reads, in seconds (about 31,700 years); a longer delta-seconds saturates here. The
        /// caller caps it much lower.
        static let largestSeconds: Int64 = 1_000_000_000_000

        /// How long `value` asks the client to wait, from `nowSeconds` (Unix time), in whole seconds: `nil` when the
        /// value is malformed, zero, or a date that is not in the future.
        static func seconds(in value: String, nowSeconds: Double) -> Int64? {
            var bytes = Array(value.utf8)[...]
            while let first = bytes.first, first == space || first == tab { bytes.removeFirst() }
            while let last = bytes.last, last == space || last == tab { bytes.removeLast() }
            guard let first = bytes.first else { return nil }
            if isDigit(first) {
                guard let delay = deltaSeconds(bytes), delay > 0 else { return nil }
                return delay
            }
            guard nowSeconds.isFinite, abs(nowSeconds) < 1e15,
                let date = HTTPDate.unixSeconds(bytes, nowSeconds: nowSeconds)
            else { return nil }
            let delay = date - Int64(nowSeconds.rounded(.down))  // both within ±1e15: no overflow
            return delay > 0 ? min(delay, largestSeconds) : nil
        }

        /// `1*DIGIT`, saturating at ``largestSeconds``; `nil` when any byte is not a digit.
        static func deltaSeconds(_ bytes: ArraySlice<UInt8>) -> Int64? {
            var total: Int64 = 0
            for byte in bytes {
                guard isDigit(byte) else { return nil }
                if total < largestSeconds {
                    total = min(total * 10 + Int64(byte &- zero), largestSeconds)  // total < 1e12: no overflow
                }
            }
            return total
        }

        static let space = UInt8(ascii: " ")
        static let tab = UInt8(ascii: "\t")
        static let zero = UInt8(ascii: "0")

        static func isDigit(_ byte: UInt8) -> Bool { byte >= zero && byte <= UInt8(ascii: "9") }
    }
#endif
