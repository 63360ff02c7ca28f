/// Which outcomes run the fallback of a call made with a fallback.
public struct FallbackTriggers: OptionSet, Sendable, Hashable {
    /// The raw bit set.
    public let rawValue: UInt8

    /// Creates a set from its raw bits.
    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// The breaker rejected the call (open, forced open, or half-open with every trial slot taken).
    public static let rejection = FallbackTriggers(rawValue: 1 << 0)
    /// The operation threw an error classified as a failure, or returned a result classified as one.
    public static let failure = FallbackTriggers(rawValue: 1 << 1)
    /// The operation exceeded the invocation timeout.
    public static let timeout = FallbackTriggers(rawValue: 1 << 2)
    /// Every trigger.
    public static let all: FallbackTriggers = [.rejection, .failure, .timeout]
}
