/// Writes exposition text into a region of memory reserved for it, with a bounds check on every write and no
/// other work: no capacity growth, no reference counting, no `String`.
///
/// The caller sizes the region from the pre-rendered prefixes plus ``NumberFormatting/maximumLength`` and a line
/// feed per sample, an upper bound; a write that would not fit (which that bound rules out) is dropped and
/// ``overflowed`` set, never written past the end.
package struct ExpositionWriter {
    @usableFromInline
    let base: UnsafeMutablePointer<UInt8>
    @usableFromInline
    let capacity: Int
    /// The bytes written so far.
    package var count = 0
    /// Whether a write was dropped for want of room.
    package var overflowed = false

    /// A writer over `capacity` bytes at `base`.
    package init(base: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    @inlinable @inline(__always)
    package mutating func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, bytes.count <= capacity &- count else {
            overflowed = overflowed || !bytes.isEmpty
            return
        }
        (base + count).update(from: source, count: bytes.count)
        count &+= bytes.count
    }

    @inlinable @inline(__always)
    package mutating func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { write($0) }
    }

    @inlinable @inline(__always)
    package mutating func writeLineFeed() {
        guard count < capacity else {
            overflowed = true
            return
        }
        base[count] = UInt8(ascii: "\n")
        count &+= 1
    }

    /// Writes a number through one of the ``NumberFormatting`` functions.
    @inlinable @inline(__always)
    package mutating func writeNumber(_ format: (UnsafeMutablePointer<UInt8>) -> Int) {
        guard NumberFormatting.maximumLength <= capacity &- count else {
            overflowed = true
            return
        }
        count &+= format(base + count)
    }
}

extension [UInt8] {
    /// Appends up to `bound` bytes through `render`, which gets a writer over `bound` reserved, uninitialized bytes;
    /// the array's count then grows by what the writer wrote, nothing more. Returns whether the writer overflowed.
    ///
    /// The room is reserved with `append(addingCapacity:initializingWith:)`, so that it is neither zeroed first nor
    /// trimmed after (appending `bound` zeros and removing the unwritten ones cost about a tenth of a scrape that
    /// mostly copies reused bytes, in callgrind).
    @discardableResult
    package mutating func appendRendered(bound: Int, _ render: (inout ExpositionWriter) -> Void) -> Bool {
        guard bound > 0 else { return false }
        var overflowed = false
        append(addingCapacity: bound) { span in
            span.withUnsafeMutableBufferPointer { room, initialized in
                guard let base = room.baseAddress else { return }
                var writer = ExpositionWriter(base: base, capacity: room.count)
                render(&writer)
                initialized = writer.count
                overflowed = writer.overflowed
            }
        }
        return overflowed
    }
}
