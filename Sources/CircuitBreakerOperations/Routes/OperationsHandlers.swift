import CircuitBreaker
import HTTPTypes
import PortableRoutes

/// The handlers of the operations routes for one registry, each taking the request value and returning the
/// response value, whatever the transport; ``BreakerOperations/routes(for:readAccess:)`` lists them with their
/// methods, paths and access levels.
struct OperationsHandlers: Sendable {
    let registry: BreakerRegistry
    let renderer: StatusRenderer
    let controller: OverrideController
    let hub: EventHub
    let configuration: BreakerOperations.Configuration
    let clock: BreakerClock

    /// The largest override request body: three short fields and a reason of at most 500 characters.
    static let overrideBodyLimit = 4_096

    /// The largest body of a `DELETE` of an override, which takes none or an empty JSON object (it must say
    /// `Content-Type: application/json` either way, like every state-changing request).
    static let clearBodyLimit = 64

    /// `GET /api/v1/breakers`.
    func listBreakers(_ request: RouteRequest) -> RouteResponse {
        .json(bytes: renderer.renderList())
    }

    /// `GET /api/v1/breakers/{name}`.
    func showBreaker(_ request: RouteRequest) -> RouteResponse {
        respond { () throws(OperationsError) in
            .json(bytes: try renderer.renderBreaker(named: request.pathParameters["name"] ?? ""))
        }
    }

    /// `GET /api/v1/events`: server-sent events, replayed from `Last-Event-ID` (header, or the `lastEventId` query
    /// parameter that EventSource polyfills send).
    func events(_ request: RouteRequest) -> RouteResponse {
        let lastEventID = request.headerFields[.lastEventID] ?? request.queryParameters["lastEventId"]
        guard let subscription = EventSubscription.connect(to: hub, lastEventID: lastEventID) else {
            return Self.error(
                OperationsError(.tooManyClients, "the event stream has \(hub.limits.maximumClients) clients already")
            )
        }
        let chunks = ServerSentEventChunks(
            subscription: subscription,
            clock: clock,
            heartbeatInterval: max(configuration.heartbeatInterval, .milliseconds(10))
        )
        return .eventStream(ResponseChunks(chunks))
    }

    /// `POST /api/v1/breakers/{name}/override` (admin users).
    func applyOverride(_ request: RouteRequest) -> RouteResponse {
        respond { () throws(OperationsError) in
            let breaker = try StatusRenderer.breaker(named: request.pathParameters["name"] ?? "", in: registry)
            try controller.apply(body: request.body, to: breaker, actor: request.user?.name ?? "anonymous")
            return .json(bytes: renderer.render(breaker))
        }
    }

    /// `DELETE /api/v1/breakers/{name}/override` (admin users): no body, or an empty JSON object.
    func clearOverride(_ request: RouteRequest) -> RouteResponse {
        respond { () throws(OperationsError) in
            let breaker = try StatusRenderer.breaker(named: request.pathParameters["name"] ?? "", in: registry)
            try Self.checkEmptyObject(request.body)
            try controller.clear(breaker, actor: request.user?.name ?? "anonymous")
            return .json(bytes: renderer.render(breaker))
        }
    }

    /// `GET /` (and `GET /admin` with `admin`: the page with override buttons), with its Content-Security-Policy and
    /// the headers every page carries: `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer` and
    /// `X-Frame-Options: DENY` (the policy's `frame-ancestors` for older browsers).
    func statusPage(admin: Bool) -> RouteResponse {
        let page = StatusPage(refreshInterval: configuration.pageRefreshInterval, admin: admin)
        var response = RouteResponse.html(page.render(renderer.statuses()))
        response.headerFields[.contentSecurityPolicy] = StatusPage.contentSecurityPolicy
        response.headerFields[.xContentTypeOptions] = "nosniff"
        response.headerFields[.referrerPolicy] = "no-referrer"
        response.headerFields[.frameOptions] = "DENY"
        return response
    }

    /// `{"error": {"code": "…", "message": "…"}}` with the status of the error's code.
    static func error(_ error: OperationsError) -> RouteResponse {
        .jsonError(error.code.httpStatus, error.message, code: error.code.description)
    }

    /// Refuses a body that is not empty or `{}` (whitespace aside): 400 `bad_json` or `unknown_field`.
    private static func checkEmptyObject(_ body: [UInt8]) throws(OperationsError) {
        let text = body.filter { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        guard !text.isEmpty, text != Array("{}".utf8) else { return }
        guard text.first == UInt8(ascii: "{"), text.last == UInt8(ascii: "}") else {
            throw OperationsError(.badJSON, "the body must be empty or an empty JSON object")
        }
        throw OperationsError(.unknownField, "clearing an override takes no field")
    }

    private func respond(_ body: () throws(OperationsError) -> RouteResponse) -> RouteResponse {
        do {
            return try body()
        } catch {
            return Self.error(error)
        }
    }
}
