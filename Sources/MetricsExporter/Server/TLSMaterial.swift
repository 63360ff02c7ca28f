#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The TLS settings as NUL-terminated C strings for libmicrohttpd's `MHD_OPTION_HTTPS_MEM_*` options, which take
/// pointers. The memory lives as long as the server context (after the daemon stopped); the key is wiped before it
/// is freed.
final class TLSMaterial: Sendable {
    // Sendable: the pointers are written once in init and only read (by libmicrohttpd) afterwards.
    nonisolated(unsafe) let certificate: UnsafeMutablePointer<CChar>
    nonisolated(unsafe) let key: UnsafeMutablePointer<CChar>
    nonisolated(unsafe) let priorities: UnsafeMutablePointer<CChar>

    init(_ tls: MetricsServerConfiguration.TLS) {
        self.certificate = Self.copy(tls.certificatePEM)
        self.key = Self.copy(tls.privateKeyPEM)
        self.priorities = Self.copy(tls.gnutlsPriorities)
    }

    deinit {
        explicit_bzero(self.key, strlen(self.key))
        self.certificate.deallocate()
        self.key.deallocate()
        self.priorities.deallocate()
    }

    private static func copy(_ text: String) -> UnsafeMutablePointer<CChar> {
        let bytes = Array(text.utf8CString)
        let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
        pointer.initialize(from: bytes, count: bytes.count)
        return pointer
    }
}
