/// The exporter's defence against cross-site request forgery, checked by the request gate before credentials, for
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
enum CrossSiteGuard {
    /// Whether `method` may change state (and so must pass the guard).
    static func isStateChanging(_ method: HTTPMethod) -> Bool {
        !["GET", "HEAD", "OPTIONS", "TRACE"].contains(method.name)
    }

    /// The refusal for a request, or `nil` when it may go on; `header` looks a request header up by name.
    static func check(method: HTTPMethod, header: (String) -> String?) -> Rejection? {
        guard self.isStateChanging(method) else { return nil }
        if let site = header("Sec-Fetch-Site")?.trimmingSpaces().lowercased(), site != "same-origin", site != "none" {
            return .crossSite
        }
        if let origin = header("Origin")?.trimmingSpaces() {
            guard let host = header("Host")?.trimmingSpaces(), let authority = Self.authority(ofOrigin: origin),
                authority.equalsIgnoringASCIICase(host)
            else { return .crossSite }
        }
        guard let type = header("Content-Type"), Self.isJSON(type) else { return .unsupportedMediaType }
        return nil
    }

    /// `host[:port]` of an origin such as `http://127.0.0.1:9464`; `nil` for `null` or anything malformed.
    static func authority(ofOrigin origin: String) -> String? {
        guard let separator = origin.range(of: "://") else { return nil }
        let scheme = origin[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        let authority = origin[separator.upperBound...]
        guard !authority.isEmpty, !authority.contains("/"), !authority.contains("@") else { return nil }
        return String(authority)
    }

    /// Whether a `Content-Type` value is `application/json`, parameters aside.
    static func isJSON(_ contentType: String) -> Bool {
        let mediaType = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return mediaType.trimmingSpaces().lowercased() == "application/json"
    }
}
