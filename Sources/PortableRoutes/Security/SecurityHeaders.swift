/// The headers every answer of a route handler carries, added by the server after the handler (a layer, so that
/// no handler can forget them):
/// - `X-Content-Type-Options: nosniff`: a browser never runs a body as another type than the one declared;
/// - `Referrer-Policy: no-referrer`: links from the pages do not leak their URLs;
/// - for HTML without a `Content-Security-Policy` of its own: ``defaultPolicy`` (no script, no style, no frame
///   around it). A page that needs its inline script sets a policy that allows it by hash, as the operations status
///   page does, keeping `frame-ancestors 'none'`; `X-Frame-Options: DENY` says the same to older browsers.
enum SecurityHeaders {
    /// The policy of an HTML answer that sets none: nothing may load, nothing may frame it.
    static let defaultPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

    /// Adds the headers `headers` lacks (the policy and frame headers only to HTML).
    static func apply(to headers: inout HTTPHeaders) {
        if headers["X-Content-Type-Options"] == nil { headers.add(name: "X-Content-Type-Options", value: "nosniff") }
        if headers["Referrer-Policy"] == nil { headers.add(name: "Referrer-Policy", value: "no-referrer") }
        guard let type = headers["Content-Type"], type.lowercased().hasPrefix("text/html") else { return }
        if headers["Content-Security-Policy"] == nil {
            headers.add(name: "Content-Security-Policy", value: Self.defaultPolicy)
        }
        if headers["X-Frame-Options"] == nil { headers.add(name: "X-Frame-Options", value: "DENY") }
    }
}
