import HTTPTypes

/// The headers every answer of a route handler carries, added by the transport after the handler (a layer, so that
/// no handler can forget them):
/// - `X-Content-Type-Options: nosniff`: a browser never runs a body as another type than the one declared;
/// - `Referrer-Policy: no-referrer`: links from the pages do not leak their URLs;
/// - for HTML without a `Content-Security-Policy` of its own: ``defaultPolicy`` (no script, no style, no frame
///   around it). A page that needs its inline script sets a policy that allows it by hash, as the operations status
///   page does, keeping `frame-ancestors 'none'`; `X-Frame-Options: DENY` says the same to older browsers.
package enum SecurityHeaders {
    /// The policy of an HTML answer that sets none: nothing may load, nothing may frame it.
    package static let defaultPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

    /// Adds the headers `fields` lacks (the policy and frame headers only to HTML).
    package static func apply(to fields: inout HTTPFields) {
        if fields[.xContentTypeOptions] == nil { fields[.xContentTypeOptions] = "nosniff" }
        if fields[.referrerPolicy] == nil { fields[.referrerPolicy] = "no-referrer" }
        guard let type = fields[.contentType], type.lowercased().hasPrefix("text/html") else { return }
        if fields[.contentSecurityPolicy] == nil { fields[.contentSecurityPolicy] = Self.defaultPolicy }
        if fields[.frameOptions] == nil { fields[.frameOptions] = "DENY" }
    }
}
