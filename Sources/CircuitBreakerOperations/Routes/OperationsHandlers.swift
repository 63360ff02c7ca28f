import CircuitBreaker

/// The handlers of the operations routes for one registry, each taking the request value and returning the
/// response; ``OperationsRoute/routes(_:)`` lists them with their methods, paths and access levels.
package struct OperationsHandlers: Sendable {
    let registry: BreakerRegistry
    let renderer: StatusRenderer
    let controller: OverrideController
    let hub: EventHub
    let configuration: BreakerOperations.Configuration

    /// `GET /api/v1/breakers`.
    func listBreakers(_ request: OperationsRequest) -> OperationsResponse {
        .json(renderer.renderList())
    }

    /// `GET /api/v1/breakers/{name}`.
    func showBreaker(_ request: OperationsRequest) -> OperationsResponse {
        respond { () throws(OperationsError) in
            .json(try renderer.renderBreaker(named: request.pathParameters["name"] ?? ""))
        }
    }

    /// `GET /api/v1/events`: server-sent events, replayed from `Last-Event-ID` (header, or the `lastEventId` query
    /// parameter that EventSource polyfills send).
    func events(_ request: OperationsRequest) -> OperationsResponse {
        let lastEventID = request.header("last-event-id") ?? request.query["lastEventId"]
        guard let subscription = EventSubscription.connect(to: hub, lastEventID: lastEventID) else {
            return .error(
                OperationsError(.tooManyClients, "the event stream has \(hub.limits.maximumClients) clients already")
            )
        }
        return .events(subscription)
    }

    /// `POST /api/v1/breakers/{name}/override` (admin users).
    func applyOverride(_ request: OperationsRequest) -> OperationsResponse {
        respond { () throws(OperationsError) in
            let breaker = try StatusRenderer.breaker(named: request.pathParameters["name"] ?? "", in: registry)
            try controller.apply(body: request.body, to: breaker, actor: request.user ?? "anonymous")
            return .json(renderer.render(breaker))
        }
    }

    /// `DELETE /api/v1/breakers/{name}/override` (admin users): no body, or an empty JSON object.
    func clearOverride(_ request: OperationsRequest) -> OperationsResponse {
        respond { () throws(OperationsError) in
            let breaker = try StatusRenderer.breaker(named: request.pathParameters["name"] ?? "", in: registry)
            try Self.checkEmptyObject(request.body)
            try controller.clear(breaker, actor: request.user ?? "anonymous")
            return .json(renderer.render(breaker))
        }
    }

    /// `GET /` (and `GET /admin` with `admin`: the page with override buttons).
    func statusPage(_ request: OperationsRequest, admin: Bool) -> OperationsResponse {
        let page = StatusPage(refreshInterval: configuration.pageRefreshInterval, admin: admin)
        return .html(page.render(renderer.statuses()), contentSecurityPolicy: StatusPage.contentSecurityPolicy)
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

    private func respond(_ body: () throws(OperationsError) -> OperationsResponse) -> OperationsResponse {
        do {
            return try body()
        } catch {
            return .error(error)
        }
    }
}
