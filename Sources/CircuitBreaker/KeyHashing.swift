/// How a ``KeyTable`` hashes and compares keys: by their UTF-8 bytes, so that a lookup is a few multiplications
/// and a comparison of words.
///
/// Swift's own `String` hashing (SipHash-1-3 over the normalized string) measured 22 ns for a 24-byte host name on
/// this project's machine, most of the budget of a lookup; this hash takes a few nanoseconds. It is keyed with a
/// random seed per table, and its finalizer makes every bit of the index depend on every byte, so a caller choosing
/// keys cannot aim them at one index position without the seed. A group's cap bounds the damage anyway: a probe
/// never runs past the index, which is at most twice the cap.
///
/// Keys are compared byte for byte: two strings Swift calls equal (`"é"` precomposed and decomposed) are two keys,
/// as they are two label values to Prometheus.
@usableFromInline
enum KeyHashing {
    /// The hash of `bytes` with `seed`: two lanes of multiply-and-shift over 8-byte words (so that the two
    /// multiplications of a 16-byte block overlap), the tail folded into the second lane, and a finalizer.
    @usableFromInline @inline(__always)
    static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64) -> Int {
        let count = bytes.count
        var first = seed ^ (UInt64(truncatingIfNeeded: count) &* 0x9E37_79B9_7F4A_7C15)
        var second = seed &+ 0x632B_E59B_D9B4_E019
        guard let base = bytes.baseAddress else { return Int(truncatingIfNeeded: finish(first)) }
        var offset = 0
        while offset &+ 16 <= count {
            let one = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            let two = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset &+ 8, as: UInt64.self))
            first = (first ^ one) &* 0xBF58_476D_1CE4_E5B9
            second = (second ^ two) &* 0x94D0_49BB_1331_11EB
            first ^= first >> 31
            second ^= second >> 29
            offset &+= 16
        }
        if offset &+ 8 <= count {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            first = (first ^ word) &* 0xBF58_476D_1CE4_E5B9
            first ^= first >> 31
            offset &+= 8
        }
        if offset < count {
            var word: UInt64 = 0
            var shift: UInt64 = 0
            while offset < count {
                word |= UInt64(base.load(fromByteOffset: offset, as: UInt8.self)) << shift
                shift &+= 8
                offset &+= 1
            }
            second = (second ^ word) &* 0x94D0_49BB_1331_11EB
            second ^= second >> 29
        }
        return Int(truncatingIfNeeded: finish(first ^ (second << 32 | second >> 32)))
    }

    @inline(__always)
    private static func finish(_ state: UInt64) -> UInt64 {
        var state = state ^ (state >> 32)
        state &*= 0xD6E8_FEB8_6659_FD93
        return state ^ (state >> 32)
    }

    /// Whether `count` bytes at `first` and `second` are equal: compared a word at a time.
    @usableFromInline
    static func equal(_ first: UnsafeRawPointer, _ second: UnsafeRawPointer, count: Int) -> Bool {
        var offset = 0
        while offset &+ 8 <= count {
            if first.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                != second.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            {
                return false
            }
            offset &+= 8
        }
        while offset < count {
            if first.load(fromByteOffset: offset, as: UInt8.self) != second.load(fromByteOffset: offset, as: UInt8.self)
            {
                return false
            }
            offset &+= 1
        }
        return true
    }

    /// Calls `body` with the UTF-8 bytes of `key`, in place when the string is stored contiguously (a native Swift
    /// string always is), else from a copy.
    @usableFromInline
    static func withBytes<Result>(of key: String, _ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result
    {
        if let result = try key.utf8.withContiguousStorageIfAvailable({ try body(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return try Array(key.utf8).withUnsafeBytes { try body($0) }
    }
}
