/// The shape of the core's public choices that will grow (``TransitionReason``, ``BreakerOverride/Action``): a
/// struct over an enum of the names this version knows, so that a name added later never breaks a user's
/// `switch`. Each conforming type keeps its public API (`init?(rawValue:)`, `rawValue`, `allCases`) with its own
/// documentation, and forwards to what is written once here.
protocol NamedChoice: Hashable {
    /// The names this version knows, spelled as in logs, labels and the operations API.
    associatedtype Backing: RawRepresentable, CaseIterable, Hashable where Backing.RawValue == String

    /// This value's name.
    var backing: Backing { get }

    /// The value named `backing`.
    init(backing: Backing)
}

extension NamedChoice {
    /// The value whose name is `rawValue`, if this version knows it.
    init?(named rawValue: String) {
        guard let backing = Backing(rawValue: rawValue) else { return nil }
        self.init(backing: backing)
    }

    /// Every value this version knows, in declaration order.
    static var everyKnownValue: [Self] { Backing.allCases.map(Self.init(backing:)) }
}
