import CircuitBreakerInternals
import CMicroHTTPD
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// What one format of one render is written into: the text the source renders into. Buffers are pooled, so once
/// warm a render allocates nothing for the text.
///
/// `@unchecked Sendable`: a buffer is owned by exactly one party at a time. The renderer takes it from the pool and
/// renders into it; then either gives it back at once (gzip only: the compressed bytes are copied out) or hands it
/// to the ``RenderedBody`` that sends from its text (plain), which gives it back when the last response using it is
/// gone. The pool's lock orders the hand-overs, and nothing writes to a buffer while a body owns it, so no two
/// threads ever touch its fields at once.
final class ResponseBuffer: @unchecked Sendable {
    /// What the source renders into; keeps its capacity between scrapes.
    var text: [UInt8] = []
    weak var pool: ResponseBufferPool?
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
    /// The render's permit (see ``RenderBudget``), returned when its last body is gone.
    private let permit: RenderPermit

    /// Sends the buffer's text as it is, without copying it: the body keeps the buffer until it is destroyed.
    ///
    /// The pointer outlives `withUnsafeBytes`, which is sound here because the array is natively stored (Swift arrays
    /// of `UInt8` always are), is uniquely referenced by the buffer, and is neither mutated nor released while this
    /// object lives; its storage therefore cannot move or be freed.
    init(keepingText buffer: ResponseBuffer, renderNumber: UInt64, permit: RenderPermit) {
        self.renderNumber = renderNumber
        self.permit = permit
        self.count = buffer.text.count
        self.bytes = self.count == 0 ? nil : buffer.text.withUnsafeBytes { UnsafeRawPointer($0.baseAddress) }
        self.isGzip = false
        self.textOwner = buffer
        self.allocated = nil
    }

    /// Takes ownership of `malloc`ed gzip bytes.
    init(gzip bytes: UnsafeMutableRawPointer, count: Int, renderNumber: UInt64, permit: RenderPermit) {
        self.renderNumber = renderNumber
        self.permit = permit
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
        guard buffer.text.capacity <= Self.largestPooledBuffer else { return }
        self.buffers.withLock { buffers in
            if buffers.count < self.capacity { buffers.append(buffer) }
        }
    }
}
