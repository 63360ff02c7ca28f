import PortableRoutes

/// The paths of the standard routes, each spelled here and nowhere else.
enum StandardPaths {
    /// The landing page.
    static let landingPage = "/"
    /// Health, as Prometheus spells it.
    static let healthy = "/-/healthy"
    /// Health, as Kubernetes habit spells it.
    static let healthz = "/healthz"
    /// The health paths.
    static let health = [healthy, healthz]
    /// Every standard path but the metrics path (which is configured).
    static let all: Set<String> = [landingPage, healthy, healthz]
}

extension Route {
    /// The standard routes of a server:
    /// - the metrics path: the exposition, for scrape users;
    /// - `/`: the landing page, for scrape users (its status section may name what the service monitors);
    /// - `/-/healthy` and `/healthz`: `200 OK`, public. Health checks carry no credentials (Kubernetes probes
    ///   cannot send any), must get through whatever the authentication setup, and reveal nothing but "up".
    static func standardRoutes(metricsPath: String, landingPage: LandingPage, status: StatusProvider?) -> [Route] {
        var routes = [
            Route(methods: [.get], path: metricsPath, access: .scrape, bodyLimit: 0, action: .exposition),
            Route.get(StandardPaths.landingPage, access: .scrape) { _ in
                var page: [UInt8] = []
                page.reserveCapacity(1_024)
                landingPage.render(status: status, into: &page)
                var response = RouteResponse.html(page)
                response.headerFields[.xContentTypeOptions] = "nosniff"
                response.headerFields[.contentSecurityPolicy] = SecurityHeaders.defaultPolicy
                return response
            },
        ]
        for path in StandardPaths.health {
            routes.append(
                Route.get(path, access: .public) { _ in
                    var response = RouteResponse.text("OK\n")
                    response.headerFields[.cacheControl] = "no-store"
                    return response
                }
            )
        }
        return routes
    }
}
