/// Why a call's fallback runs.
///
/// An enum on purpose: a fallback switches over it to choose what to serve, and each case carries its error. A new
/// reason would need every fallback to decide what to do with it, so adding one is a breaking change by nature.
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
