#if HummingbirdSupport
import Hummingbird
import NIOCore

/// A Hummingbird request context that knows the client's address, so that failed logins are limited per address
/// (see ``HummingbirdRoutes``). Use it for the router (`Router(context: ClientAddressContext.self)`), or conform a
/// context of your own to Hummingbird's `RemoteAddressRequestContext`.
public struct ClientAddressContext: RequestContext, RemoteAddressRequestContext {
    /// Hummingbird's part of the context.
    public var coreContext: CoreRequestContextStorage
    /// The connected client's address.
    public let remoteAddress: SocketAddress?

    /// The context of a request arriving on a channel.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}
#endif
