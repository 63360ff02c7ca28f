/// Thrown when an async operation exceeded the breaker's invocation timeout.
///
/// The operation's task was cancelled and the call was recorded as a timeout failure. The caller gets this error
/// when the timeout elapses, even if the operation ignores cancellation and keeps running.
public struct CallTimeoutError: Error, Hashable, CustomStringConvertible {
    /// The name of the breaker whose timeout fired.
    public let breakerName: String
    /// The configured invocation timeout.
    public let timeout: Duration

    /// Creates a timeout error.
    public init(breakerName: String, timeout: Duration) {
        self.breakerName = breakerName
        self.timeout = timeout
    }

    /// For example `call through circuit breaker "payments" timed out after 0.5 seconds`.
    public var description: String { "call through circuit breaker \"\(breakerName)\" timed out after \(timeout)" }
}
