/// The `text/event-stream` wire format (the WHATWG HTML standard's server-sent events) of the event stream.
enum ServerSentEvents {
    /// Tells a browser's `EventSource` to reconnect after 2 s when the stream breaks; it then sends the
    /// `Last-Event-ID` of the last event it received, and the replay buffer fills the gap.
    static let preamble = Array("retry: 2000\n\n".utf8)

    /// A comment line, which clients ignore: sent when no event came for a while, so that proxies and the client
    /// see the connection alive.
    static let heartbeat = Array(": keep-alive\n\n".utf8)

    /// Appends `event`: a breaker's event as `id:`, `event:` and one `data:` line of JSON (JSON has no raw line
    /// breaks, so one data line always suffices); a gap or a drop as the stream's own notice.
    static func append(_ event: OperationsEvent, to buffer: inout [UInt8]) {
        switch event.kind {
        case .gap:
            appendGap(firstAvailable: event.id, to: &buffer)
        case .dropped:
            appendDropped(to: &buffer)
        default:
            var json = JSONWriter(capacity: 256)
            event.write(to: &json)
            buffer.append(contentsOf: "id: \(event.id)\nevent: \(event.kind)\ndata: ".utf8)
            buffer.append(contentsOf: json.bytes)
            buffer.append(contentsOf: "\n\n".utf8)
        }
    }

    /// Tells the client that events it asked for (with `Last-Event-ID`) are no longer in the replay buffer, or came
    /// from another process: it should reload the status (`GET /api/v1/breakers`) and go on from here.
    static func appendGap(firstAvailable: UInt64, to buffer: inout [UInt8]) {
        buffer.append(contentsOf: "event: gap\ndata: {\"first_available_id\":\(firstAvailable)}\n\n".utf8)
    }

    /// The last words to a client dropped for falling behind: reconnecting resumes from the replay buffer.
    static func appendDropped(to buffer: inout [UInt8]) {
        buffer.append(contentsOf: "event: dropped\ndata: {\"reason\":\"client too slow: its queue was full\"}\n\n".utf8)
    }
}
