/// Decides whether an error thrown by a protected operation counts as a failure of the dependency.
///
/// An error that is not a failure (a validation error caused by the caller, a cancellation) is reported as
/// *ignored*: it is rethrown to the caller but does not move the breaker. Classifiers carry a name so that two
/// configurations can be compared (a closure cannot be): give different predicates different names.
public struct ErrorClassifier: Sendable, Hashable, CustomStringConvertible {
    /// The name that identifies this predicate when configurations are compared.
    public let name: String
    /// The predicate: `true` when the error counts as a failure.
    public let isFailure: @Sendable (any Error) -> Bool

    /// Creates a classifier from a name and a predicate returning `true` for failures.
    public init(_ name: String, isFailure: @escaping @Sendable (any Error) -> Bool) {
        self.name = name
        self.isFailure = isFailure
    }

    /// Every error is a failure except `CancellationError`, which means the caller gave up, not the dependency.
    public static let `default` = ErrorClassifier("default") { !($0 is CancellationError) }

    /// Every error is a failure, cancellation included.
    public static let allErrors = ErrorClassifier("all-errors") { _ in true }

    /// Classifiers are equal when their names are.
    public static func == (lhs: ErrorClassifier, rhs: ErrorClassifier) -> Bool { lhs.name == rhs.name }

    /// Hashes the name.
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    /// The classifier's name.
    public var description: String { name }
}
