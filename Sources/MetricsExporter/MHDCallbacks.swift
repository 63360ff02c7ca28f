import CircuitBreakerInternals
import CMicroHTTPD
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

// The C callbacks handed to libmicrohttpd. Each receives the retained ServerContext as its closure argument and
// forwards to it; none of them may throw or trap, whatever the peer sends.

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
        .requestCompleted(connection, requestState: requestState)
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

/// `MHD_UnescapeCallback`: leaves the request path as sent. Paths are matched literally, so `/%00` cannot
/// truncate a path into another route; scrapers never percent-encode `/metrics`.
func mhdKeepEscaped(
    _ context: UnsafeMutableRawPointer?,
    _ connection: OpaquePointer?,
    _ text: UnsafeMutablePointer<CChar>?
) -> Int {
    guard let text else { return 0 }
    return strlen(text)
}
