import Foundation
import Logging
import MetricsExporter
import ServiceLifecycle
import Testing

@Suite("Lifecycle")
struct LifecycleTests {
    @Test("Port 0 binds an ephemeral port and reports it")
    func ephemeralPort() async throws {
        try await withServer { server, base in
            let address = try #require(server.boundAddress)
            #expect(address.port != 0)
            #expect(address.host == "127.0.0.1")
            #expect(server.isRunning)
            #expect(try await httpRequest(base + "/-/healthy").status == 200)
        }
    }

    @Test("A port in use is a typed error naming the address")
    func portInUse() async throws {
        try await withServer { server, _ in
            let taken = try port(of: server)
            let second = MetricsServer(
                configuration: testConfiguration(.loopback(port: taken)),
                logger: quietLogger,
                source: sampleExposition
            )
            let error = #expect(throws: MetricsServerError.self) { try second.start() }
            #expect(error?.code == .addressInUse)
            #expect(error?.message.contains("127.0.0.1:\(taken)") == true)
            #expect(!second.isRunning)
            // The first server is unaffected.
            #expect(try await httpRequest("http://127.0.0.1:\(taken)/-/healthy").status == 200)
        }
    }

    @Test("IPv6 loopback")
    func ipv6() async throws {
        try await withServer(testConfiguration(.ipv6("::1", port: 0))) { server, base in
            #expect(base.hasPrefix("http://[::1]:"))
            let response = try await httpRequest(base + "/metrics")
            #expect(response.status == 200)
            // That IPv4 is refused is checked on the socket (ListeningSocketTests): connecting to 127.0.0.1 on
            // this port number could reach another test's IPv4 server that bound the same number.
        }
    }

    @Test("Dual stack answers on IPv4 and IPv6")
    func dualStack() async throws {
        try await withServer(testConfiguration(.dualStack(port: 0))) { server, _ in
            let port = try port(of: server)
            #expect(try await httpRequest("http://127.0.0.1:\(port)/-/healthy").status == 200)
            #expect(try await httpRequest("http://[::1]:\(port)/-/healthy").status == 200)
        }
    }

    @Test("stop() is idempotent, closes the socket, and the server can start again")
    func stopAndRestart() async throws {
        let server = MetricsServer(configuration: testConfiguration(), logger: quietLogger, source: sampleExposition)
        await server.stop()  // not running: nothing happens
        try server.start()
        #expect(throws: MetricsServerError.self) { try server.start() }
        let port = try port(of: server)
        await server.stop()
        await server.stop()
        #expect(!server.isRunning)
        #expect(server.boundAddress == nil)
        #expect(throws: (any Error).self) { try RawClient(port: port) }
        try server.start()
        let base = "http://\(try #require(server.boundAddress))"
        #expect(try await httpRequest(base + "/metrics").status == 200)
        await server.stop()
    }

    @Test("stop() lets a response in flight finish")
    func gracefulStop() async throws {
        let proceed = Gate()
        let renders = Counter()
        let slow: ExpositionSource = { buffer in
            _ = renders.next()
            proceed.wait()
            buffer.append(contentsOf: "slow_metric 1\n".utf8)
        }
        var configuration = testConfiguration()
        // A bound on a hang only: stop() returns as soon as the response is out.
        configuration.shutdownGracePeriod = hangGuard
        let server = try startedServer(configuration, source: slow)
        let base = "http://\(try #require(server.boundAddress))"
        async let scrape = httpRequest(base + "/metrics")
        try #require(await eventually { renders.value == 1 }, "the scrape never reached the source")
        // The render is held; stop while it is in flight, and let it finish only once stopping has begun.
        let stopping = Task { await server.stop() }
        try #require(await eventually { !server.isRunning }, "stop() never began")
        proceed.open()
        let response = try await scrape
        #expect(response.status == 200)
        #expect(response.text.hasPrefix("slow_metric 1\n"))
        await stopping.value
    }

    @Test("Invalid configurations are typed errors, not crashes")
    func invalidConfigurations() {
        var cases: [MetricsServerConfiguration] = []
        func variant(_ change: (inout MetricsServerConfiguration) -> Void) {
            var configuration = testConfiguration()
            change(&configuration)
            cases.append(configuration)
        }
        variant { $0.bindAddress = .ipv4("localhost", port: 0) }
        variant { $0.bindAddress = .ipv6("127.0.0.1", port: 0) }
        variant { $0.workerThreads = 0 }
        variant { $0.limits.connectionLimit = 0 }
        variant { $0.limits.perIPConnectionLimit = 0 }
        variant { $0.limits.connectionTimeout = .zero }
        variant { $0.limits.requestTimeout = .milliseconds(1) }
        variant { $0.limits.connectionMemoryLimit = 100 }
        variant { $0.gzipLevel = 10 }
        variant { $0.metricsPath = "metrics" }
        variant { $0.metricsPath = "/healthz" }
        variant { $0.metricsPath = "/a b" }
        variant { $0.tls = .init(certificatePEM: "nope", privateKeyPEM: "nope") }
        variant { $0.basicAuth = .init(users: [:]) }
        variant { $0.basicAuth = .init(users: ["a": "plaintext"]) }
        variant { $0.basicAuth = .init(users: ["a:b": "$2y$04$" + String(repeating: "a", count: 53)]) }
        variant {
            $0.basicAuth = .init(users: ["a": "$2y$04$" + String(repeating: "a", count: 53)], realm: "a\"b")
        }
        for configuration in cases {
            let server = MetricsServer(configuration: configuration, logger: quietLogger, source: sampleExposition)
            let error = #expect(throws: MetricsServerError.self) { try server.start() }
            #expect(error?.code == .invalidConfiguration, "\(String(describing: error))")
        }
        #expect(throws: Never.self) { try MetricsServerConfiguration.default.validate() }
    }

    @Test("run() in a ServiceGroup serves until graceful shutdown")
    func serviceGroup() async throws {
        var configuration = testConfiguration()
        configuration.bindAddress = .loopback(port: 0)
        let server = MetricsServer(configuration: configuration, logger: quietLogger, source: sampleExposition)
        let group = ServiceGroup(services: [server], logger: quietLogger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try #require(await eventually { server.boundAddress != nil }, "the group never started the server")
            let bound = try #require(server.boundAddress)
            #expect(try await httpRequest("http://\(bound)/metrics").status == 200)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(!server.isRunning)
    }

    @Test("run() stops on cancellation")
    func cancellation() async throws {
        let server = MetricsServer(configuration: testConfiguration(), logger: quietLogger, source: sampleExposition)
        let task = Task { try await server.run() }
        #expect(await eventually { server.isRunning })
        task.cancel()
        _ = await task.result
        #expect(!server.isRunning)
    }
}
