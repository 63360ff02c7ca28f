import Foundation
import Testing

/// A program from outside the toolchain that some tests run: they declare it with `.requires(_:)` and are skipped,
/// with a message naming it, where it is not on `PATH`. `make test` installs every one of them and fails if any test
/// was skipped (scripts/check-no-skips.sh), so CI runs them all.
public struct ExternalTool: Sendable, CustomStringConvertible {
    /// The program's name, looked up on `PATH`.
    public let name: String
    /// The Debian package that provides it.
    public let package: String

    /// curl: TLS clients (HTTPS with a test certificate) and gzip decoding.
    public static let curl = ExternalTool(name: "curl", package: "curl")
    /// promtool: Prometheus' own check of an exposition.
    public static let promtool = ExternalTool(name: "promtool", package: "prometheus")
    /// htpasswd: Apache's bcrypt hashes (`$2y$`), as operators make them.
    public static let htpasswd = ExternalTool(name: "htpasswd", package: "apache2-utils")
    /// openssl: the test certificates of the TLS tests.
    public static let openssl = ExternalTool(name: "openssl", package: "openssl")
    /// gzip: an independent decoder of the exporter's gzip bodies.
    public static let gzip = ExternalTool(name: "gzip", package: "gzip")
    /// python3 with the e2e requirements: prometheus_client's parsers.
    public static let python3 = ExternalTool(name: "python3", package: "python3")

    /// The program's full path, or `nil` when it is not on `PATH`.
    public var path: String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        for directory in directories {
            let candidate = directory + "/" + self.name
            if FileManager.default.isExecutableFile(atPath: String(candidate)) { return String(candidate) }
        }
        return nil
    }

    /// Whether it is on `PATH`.
    public var isAvailable: Bool { self.path != nil }

    /// The name.
    public var description: String { self.name }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test only where `tool` is on `PATH`; otherwise it is skipped with a message naming the tool.
    public static func requires(_ tool: ExternalTool) -> Self {
        .enabled(
            if: tool.isAvailable,
            "needs \(tool.name) on PATH (Debian package \(tool.package); `make test` installs it)"
        )
    }
}

extension Tag {
    /// Tests that run a program from outside the toolchain (see ``ExternalTool``): `swift test --skip-tags
    /// externalTool` runs the rest.
    @Tag public static var externalTool: Self
}
