import CircuitBreakerInternals
import CMicroHTTPD
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

// Every C callback handed to libmicrohttpd, and nothing else: the rest of the server, and every route handler,
// works with Swift values. Each callback receives a retained object as its closure argument and forwards to it;
// none of them may throw or trap, whatever the peer sends.

/// `MHD_AccessHandlerCallback`.
func mhdAccessHandler(
    _ context: UnsafeMutableRawPointer?,
    _ connection: OpaquePointer?,
    _ url: UnsafePointer<CChar>?,
    _ method: UnsafePointer<CChar>?,
    _ version: UnsafePointer<CChar>?,
    _ uploadData: UnsafePointer<CChar>?,
    _ uploadDataSize: UnsafeMutablePointer<Int>?,
    _ requestState: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
) -> MHD_Result {
    guard let context, let connection, let requestState else { return .NO }
    return Unmanaged<ServerContext>.fromOpaque(context).takeUnretainedValue().handle(
        connection: connection,
        url: url,
        method: method,
        uploadData: uploadData,
        uploadDataSize: uploadDataSize,
        requestState: requestState
    )
}

/// `MHD_NotifyConnectionCallback`: registers and forgets connections for the request deadline.
func mhdNotifyConnection(
    _ context: UnsafeMutableRawPointer?,
    _ connection: OpaquePointer?,
    _ socketContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
    _ code: MHD_ConnectionNotificationCode
) {
    guard let context, let connection else { return }
    let server = Unmanaged<ServerContext>.fromOpaque(context).takeUnretainedValue()
    if code == .CONNECTION_NOTIFY_STARTED {
        server.connectionStarted(connection)
    } else {
        server.connectionClosed(connection)
    }
}

/// `MHD_RequestCompletedCallback`.
func mhdRequestCompleted(
    _ context: UnsafeMutableRawPointer?,
    _ connection: OpaquePointer?,
    _ requestState: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
    _ code: MHD_RequestTerminationCode
) {
    guard let context, let connection else { return }
    Unmanaged<ServerContext>.fromOpaque(context).takeUnretainedValue()
        .requestCompleted(connection, requestState: requestState, completed: code == .REQUEST_TERMINATED_COMPLETED_OK)
}

/// `MHD_LogCallback`: formats libmicrohttpd's message and logs it at debug level (most are about misbehaving
/// peers, which must not flood the logs); the last few are kept for the error of a failed start.
func mhdLog(_ context: UnsafeMutableRawPointer?, _ format: UnsafePointer<CChar>?, _ arguments: CVaListPointer?) {
    guard let context, let format, let arguments else { return }
    let server = Unmanaged<ServerContext>.fromOpaque(context).takeUnretainedValue()
    var buffer = [CChar](repeating: 0, count: 512)
    _ = vsnprintf(&buffer, buffer.count, format, arguments)
    var message = stringFromCBuffer(buffer)
    while message.last == "\n" { message.removeLast() }
    server.logger.debug("libmicrohttpd: \(message)")
    server.recentMessages.withLock { messages in
        messages.append(message)
        if messages.count > 8 { messages.removeFirst() }
    }
}

/// `MHD_UnescapeCallback`: leaves the request path and query as sent. Literal path segments are matched
/// percent-encoded, so `/%00` cannot truncate a path into another route; parameters are decoded by the server,
/// strictly (see `percentDecoded`).
func mhdKeepEscaped(
    _ context: UnsafeMutableRawPointer?,
    _ connection: OpaquePointer?,
    _ text: UnsafeMutablePointer<CChar>?
) -> Int {
    guard let text else { return 0 }
    return strlen(text)
}

/// `MHD_KeyValueIterator` for ``collectConnectionValues(_:kind:)``: appends one name-value pair to the box.
private func mhdCollectValue(
    _ box: UnsafeMutableRawPointer?,
    _ kind: MHD_ValueKind,
    _ key: UnsafePointer<CChar>?,
    _ value: UnsafePointer<CChar>?
) -> MHD_Result {
    guard let box, let key else { return .YES }
    let fields = box.assumingMemoryBound(to: [(name: String, value: String)].self)
    fields.pointee.append((String(cString: key), value.map { String(cString: $0) } ?? ""))
    return .YES
}

/// The header fields (`.HEADER_KIND`) or query arguments (`.GET_ARGUMENT_KIND`) of a connection, copied.
func collectConnectionValues(_ connection: OpaquePointer, kind: MHD_ValueKind) -> [(name: String, value: String)] {
    var fields: [(name: String, value: String)] = []
    withUnsafeMutablePointer(to: &fields) { box in
        _ = MHD_get_connection_values(connection, kind, mhdCollectValue, box)
    }
    return fields
}

/// libmicrohttpd's free callback for exposition responses: releases the response's reference to the shared body,
/// which is freed (or its buffer returned to the pool) with the last one.
func mhdReleaseRenderedBody(_ context: UnsafeMutableRawPointer?) {
    guard let context else { return }
    Unmanaged<RenderedBody>.fromOpaque(context).release()
}

/// `MHD_ContentReaderCallback` of stream responses.
func mhdStreamReader(
    _ context: UnsafeMutableRawPointer?,
    _ position: UInt64,
    _ buffer: UnsafeMutablePointer<CChar>?,
    _ maximum: Int
) -> Int {
    guard let context, let buffer else { return -2 }  // MHD_CONTENT_READER_END_WITH_ERROR
    return Unmanaged<StreamConnection>.fromOpaque(context).takeUnretainedValue()
        .read(into: UnsafeMutableRawBufferPointer(start: buffer, count: maximum))
}

/// `MHD_ContentReaderFreeCallback` of stream responses: releases the response's reference to its stream binding.
func mhdStreamRelease(_ context: UnsafeMutableRawPointer?) {
    guard let context else { return }
    Unmanaged<StreamConnection>.fromOpaque(context).release()
}
