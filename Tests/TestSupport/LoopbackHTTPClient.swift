import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A response as the loopback client read it: status, header fields (names lower-cased; for a repeated field, the
/// values joined with `, `), and the body (chunked encoding removed).
public struct LoopbackResponse: Sendable {
    /// The status code.
    public var status: Int
    /// The header fields by lower-cased name.
    public var headers: [String: String]
    /// The body.
    public var body: Data

    /// A response.
    public init(status: Int, headers: [String: String], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body as UTF-8 text.
    public var text: String { String(decoding: self.body, as: UTF8.self) }
}

/// Why a request failed before a response arrived.
public struct LoopbackFailure: Error, CustomStringConvertible {
    /// What went wrong.
    public var description: String
}

/// A small HTTP/1.1 client for tests of our own servers on loopback, in process: one request per connection
/// (`Connection: close`), the response read to the end, bounded by a time limit. It replaces curl where a test is
/// about our code rather than about curl, so `swift test` needs no external tool for those tests.
///
/// It takes curl's spelling of the few options the tests use (`-X`, `-H`, `-u`, `-d`/`--data`/`--data-binary`,
/// `-I`), so a test reads as the shell command it stands for; any other option is refused (a test that needs TLS
/// or gzip decoding runs the real curl, behind `.requires(.curl)`).
public enum LoopbackHTTPClient {
    /// Performs one request to `url` (`http://host:port/path`) with curl-style `options`.
    public static func request(
        _ url: String,
        _ options: [String] = [],
        timeout: Duration = .seconds(30)
    ) async throws -> LoopbackResponse {
        var method: String?
        var headers: [(String, String)] = []
        var body: [UInt8]?
        var source: String?
        var index = 0
        func next() throws -> String {
            index += 1
            guard index < options.count else { throw LoopbackFailure(description: "option \(options[index - 1]) needs a value") }
            return options[index]
        }
        while index < options.count {
            switch options[index] {
            case "-X", "--request": method = try next()
            case "-H", "--header":
                let line = try next()
                guard let colon = line.firstIndex(of: ":") else {
                    throw LoopbackFailure(description: "header '\(line)' has no colon")
                }
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                headers.append((String(line[..<colon]), value))
            case "-u", "--user":
                let credentials = try next()
                headers.append(("Authorization", "Basic " + Data(credentials.utf8).base64EncodedString()))
            case "-d", "--data", "--data-binary": body = Array(try next().utf8)
            case "-I", "--head": method = "HEAD"
            case "--interface": source = try next()
            case "-F", "--form":
                // One multipart/form-data field, as a browser's form on another site could send it.
                let field = try next()
                let parts = field.split(separator: "=", maxSplits: 1)
                let boundary = "loopback-boundary-7d41"
                headers.append(("Content-Type", "multipart/form-data; boundary=\(boundary)"))
                body = Array(
                    ("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(parts.first ?? "")\"\r\n\r\n"
                        + "\(parts.count > 1 ? parts[1] : "")\r\n--\(boundary)--\r\n").utf8
                )
            default: throw LoopbackFailure(description: "option \(options[index]) is not supported in process")
            }
            index += 1
        }
        if method == nil { method = body == nil ? "GET" : "POST" }
        if body != nil, !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
            // As curl does for -d.
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
        }
        return try await request(
            url,
            method: method ?? "GET",
            headers: headers,
            body: body,
            source: source,
            timeout: timeout
        )
    }

    /// Performs one request to `url` with exactly these header fields (plus `Host`, `Connection: close` and the
    /// body's `Content-Length`), from the loopback address `source` if given (any 127.0.0.0/8 address, so one test
    /// can be many clients).
    public static func request(
        _ url: String,
        method: String,
        headers: [(String, String)] = [],
        body: [UInt8]? = nil,
        source: String? = nil,
        timeout: Duration = .seconds(30)
    ) async throws -> LoopbackResponse {
        // The target is sent as written (no re-encoding), so tests can send malformed percent-encoding.
        guard url.hasPrefix("http://") else { throw LoopbackFailure(description: "not an http:// URL: \(url)") }
        let rest = url.dropFirst("http://".count)
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var targetText = String(rest[authorityEnd...])
        if targetText.isEmpty || targetText.hasPrefix("?") { targetText = "/" + targetText }
        guard let colon = authority.lastIndex(of: ":"), let port = UInt16(authority[authority.index(after: colon)...])
        else { throw LoopbackFailure(description: "no port in \(url)") }
        let host = String(authority[..<colon])
        var head = "\(method) \(targetText) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        // With `Transfer-Encoding: chunked` among the headers, the body goes as one chunk, as curl sends it.
        let chunked = headers.contains { $0.0.lowercased() == "transfer-encoding" && $0.1.lowercased() == "chunked" }
        var payload = body ?? []
        if chunked {
            payload = Array(String(payload.count, radix: 16).utf8) + Array("\r\n".utf8) + payload
                + Array("\r\n0\r\n\r\n".utf8)
            if body?.isEmpty ?? true { payload = Array("0\r\n\r\n".utf8) }
        } else if let body {
            head += "Content-Length: \(body.count)\r\n"
        }
        head += "\r\n"
        let request = Array(head.utf8) + payload
        let bytes = try await exchange(host: host, port: port, source: source, request: request, timeout: timeout)
        return try parse(bytes, head: method == "HEAD")
    }

    /// Sends `request` and reads until the server closes, on a thread of its own (so waiting holds none of the
    /// cooperative pool's few threads).
    static func exchange(
        host: String,
        port: UInt16,
        source: String?,
        request: [UInt8],
        timeout: Duration
    ) async throws -> [UInt8] {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Result {
                        try exchangeBlocking(host: host, port: port, source: source, request: request, timeout: timeout)
                    }
                )
            }
        }
    }

    private static func exchangeBlocking(
        host: String,
        port: UInt16,
        source: String?,
        request: [UInt8],
        timeout: Duration
    ) throws -> [UInt8] {
        let ipv6 = host.hasPrefix("[") || host.contains(":")
        let address = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let descriptor = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw LoopbackFailure(description: "socket: errno \(errno)") }
        defer { close(descriptor) }
        var connected: Int32
        if ipv6 {
            var socketAddress = sockaddr_in6()
            socketAddress.sin6_family = sa_family_t(AF_INET6)
            socketAddress.sin6_port = port.bigEndian
            guard inet_pton(AF_INET6, address, &socketAddress.sin6_addr) == 1 else {
                throw LoopbackFailure(description: "not a numeric address: \(host)")
            }
            connected = withUnsafePointer(to: &socketAddress) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            if let source {
                var local = sockaddr_in()
                local.sin_family = sa_family_t(AF_INET)
                guard inet_pton(AF_INET, source, &local.sin_addr) == 1 else {
                    throw LoopbackFailure(description: "not a numeric source address: \(source)")
                }
                let bound = withUnsafePointer(to: &local) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
                guard bound == 0 else { throw LoopbackFailure(description: "bind to \(source): errno \(errno)") }
            }
            var socketAddress = sockaddr_in()
            socketAddress.sin_family = sa_family_t(AF_INET)
            socketAddress.sin_port = port.bigEndian
            let numeric = address == "localhost" ? "127.0.0.1" : address
            guard inet_pton(AF_INET, numeric, &socketAddress.sin_addr) == 1 else {
                throw LoopbackFailure(description: "not a numeric address: \(host)")
            }
            connected = withUnsafePointer(to: &socketAddress) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard connected == 0 else { throw LoopbackFailure(description: "connect to \(host):\(port): errno \(errno)") }
        var offset = 0
        while offset < request.count {
            let sent = request[offset...].withUnsafeBytes {
                send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            // The server may answer and close before reading a body it refuses: read what it sent.
            if sent <= 0 { break }
            offset += sent
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return received }
            received.append(contentsOf: buffer[0..<count])
        }
        throw LoopbackFailure(description: "no end of response within \(timeout)")
    }

    /// Parses a response; `head` for the answer to a HEAD request (no body follows its head).
    static func parse(_ bytes: [UInt8], head isHead: Bool) throws -> LoopbackResponse {
        let separator = Array("\r\n\r\n".utf8)
        var start = 0
        // Skip interim responses (100 Continue).
        while true {
            guard let end = find(separator, in: bytes, from: start) else {
                throw LoopbackFailure(description: "no complete response head in \(bytes.count) bytes")
            }
            let head = String(decoding: bytes[start..<end], as: UTF8.self)
            let lines = head.components(separatedBy: "\r\n")
            let status = Int(lines[0].split(separator: " ").dropFirst().first ?? "") ?? 0
            if status == 100 {
                start = end + 4
                continue
            }
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let name = line[..<colon].lowercased()
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                headers[name] = headers[name].map { $0 + ", " + value } ?? value
            }
            var body = isHead ? [] : Array(bytes[(end + 4)...])
            if headers["transfer-encoding"]?.lowercased() == "chunked", !isHead { body = try dechunk(body) }
            return LoopbackResponse(status: status, headers: headers, body: Data(body))
        }
    }

    /// The body of a chunked message.
    static func dechunk(_ bytes: [UInt8]) throws -> [UInt8] {
        var body: [UInt8] = []
        var index = 0
        let lineEnd = Array("\r\n".utf8)
        while let end = find(lineEnd, in: bytes, from: index) {
            let sizeText = String(decoding: bytes[index..<end], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw LoopbackFailure(description: "bad chunk size '\(sizeText)'")
            }
            if size == 0 { return body }
            let dataStart = end + 2
            guard dataStart + size <= bytes.count else { return body + bytes[dataStart...] }
            body += bytes[dataStart..<(dataStart + size)]
            index = dataStart + size + 2
        }
        return body
    }

    static func find(_ pattern: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= pattern.count, start <= bytes.count - pattern.count else { return nil }
        for index in start...(bytes.count - pattern.count)
        where bytes[index..<(index + pattern.count)].elementsEqual(pattern) {
            return index
        }
        return nil
    }
}
