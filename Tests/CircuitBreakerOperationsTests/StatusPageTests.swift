import CircuitBreaker
import Foundation
import Testing

@testable import CircuitBreakerOperations

@Suite("Status page: self-contained, accessible, usable at 1,000 breakers")
struct StatusPageTests {
    private func page(_ fixture: Fixture, admin: Bool = false) -> String {
        String(decoding: fixture.handlers.statusPage(OperationsRequest(), admin: admin).bytes, as: UTF8.self)
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
        let bytes = fixture.handlers.statusPage(OperationsRequest(), admin: true).bytes.count
        #expect(bytes < 1_000_000)
    }
}
