/// Why a call's fallback runs.
public enum FallbackReason: Sendable, CustomStringConvertible {
    /// The breaker rejected the call without running it.
    case rejected(CallRejectedError)
    /// The operation threw an error classified as a failure (when ``FallbackTriggers/failure`` is configured).
    case failed(any Error)
    /// The operation exceeded the invocation timeout (when ``FallbackTriggers/timeout`` is configured).
    case timedOut(CallTimeoutError)

    /// A short description of the reason.
    public var description: String {
        switch self {
        case .rejected(let error): "rejected: \(error)"
        case .failed(let error): "failed: \(error)"
        case .timedOut(let error): "timed out: \(error)"
        }
    }
}
