import CircuitBreakerInternals
/// Renders the small HTML landing page served at `/`.
struct LandingPage: Sendable {
    private let head: [UInt8]
    private let tail: [UInt8]

    init(serviceName: String, serviceVersion: String, metricsPath: String) {
        let name = HTMLText.escape(serviceName)
        let version = serviceVersion.isEmpty ? "" : "<p>Version " + HTMLText.escape(serviceVersion) + "</p>\n"
        let link = HTMLText.escape(metricsPath)
        self.head = Array(
            ("<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>" + name
                + "</title></head>\n<body>\n<h1>" + name + "</h1>\n" + version
                + "<p><a href=\"" + link + "\">Metrics</a> · <a href=\"" + HTMLText.escape(StandardPaths.healthy)
                + "\">Health</a></p>\n").utf8
        )
        self.tail = Array("</body>\n</html>\n".utf8)
    }

    /// The page, with the status section when a provider is given.
    func render(status: StatusProvider?, into buffer: inout [UInt8]) {
        buffer.append(contentsOf: self.head)
        if let status {
            buffer.append(contentsOf: "<h2>Status</h2>\n<pre>".utf8)
            buffer.append(contentsOf: HTMLText.escape(status()).utf8)
            buffer.append(contentsOf: "</pre>\n".utf8)
        }
        buffer.append(contentsOf: self.tail)
    }

}
