import Foundation
import Testing

@testable import MetricsExporter

#if canImport(Glibc)
    import Glibc
#endif

/// The listening socket libmicrohttpd gets is a duplicate of ours (see `DaemonSocket`): after a failed start the
/// port is free again, and a descriptor number libmicrohttpd closed and another thread reused is left alone.
@Suite("The daemon's listening socket")
struct DaemonSocketTests {
    /// A loopback listening socket on an ephemeral port, and the port.
    private func listening() throws -> (descriptor: Int32, port: UInt16) {
        try ListeningSocket.open(.ipv4("127.0.0.1", port: 0), backlog: 8)
    }

    /// Whether a new socket can listen on `port`: not while any descriptor of the old one is open.
    private func portIsFree(_ port: UInt16) -> Bool {
        guard let (descriptor, _) = try? ListeningSocket.open(.ipv4("127.0.0.1", port: port), backlog: 8)
        else { return false }
        close(descriptor)
        return true
    }

    @Test("libmicrohttpd left the duplicate open: both are closed and the port is free")
    func duplicateLeftOpen() throws {
        let (descriptor, port) = try listening()
        let socket = try #require(DaemonSocket(duplicating: descriptor))
        #expect(socket.handedOver != descriptor)
        #expect(DaemonSocket.sameFile(socket.handedOver, descriptor))
        #expect(!portIsFree(port))
        socket.releaseAfterFailedStart()
        #expect(portIsFree(port))
    }

    @Test("The duplicate's number now names another file: that file stays open, ours is closed")
    func duplicateNumberReused() throws {
        let (descriptor, port) = try listening()
        let socket = try #require(DaemonSocket(duplicating: descriptor))
        // What a failed start followed by another thread's open looks like: libmicrohttpd closed its descriptor and
        // the number now names someone else's file. dup2 does both at once, so no other test can take the number.
        let other = open("/dev/null", O_RDONLY | O_CLOEXEC)
        #expect(other >= 0)
        defer { close(other) }
        #expect(dup2(other, socket.handedOver) == socket.handedOver)
        socket.releaseAfterFailedStart()
        #expect(fcntl(socket.handedOver, F_GETFD) != -1, "the other file under the reused number is still open")
        #expect(DaemonSocket.sameFile(socket.handedOver, other))
        close(socket.handedOver)
        #expect(portIsFree(port))
    }

    @Test("A key that does not parse is a typed error at start, and the port is free again")
    func badKey() throws {
        // A port known to be free a moment ago; if another process took it meanwhile, the start fails earlier
        // with addressInUse and the test says so.
        let (probe, port) = try listening()
        close(probe)
        var configuration = testConfiguration()
        configuration.bindAddress = .ipv4("127.0.0.1", port: port)
        configuration.tls = .init(
            certificatePEM: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            privateKeyPEM: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
        )
        let server = MetricsServer(configuration: configuration, logger: quietLogger, source: sampleExposition)
        let error = #expect(throws: MetricsServerError.self) { try server.start() }
        #expect(error?.code == .tlsSetupFailed)
        #expect(!server.isRunning)
        #expect(portIsFree(port))
    }
}
