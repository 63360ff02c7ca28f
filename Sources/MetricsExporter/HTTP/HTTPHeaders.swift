/// Header fields in order, with case-insensitive lookup by name.
public struct HTTPHeaders: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    /// One header field.
    public struct Field: Sendable, Hashable {
        /// The field name as given.
        public var name: String
        /// The field value.
        public var value: String

        /// A field.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    private var fields: [Field]

    /// Empty headers.
    public init() {
        self.fields = []
    }

    /// Headers from name-value pairs, in order.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.fields = elements.map { Field(name: $0.0, value: $0.1) }
    }

    /// The value of the first field with this name (case-insensitive), or `nil`.
    public subscript(_ name: String) -> String? {
        self.fields.first { $0.name.equalsIgnoringASCIICase(name) }?.value
    }

    /// Every value of the fields with this name, in order.
    public func values(of name: String) -> [String] {
        self.fields.filter { $0.name.equalsIgnoringASCIICase(name) }.map(\.value)
    }

    /// Appends a field (keeping any others of the same name).
    public mutating func add(name: String, value: String) {
        self.fields.append(Field(name: name, value: value))
    }

    /// Replaces every field of this name with one.
    public mutating func replace(name: String, value: String) {
        self.fields.removeAll { $0.name.equalsIgnoringASCIICase(name) }
        self.fields.append(Field(name: name, value: value))
    }

    /// Iterates the fields in order.
    public func makeIterator() -> IndexingIterator<[Field]> {
        self.fields.makeIterator()
    }

    /// The number of fields.
    public var count: Int { self.fields.count }
}

extension String {
    /// Compares two strings, ASCII letters case-insensitively (header names are ASCII).
    func equalsIgnoringASCIICase(_ other: String) -> Bool {
        guard self.utf8.count == other.utf8.count else { return false }
        return zip(self.utf8, other.utf8).allSatisfy { asciiLowercased($0) == asciiLowercased($1) }
    }
}

/// The byte with ASCII `A`-`Z` mapped to `a`-`z`.
@inline(__always)
func asciiLowercased(_ byte: UInt8) -> UInt8 {
    (0x41...0x5A).contains(byte) ? byte | 0x20 : byte
}
