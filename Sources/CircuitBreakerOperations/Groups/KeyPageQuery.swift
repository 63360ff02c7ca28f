import CircuitBreaker

/// Which keys of a group `GET /api/v1/groups/{group}` lists: at most ``limit`` keys in UTF-8 byte order (the order
/// the group compares keys in), those after ``after`` (the `next_after` of the previous page), and only those in
/// ``state`` when given. A group may hold 10,000 keys or more, so a document never lists them all: it says how many
/// match (`matching_keys`) and where the next page starts.
struct KeyPageQuery: Sendable, Hashable {
    /// The keys listed when no `limit` is given.
    static let defaultLimit = 100
    /// The most keys one page lists.
    static let maximumLimit = 1_000

    /// Which states a page lists.
    enum StateFilter: Sendable, Hashable {
        case any
        case only(CircuitState)
        case notClosed

        func matches(_ state: CircuitState) -> Bool {
            switch self {
            case .any: true
            case .only(let wanted): state == wanted
            case .notClosed: state != .closed
            }
        }
    }

    var limit = defaultLimit
    var after: String?
    var state = StateFilter.any

    init() {}

    /// Reads `limit`, `after` and `state` from the query parameters; any other parameter is ignored (like the other
    /// routes, which take none).
    ///
    /// - Throws: ``OperationsError/Code/invalidQuery`` for a `limit` that is not a whole number from 1 to
    ///   ``maximumLimit``, an empty `after`, or a `state` that is not a state's label or `not_closed`.
    init(parameters: [String: String]) throws(OperationsError) {
        if let text = parameters["limit"] {
            // At most four digits before any conversion: the text comes from the request.
            guard (1...4).contains(text.utf8.count), text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                let value = Int(text), (1...Self.maximumLimit).contains(value)
            else {
                throw OperationsError(
                    .invalidQuery,
                    "limit must be a whole number from 1 to \(Self.maximumLimit)"
                )
            }
            limit = value
        }
        if let after = parameters["after"] {
            guard !after.isEmpty else { throw OperationsError(.invalidQuery, "after must not be empty") }
            self.after = after
        }
        if let text = parameters["state"] {
            if text == "not_closed" {
                state = .notClosed
            } else if let found = CircuitState.allCases.first(where: { $0.label == text }) {
                state = .only(found)
            } else {
                throw OperationsError(
                    .invalidQuery,
                    "state must be closed, open, half_open, forced_open, disabled or not_closed"
                )
            }
        }
    }
}

extension String {
    /// Whether the string sorts before `other` byte by byte (UTF-8): the order of keys in the API's pages.
    func precedesByBytes(_ other: String) -> Bool {
        utf8.lexicographicallyPrecedes(other.utf8)
    }
}
