/// An HTTP request method, such as `GET` or `POST`.
///
/// A struct rather than an enum: methods are an open set, and new ones break nobody.
public struct HTTPMethod: Hashable, Sendable, CustomStringConvertible {
    /// The method token as sent on the request line, for example `"GET"`.
    public let name: String

    /// A method by its token (case-sensitive, as HTTP defines it).
    public init(_ name: String) {
        self.name = name
    }

    /// `GET`. A route that answers `GET` also answers `HEAD`.
    public static let get = HTTPMethod("GET")
    /// `HEAD`: like `GET` without the body; answered by every `GET` route.
    public static let head = HTTPMethod("HEAD")
    /// `POST`.
    public static let post = HTTPMethod("POST")
    /// `PUT`.
    public static let put = HTTPMethod("PUT")
    /// `PATCH`.
    public static let patch = HTTPMethod("PATCH")
    /// `DELETE`.
    public static let delete = HTTPMethod("DELETE")

    /// The method token.
    public var description: String { self.name }
}
