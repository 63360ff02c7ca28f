#if HummingbirdSupport
import HTTPTypes
import Hummingbird
import MetricsEndpoint
import PortableRoutes

/// Answers one portable route on Hummingbird, behind the same gate as `MetricsServer`'s: the cross-site guard, the
/// credentials for the route's access level, the body limit and the parameters' encoding, in that order; then the
/// handler, and the security headers on whatever it answers.
struct PortableRouteResponder<Context: RequestContext>: HTTPResponder {
    let route: PortableRoute
    let pattern: PathPattern
    let gate: AccessGate

    func respond(to request: Request, context: Context) async throws -> Response {
        var request = request
        let path = request.uri.path
        let json = GateRefusal.wantsJSON(path: path, accept: request.headers[.accept])
        if let refusal = crossSiteRefusal(request.head) { return Response(refusal.response(json: json)) }
        let user: AuthenticatedUser?
        switch await self.gate.check(request.head, level: self.route.access, peer: AccessGate.peer(of: context)) {
        case .refused(let refusal): return Response(refusal.response(json: json))
        case .allowed(let allowed): user = allowed
        }
        let body: [UInt8]
        do {
            // A route that takes no body still reads an empty one; anything longer is refused, unread beyond the limit.
            let buffer = try await request.collectBody(upTo: self.route.bodyLimit)
            body = Array(buffer.readableBytesView)
        } catch {
            return Response(GateRefusal.contentTooLarge.response(json: json))
        }
        guard case .parameters(let parameters) = self.pattern.decodedMatch(path),
            let query = RouteRequest.queryParameters(of: Substring(request.uri.query ?? ""))
        else { return Response(GateRefusal.badRequest.response(json: json)) }
        let routeRequest = RouteRequest(
            head: request.head,
            body: body,
            pathParameters: parameters,
            queryParameters: query,
            user: user
        )
        let response: RouteResponse
        do {
            response = try self.route.handler(routeRequest)
        } catch {
            context.logger.error(
                "route handler failed",
                metadata: ["path": "\(self.route.path)", "error": "\(error)"]
            )
            response = .jsonError(.internalServerError, "internal server error")
        }
        return Response(response)
    }
}

extension Response {
    /// A Hummingbird response of a route's response, with the security headers every answer carries.
    init(_ response: RouteResponse) {
        var fields = response.headerFields
        SecurityHeaders.apply(to: &fields)
        if let chunks = response.body.chunks {
            self.init(
                status: response.status,
                headers: fields,
                body: ResponseBody(asyncSequence: chunks.map { ByteBuffer(bytes: $0) })
            )
        } else {
            self.init(
                status: response.status,
                headers: fields,
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: response.body.bytes ?? []))
            )
        }
    }
}
#endif
