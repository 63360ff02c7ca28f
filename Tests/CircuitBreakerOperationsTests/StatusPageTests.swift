import CircuitBreaker
import Foundation
import CircuitBreakerInternals
import MetricsExporter
import Testing

@testable import CircuitBreakerOperations

@Suite("Status page: self-contained, accessible, usable at 1,000 breakers")
struct StatusPageTests {
    private func page(_ fixture: Fixture, admin: Bool = false) -> String {
        String(decoding: fixture.handlers.statusPage(admin: admin).bytes, as: UTF8.self)
    }

    @Test("no external assets; a meta refresh inside noscript; table semantics; state in words, not colour alone")
    func selfContained() throws {
        let fixture = Fixture()
        _ = try fixture.breaker("catalog")
        fail(try fixture.breaker("payments"), times: 2)
        let html = page(fixture)
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("//cdn"))
        #expect(!html.contains("<link") && !html.contains("src="))
        #expect(html.contains(#"<noscript><meta http-equiv="refresh" content="2"></noscript>"#))
        #expect(html.contains("<caption>"))
        #expect(html.contains(#"<th scope="col">State</th>"#))
        #expect(html.contains(#"<tr data-breaker="payments" data-state="open"><th scope="row">payments</th>"#))
        #expect(html.contains(#"<span class="badge open">✕ open</span>"#))
        #expect(html.contains(#"<label for="filter">"#))
        // Not closed first.
        let payments = try #require(html.range(of: "data-breaker=\"payments\""))
        let catalog = try #require(html.range(of: "data-breaker=\"catalog\""))
        #expect(payments.lowerBound < catalog.lowerBound)
        #expect(!html.contains("<th scope=\"col\">Actions</th>"))
        #expect(page(fixture, admin: true).contains("<th scope=\"col\">Actions</th>"))
    }

    @Test("names and reasons are escaped")
    func escaping() throws {
        let fixture = Fixture()
        _ = try fixture.breaker("<script>x</script>")
        _ = fixture.postOverride("<script>x</script>", #"{"action":"disable","reason":"a <b> & c","ttl":"5m"}"#)
        let html = page(fixture)
        #expect(html.contains("&lt;script&gt;x&lt;/script&gt;"))
        #expect(html.contains("a &lt;b&gt; &amp; c"))
    }

    @Test("at 1,000 breakers the page stays under 1 MB")
    func size() throws {
        let fixture = Fixture()
        for index in 0..<1_000 {
            let breaker = try fixture.breaker("service-dependency-\(index)")
            if index % 10 == 0 { fail(breaker, times: 2) }
        }
        let bytes = fixture.handlers.statusPage(admin: true).bytes.count
        #expect(bytes < 1_000_000)
    }

    @Test("the page's CSP allows exactly its inline script and style by hash, forbids framing, and nothing else")
    func contentSecurityPolicy() throws {
        let fixture = Fixture()
        _ = try fixture.breaker("payments")
        let response = fixture.handlers.statusPage(admin: true)
        let policy = try #require(response.header("Content-Security-Policy"))
        #expect(policy.hasPrefix("default-src 'none'; "))
        #expect(policy.contains("frame-ancestors 'none'"))
        #expect(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"))
        #expect(response.header("X-Content-Type-Options") == "nosniff")
        #expect(response.header("Referrer-Policy") == "no-referrer")
        #expect(response.header("X-Frame-Options") == "DENY")
        // The hashes are of the very text the page embeds between its tags.
        let html = String(decoding: response.bytes, as: UTF8.self)
        func between(_ open: String, _ close: String) throws -> String {
            let start = try #require(html.range(of: open)).upperBound
            let end = try #require(html.range(of: close, range: start..<html.endIndex)).lowerBound
            return String(html[start..<end])
        }
        let script = contentSecurityPolicyHash(of: try between("<script>", "</script>"))
        let style = contentSecurityPolicyHash(of: try between("<style>", "</style>"))
        #expect(policy.contains("script-src \(script);"))
        #expect(policy.contains("style-src \(style);"))
        #expect(html.components(separatedBy: "<script").count == 2)
        // Both of the page's state-changing calls say they send JSON (the server refuses them otherwise).
        #expect(StatusPage.script.components(separatedBy: #"headers: {"Content-Type": "application/json"}"#).count == 3)
    }
}
