#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The process's limit on open files, which bounds how many connections a server can hold: each is a descriptor.
///
/// Many systems start processes with a soft limit of 1,024 and a much higher hard limit. A server configured for
/// more connections raises its soft limit as far as it needs, never beyond the hard limit (as Go's runtime does for
/// every program); if the hard limit is too low, the server holds fewer connections and says so.
enum FileDescriptorLimit {
    /// Descriptors left for the rest of the process (its files, sockets and libraries).
    static let margin = 256

    /// What ``reserve(connections:)`` found.
    struct Outcome: Equatable {
        /// The connections that fit (at most those asked for).
        var connections: Int
        /// The soft limit before, if it was raised.
        var raisedFrom: UInt64?
        /// The soft limit now.
        var limit: UInt64
    }

    /// Makes room for `connections` descriptors beside ``margin``: raises the soft limit if it is lower (up to the
    /// hard limit) and returns how many connections fit.
    static func reserve(connections: Int) -> Outcome {
        var limits = rlimit()
        guard getrlimit(resource, &limits) == 0 else {
            return Outcome(connections: connections, raisedFrom: nil, limit: .max)
        }
        let needed = rlim_t(connections + margin)
        var raisedFrom: UInt64?
        if limits.rlim_cur != unlimited, limits.rlim_cur < needed {
            var raised = limits
            raised.rlim_cur = limits.rlim_max == unlimited ? needed : min(needed, limits.rlim_max)
            if raised.rlim_cur > limits.rlim_cur, setrlimit(resource, &raised) == 0 {
                raisedFrom = UInt64(limits.rlim_cur)
                limits = raised
            }
        }
        let available = limits.rlim_cur == unlimited ? UInt64.max : UInt64(limits.rlim_cur)
        let fits = available > UInt64(margin) ? available - UInt64(margin) : 0
        return Outcome(
            connections: Int(min(UInt64(connections), fits)),
            raisedFrom: raisedFrom,
            limit: available
        )
    }

    /// `RLIM_INFINITY`, `(rlim_t)-1`, which Swift does not import.
    private static let unlimited = rlim_t.max

    #if canImport(Glibc)
        private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
        private static let resource = RLIMIT_NOFILE
    #endif
}
