import CircuitBreaker
import HTTPTypes
import PortableRoutes

/// The handlers of the group routes (``BreakerOperations/routes(for:readAccess:)`` lists them). Path segments
/// arrive percent-decoded by the transport (strictly: a bad escape or invalid UTF-8 is a 400 before the handler
/// runs), so a key may hold any character, `/` included as `%2F`.
extension OperationsHandlers {
    /// `GET /api/v1/groups`.
    func listGroups(_ request: RouteRequest) -> RouteResponse {
        .json(bytes: renderer.renderGroupList())
    }

    /// `GET /api/v1/groups/{group}?limit=&after=&state=`.
    func showGroup(_ request: RouteRequest) -> RouteResponse {
        respond { () throws(OperationsError) in
            let page = try KeyPageQuery(parameters: request.queryParameters)
            return .json(bytes: try renderer.renderGroup(named: request.pathParameters["group"] ?? "", page: page))
        }
    }

    /// `GET /api/v1/groups/{group}/keys/{key}`.
    func showKey(_ request: RouteRequest) -> RouteResponse {
        respond { () throws(OperationsError) in
            .json(
                bytes: try renderer.renderKey(
                    request.pathParameters["key"] ?? "",
                    ofGroup: request.pathParameters["group"] ?? ""
                )
            )
        }
    }

    /// `POST /api/v1/groups/{group}/override` (admin users): every key, those created while it lasts included.
    func applyGroupOverride(_ request: RouteRequest) -> RouteResponse {
        respond { () throws(OperationsError) in
            let entry = try monitoredGroup(request)
            try controller.applyToEveryKey(
                body: request.body,
                of: entry.group,
                monitor: renderer.monitor,
                actor: request.user?.name ?? "anonymous"
            )
            return .json(bytes: try renderer.renderGroup(named: entry.group.name, page: KeyPageQuery()))
        }
    }

    /// `DELETE /api/v1/groups/{group}/override` (admin users): no body, or an empty JSON object.
    func clearGroupOverride(_ request: RouteRequest) -> RouteResponse {
        respond { () throws(OperationsError) in
            let entry = try monitoredGroup(request)
            try Self.checkEmptyObject(request.body)
            try controller.clearEveryKey(
                of: entry.group,
                monitor: renderer.monitor,
                actor: request.user?.name ?? "anonymous"
            )
            return .json(bytes: try renderer.renderGroup(named: entry.group.name, page: KeyPageQuery()))
        }
    }

    /// `POST /api/v1/groups/{group}/keys/{key}/override` (admin users). The key must exist: an override never
    /// creates a key (404 `unknown_key`), so no request can grow a group.
    func applyKeyOverride(_ request: RouteRequest) -> RouteResponse {
        respond { () throws(OperationsError) in
            let entry = try monitoredGroup(request)
            let key = request.pathParameters["key"] ?? ""
            let breaker = try StatusRenderer.keyBreaker(key, in: entry)
            try controller.apply(
                body: request.body,
                to: breaker,
                target: .key(group: entry.group.name, key: key),
                actor: request.user?.name ?? "anonymous"
            )
            var json = JSONWriter()
            renderer.status(of: breaker, in: entry).write(to: &json)
            return .json(bytes: json.bytes)
        }
    }

    /// `DELETE /api/v1/groups/{group}/keys/{key}/override` (admin users): ends the key's override, whether its own
    /// or the group-wide one (the key then returns to automatic control while the others stay overridden).
    func clearKeyOverride(_ request: RouteRequest) -> RouteResponse {
        respond { () throws(OperationsError) in
            let entry = try monitoredGroup(request)
            let key = request.pathParameters["key"] ?? ""
            let breaker = try StatusRenderer.keyBreaker(key, in: entry)
            try Self.checkEmptyObject(request.body)
            try controller.clear(
                breaker,
                target: .key(group: entry.group.name, key: key),
                actor: request.user?.name ?? "anonymous"
            )
            var json = JSONWriter()
            renderer.status(of: breaker, in: entry).write(to: &json)
            return .json(bytes: json.bytes)
        }
    }

    /// The group in the path, which must have the operations' monitors to take overrides.
    ///
    /// - Throws: ``OperationsError/Code/unknownGroup``, ``OperationsError/Code/groupNotMonitored``.
    private func monitoredGroup(_ request: RouteRequest) throws(OperationsError) -> StatusRenderer.GroupEntry {
        let entry = try renderer.groupEntry(named: request.pathParameters["group"] ?? "")
        guard entry.monitor != nil else {
            throw OperationsError(
                .groupNotMonitored,
                "group \(OverrideTarget.quoted(entry.group.name)) has not the operations' monitors: its overrides "
                    + "could not be kept"
            )
        }
        return entry
    }
}
