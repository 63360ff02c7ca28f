#if HummingbirdSupport
import HTTPTypes
import Hummingbird
import MetricsEndpoint
import PortableRoutes

/// The metrics path on Hummingbird: scrape users only, the format the scraper's `Accept` prefers among those
/// offered, rendered fresh for each scrape, with `Vary: Accept` (and no body for `HEAD`).
struct ExpositionResponder<Context: RequestContext>: HTTPResponder {
    let sources: ExpositionSources
    let gate: AccessGate

    func respond(to request: Request, context: Context) async throws -> Response {
        let json = GateRefusal.wantsJSON(path: request.uri.path, accept: request.headers[.accept])
        if case .refused(let refusal) = await self.gate.check(
            request.head,
            level: .scrape,
            peer: AccessGate.peer(of: context)
        ) {
            return Response(refusal.response(json: json))
        }
        let format = ExpositionFormat.negotiate(
            accept: request.headers[.accept].map { Array($0.utf8) },
            offered: self.sources.formats
        )
        var body: [UInt8] = []
        self.sources.write(format, into: &body)
        var fields: HTTPFields = [.contentType: format.contentType, .vary: "Accept", .cacheControl: "no-store"]
        SecurityHeaders.apply(to: &fields)
        if request.method == .head {
            fields[.contentLength] = String(body.count)
            return Response(status: .ok, headers: fields)
        }
        return Response(status: .ok, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
#endif
