import CMicroHTTPD
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The memory behind one `/metrics` response: the text the source renders into, a stable copy (or the gzip
/// output) that libmicrohttpd sends from, and a gzip stream. Buffers are pooled, so once warm a scrape allocates
/// nothing of its own except libmicrohttpd's response object.
///
/// `@unchecked Sendable`: a buffer is owned by exactly one party at a time. It is taken from the pool by the
/// request that renders into it, handed to libmicrohttpd with the response, and returned to the pool by
/// libmicrohttpd's free callback after the response is gone; the pool's mutex orders the hand-overs, so no two
/// threads ever touch its fields at once.
final class ResponseBuffer: @unchecked Sendable {
    /// What the source renders into; keeps its capacity between scrapes.
    var text: [UInt8] = []
    /// Stable memory libmicrohttpd sends from.
    private(set) var body: UnsafeMutableRawPointer?
    private(set) var bodyCapacity = 0
    /// The number of valid bytes in ``body``.
    var bodyCount = 0
    private var stream: UnsafeMutablePointer<z_stream>?
    private var streamLevel: Int32 = 0
    weak var pool: ResponseBufferPool?

    deinit {
        if let stream = self.stream {
            deflateEnd(stream)
            stream.deallocate()
        }
        free(self.body)
    }

    /// Makes ``body`` hold at least `count` bytes; false if memory is exhausted.
    private func reserveBody(_ count: Int) -> Bool {
        if count <= self.bodyCapacity, self.body != nil { return true }
        let capacity = max(count, 4_096, self.bodyCapacity * 3 / 2)
        guard let memory = realloc(self.body, capacity) else { return false }
        self.body = memory
        self.bodyCapacity = capacity
        return true
    }

    /// Copies ``text`` into ``body`` unchanged.
    func copyTextToBody() -> Bool {
        guard self.reserveBody(self.text.count) else { return false }
        self.text.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress, let body = self.body { memcpy(body, base, bytes.count) }
        }
        self.bodyCount = self.text.count
        return true
    }

    /// Compresses ``text`` into ``body`` as one gzip member; false if zlib fails.
    func gzipTextToBody(level: Int32) -> Bool {
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
                return false
            }
            self.stream = stream
            self.streamLevel = level
        } else if let stream = self.stream {
            guard deflateReset(stream) == Z_OK else { return false }
        }
        guard let stream = self.stream else { return false }
        let bound = Int(deflateBound(stream, uLong(self.text.count))) + 32
        guard self.reserveBody(bound), let body = self.body else { return false }
        let result = self.text.withUnsafeMutableBytes { input -> Int32 in
            stream.pointee.next_in = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_in = uInt(input.count)
            stream.pointee.next_out = body.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(self.bodyCapacity)
            return deflate(stream, Z_FINISH)
        }
        stream.pointee.next_in = nil
        guard result == Z_STREAM_END else { return false }
        self.bodyCount = Int(stream.pointee.total_out)
        return true
    }
}

/// A bounded pool of ``ResponseBuffer``s.
final class ResponseBufferPool: Sendable {
    private let buffers: Mutex<[ResponseBuffer]>
    private let capacity: Int
    /// A buffer that grew beyond this is not kept, so one huge scrape does not pin its memory forever.
    static let largestPooledBody = 64 << 20

    init(capacity: Int) {
        self.capacity = capacity
        self.buffers = Mutex([])
    }

    func take() -> ResponseBuffer {
        if let buffer = self.buffers.withLock({ $0.popLast() }) { return buffer }
        let buffer = ResponseBuffer()
        buffer.pool = self
        return buffer
    }

    func giveBack(_ buffer: ResponseBuffer) {
        buffer.text.removeAll(keepingCapacity: true)
        buffer.bodyCount = 0
        guard buffer.bodyCapacity <= Self.largestPooledBody else { return }
        self.buffers.withLock { buffers in
            if buffers.count < self.capacity { buffers.append(buffer) }
        }
    }
}
