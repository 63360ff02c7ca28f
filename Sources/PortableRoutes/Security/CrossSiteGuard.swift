import HTTPTypes

/// The defence of every transport's gate against cross-site request forgery, checked before credentials, for
/// every request whose method changes state (anything but `GET`, `HEAD`, `OPTIONS` and `TRACE`):
///
/// - **Another site**: a request whose `Sec-Fetch-Site` is anything but `same-origin` or `none` (the user typed the
///   URL), or whose `Origin` is `null` or names another origin than the request's `Host`, is refused with 403
///   (`cross_site_request`). Browsers send these headers on every cross-origin state-changing request, and a page
///   cannot forge them. A reverse proxy in front of the server must keep the `Host` header.
/// - **Only JSON**: the body's `Content-Type` must be `application/json` (parameters such as `charset` allowed),
///   with or without a body; anything else, or none, is refused with 415 (`unsupported_media_type`). An HTML form
///   on another site can only send `text/plain`, `application/x-www-form-urlencoded` or `multipart/form-data`, and
///   a script on another site cannot send `application/json` without a CORS preflight, which this server never
///   grants. So even a browser that sends neither header (an old one) cannot be made to change state.
///
/// A refused request changes nothing: the handler never runs, and no bcrypt work is spent on it.
package enum CrossSiteGuard {
    /// Why a request is refused.
    package enum Refusal: Equatable, Sendable {
        /// From another site: 403 `cross_site_request`.
        case crossSite
        /// Not declared `application/json`: 415 `unsupported_media_type`.
        case unsupportedMediaType
    }

    /// Whether `method` may change state (and so must pass the guard).
    package static func isStateChanging(_ method: HTTPRequest.Method) -> Bool {
        ![.get, .head, .options, .trace].contains(method)
    }

    /// The refusal for a request, or `nil` when it may go on. `host` is the request's `Host` (HTTP/1.1) or
    /// authority (HTTP/2).
    package static func check(method: HTTPRequest.Method, fields: HTTPFields, host: String?) -> Refusal? {
        self.check(method: method, host: host) { fields[$0] }
    }

    /// The refusal for a request, or `nil` when it may go on; `header` looks a request header up by name, `host` is
    /// the request's `Host` or authority.
    package static func check(
        method: HTTPRequest.Method,
        host: String?,
        header: (HTTPField.Name) -> String?
    ) -> Refusal? {
        guard self.isStateChanging(method) else { return nil }
        if let site = header(.secFetchSite)?.trimmingSpaces().lowercased(), site != "same-origin", site != "none" {
            return .crossSite
        }
        if let origin = header(.origin)?.trimmingSpaces() {
            guard let host = host?.trimmingSpaces(), let authority = Self.authority(ofOrigin: origin),
                authority.lowercased() == host.lowercased()
            else { return .crossSite }
        }
        guard let type = header(.contentType), Self.isJSON(type) else { return .unsupportedMediaType }
        return nil
    }

    /// `host[:port]` of an origin such as `http://127.0.0.1:9464`; `nil` for `null` or anything malformed.
    package static func authority(ofOrigin origin: String) -> String? {
        let bytes = Array(origin.utf8)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), bytes[colon...].starts(with: "://".utf8) else {
            return nil
        }
        let scheme = String(decoding: bytes[..<colon], as: UTF8.self).lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        let authority = String(decoding: bytes[(colon + 3)...], as: UTF8.self)
        guard !authority.isEmpty, !authority.contains("/"), !authority.contains("@") else { return nil }
        return String(authority)
    }

    /// Whether a `Content-Type` value is `application/json`, parameters aside.
    package static func isJSON(_ contentType: String) -> Bool {
        let mediaType = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return mediaType.trimmingSpaces().lowercased() == "application/json"
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (a header value's optional whitespace).
    package func trimmingSpaces() -> String {
        let scalars = self.unicodeScalars
        let start = scalars.firstIndex { $0 != " " && $0 != "\t" } ?? scalars.endIndex
        let end = scalars.lastIndex { $0 != " " && $0 != "\t" }.map { scalars.index(after: $0) } ?? start
        return start < end ? String(String.UnicodeScalarView(scalars[start..<end])) : ""
    }
}
