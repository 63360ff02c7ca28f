#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The listening socket as libmicrohttpd gets it: a duplicate of ours, so that the two never close the same
/// descriptor number.
///
/// libmicrohttpd 0.9.75 closes the socket given in `MHD_OPTION_LISTEN_SOCKET` on most, not all, of the paths where
/// `MHD_start_daemon` fails: a TLS key it cannot load closes it, an epoll it cannot set up does not. Closing the
/// number again after a failure closed whatever another thread had opened under that number in between; seen as
/// libmicrohttpd aborting ("Close socket failed") in another server of the same process, after a test started a
/// server with a bad key. With a duplicate, the original is ours alone, and the duplicate is closed after a
/// failure only if it still refers to our socket.
struct DaemonSocket {
    /// Our socket, which we shut down and close.
    let original: Int32
    /// The duplicate libmicrohttpd owns while it runs; after `MHD_quiesce_daemon` it is ours to close.
    let handedOver: Int32

    /// Duplicates `original` (close-on-exec) for libmicrohttpd; `nil` if the process is out of descriptors.
    init?(duplicating original: Int32) {
        let handedOver = fcntl(original, F_DUPFD_CLOEXEC, 0)
        guard handedOver >= 0 else { return nil }
        self.original = original
        self.handedOver = handedOver
    }

    /// After a start that failed, in `MHD_start_daemon` or before it: closes the duplicate if it is still open (it
    /// still names the same socket as the original, which keeps that socket, and so its identity, alive), never a
    /// file another thread opened under the same number; then closes the original, so the port is free again.
    func releaseAfterFailedStart() {
        if Self.sameFile(handedOver, original) { close(handedOver) }
        close(original)
    }

    /// After the daemon stopped: the duplicate too if libmicrohttpd gave it back (`quiesced`), then the original.
    func releaseAfterStop(quiesced: Bool) {
        if quiesced { close(handedOver) }
        close(original)
    }

    /// Whether descriptors `a` and `b` are both open on the same file (device and inode).
    static func sameFile(_ a: Int32, _ b: Int32) -> Bool {
        var first = stat()
        var second = stat()
        guard fstat(a, &first) == 0, fstat(b, &second) == 0 else { return false }
        return first.st_dev == second.st_dev && first.st_ino == second.st_ino
    }
}
