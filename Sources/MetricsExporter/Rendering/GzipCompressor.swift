import CMicroHTTPD

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Compresses renders into gzip members with one reusable zlib stream and output area: one per server, used only
/// on the render thread. (One per pooled buffer, as before, kept an output area as large as the text in every
/// buffer: megabytes each at a thousand breakers.)
///
/// `@unchecked Sendable`: the server's render thread is its only user (``SharedRender`` runs one render at a
/// time), and the context that owns it outlives that thread's use of it.
final class GzipCompressor: @unchecked Sendable {
    private var stream: UnsafeMutablePointer<z_stream>?
    private var level: Int32 = 0
    /// Where deflate writes; copied out to an exact-size body.
    private var scratch: UnsafeMutableRawPointer?
    private var scratchCapacity = 0

    deinit {
        if let stream = self.stream {
            deflateEnd(stream)
            stream.deallocate()
        }
        free(self.scratch)
    }

    /// Compresses `text` as one gzip member into freshly allocated memory of the exact size; `nil` if zlib fails
    /// or memory is exhausted. The caller owns the memory (`free`).
    func compress(_ text: inout [UInt8], level: Int32) -> (bytes: UnsafeMutableRawPointer, count: Int)? {
        guard let stream = self.stream(level: level) else { return nil }
        let bound = Int(deflateBound(stream, uLong(text.count))) + 32
        guard self.reserveScratch(bound), let scratch = self.scratch else { return nil }
        let result = text.withUnsafeMutableBytes { input -> Int32 in
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

    /// A stream at `level`, reset for a new member.
    private func stream(level: Int32) -> UnsafeMutablePointer<z_stream>? {
        if let stream = self.stream, self.level == level {
            return deflateReset(stream) == Z_OK ? stream : nil
        }
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
        self.level = level
        return stream
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
}
