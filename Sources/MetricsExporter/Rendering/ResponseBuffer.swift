import CircuitBreakerInternals
import CMicroHTTPD
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The working memory of one render: the text the source renders into, a gzip stream and its output area.
/// Buffers are pooled, so once warm a render allocates nothing for the text.
///
/// `@unchecked Sendable`: a buffer is owned by exactly one party at a time. The renderer takes it from the pool and
/// renders into it; then either gives it back at once (gzip: the compressed bytes are copied out) or hands it to the
/// ``RenderedBody`` that sends from its text (plain), which gives it back when the last response using it is gone.
/// The pool's mutex orders the hand-overs, and nothing writes to a buffer while a body owns it, so no two threads
/// ever touch its fields at once.
final class ResponseBuffer: @unchecked Sendable {
    /// What the source renders into; keeps its capacity between scrapes.
    var text: [UInt8] = []
    /// Where deflate writes; reused between scrapes, copied out to an exact-size body.
    private var scratch: UnsafeMutableRawPointer?
    private(set) var scratchCapacity = 0
    private var stream: UnsafeMutablePointer<z_stream>?
    private var streamLevel: Int32 = 0
    weak var pool: ResponseBufferPool?

    deinit {
        if let stream = self.stream {
            deflateEnd(stream)
            stream.deallocate()
        }
        free(self.scratch)
    }

    /// Makes ``scratch`` hold at least `count` bytes; false if memory is exhausted.
    private func reserveScratch(_ count: Int) -> Bool {
        if count <= self.scratchCapacity, self.scratch != nil { return true }
        let capacity = max(count, 4_096, self.scratchCapacity * 3 / 2)
        guard let memory = realloc(self.scratch, capacity) else { return false }
        self.scratch = memory
        self.scratchCapacity = capacity
        return true
    }

    /// Compresses ``text`` as one gzip member into freshly allocated memory of the exact size; `nil` if zlib fails
    /// or memory is exhausted. The caller owns the memory (`free`).
    func gzipText(level: Int32) -> (bytes: UnsafeMutableRawPointer, count: Int)? {
        if self.stream == nil || self.streamLevel != level {
            if let stream = self.stream {
                deflateEnd(stream)
                stream.deallocate()
                self.stream = nil
            }
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            guard cmhd_deflate_init_gzip(stream, level) == Z_OK else {
                stream.deallocate()
                return nil
            }
            self.stream = stream
            self.streamLevel = level
        } else if let stream = self.stream {
            guard deflateReset(stream) == Z_OK else { return nil }
        }
        guard let stream = self.stream else { return nil }
        let bound = Int(deflateBound(stream, uLong(self.text.count))) + 32
        guard self.reserveScratch(bound), let scratch = self.scratch else { return nil }
        let result = self.text.withUnsafeMutableBytes { input -> Int32 in
            stream.pointee.next_in = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_in = uInt(input.count)
            stream.pointee.next_out = scratch.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(self.scratchCapacity)
            return deflate(stream, Z_FINISH)
        }
        stream.pointee.next_in = nil
        guard result == Z_STREAM_END else { return nil }
        let count = Int(stream.pointee.total_out)
        guard let bytes = malloc(max(count, 1)) else { return nil }
        memcpy(bytes, scratch, count)
        return (bytes, count)
    }
}

/// One finished render of the exposition in its final encoding: immutable, and shared by every response that sends
/// it. libmicrohttpd reads ``bytes`` until the last of those responses is destroyed; each response holds a retained
/// reference, released by its free callback, so the memory lives exactly as long as it is needed.
///
/// `@unchecked Sendable`: every field is immutable after `init`, and the memory behind ``bytes`` is never written
/// after `init` either: for plain text it is the storage of the owned buffer's `text` array, which nothing mutates
/// while this object owns the buffer (it goes back to the pool, where it is cleared, only in `deinit`); for gzip it
/// is memory allocated for this object alone and freed in `deinit`.
final class RenderedBody: @unchecked Sendable {
    /// The render's number (see ``SharedRender``); a request may use this body only if its ticket is lower.
    let renderNumber: UInt64
    /// The bytes to send, or `nil` when ``count`` is 0.
    let bytes: UnsafeRawPointer?
    /// The number of bytes to send.
    let count: Int
    /// Whether ``bytes`` is gzip.
    let isGzip: Bool
    private let textOwner: ResponseBuffer?
    private let allocated: UnsafeMutableRawPointer?

    /// Sends the buffer's text as it is, without copying it: the body keeps the buffer until it is destroyed.
    ///
    /// The pointer outlives `withUnsafeBytes`, which is sound here because the array is natively stored (Swift arrays
    /// of `UInt8` always are), is uniquely referenced by the buffer, and is neither mutated nor released while this
    /// object lives; its storage therefore cannot move or be freed.
    init(keepingText buffer: ResponseBuffer, renderNumber: UInt64) {
        self.renderNumber = renderNumber
        self.count = buffer.text.count
        self.bytes = self.count == 0 ? nil : buffer.text.withUnsafeBytes { UnsafeRawPointer($0.baseAddress) }
        self.isGzip = false
        self.textOwner = buffer
        self.allocated = nil
    }

    /// Takes ownership of `malloc`ed gzip bytes.
    init(gzip bytes: UnsafeMutableRawPointer, count: Int, renderNumber: UInt64) {
        self.renderNumber = renderNumber
        self.bytes = UnsafeRawPointer(bytes)
        self.count = count
        self.isGzip = true
        self.textOwner = nil
        self.allocated = bytes
    }

    deinit {
        free(self.allocated)
        if let buffer = self.textOwner {
            buffer.pool?.giveBack(buffer)
        }
    }
}

/// A bounded pool of ``ResponseBuffer``s.
final class ResponseBufferPool: Sendable {
    private let buffers: Locked<[ResponseBuffer]>
    private let capacity: Int
    /// The size of the latest render, reserved up front in new buffers so their first render does not regrow.
    private let sizeHint = Atomic<Int>(0)
    /// A buffer that grew beyond this is not kept, so one huge scrape does not pin its memory forever.
    static let largestPooledBuffer = 64 << 20

    init(capacity: Int) {
        self.capacity = capacity
        self.buffers = Locked([])
    }

    func take() -> ResponseBuffer {
        if let buffer = self.buffers.withLock({ $0.popLast() }) { return buffer }
        let buffer = ResponseBuffer()
        buffer.pool = self
        let hint = self.sizeHint.load(ordering: .relaxed)
        if hint > 0 { buffer.text.reserveCapacity(min(hint + hint / 8, Self.largestPooledBuffer)) }
        return buffer
    }

    func giveBack(_ buffer: ResponseBuffer) {
        if buffer.text.count > 0 { self.sizeHint.store(buffer.text.count, ordering: .relaxed) }
        buffer.text.removeAll(keepingCapacity: true)
        guard buffer.text.capacity <= Self.largestPooledBuffer, buffer.scratchCapacity <= Self.largestPooledBuffer
        else { return }
        self.buffers.withLock { buffers in
            if buffers.count < self.capacity { buffers.append(buffer) }
        }
    }
}
