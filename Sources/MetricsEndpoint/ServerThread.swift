#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Starts a plain pthread that runs `body` once, and returns its handle to join, or `nil` when the system refuses a
/// thread. The server's render thread and deadline reaper are plain threads rather than tasks: they must keep
/// working when the application's Swift concurrency pool is saturated or blocked.
package func startServerThread(_ body: @escaping @Sendable () -> Void) -> pthread_t? {
    let retained = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    var thread = pthread_t()
    let result = pthread_create(
        &thread,
        nil,
        { argument in
            guard let argument else { return nil }
            Unmanaged<ThreadBody>.fromOpaque(argument).takeRetainedValue().run()
            return nil
        },
        retained
    )
    guard result == 0 else {
        Unmanaged<ThreadBody>.fromOpaque(retained).release()
        return nil
    }
    return thread
}

/// What a thread started by ``startServerThread(_:)`` runs, passed through `pthread_create`'s argument.
private final class ThreadBody: Sendable {
    let run: @Sendable () -> Void

    init(_ run: @escaping @Sendable () -> Void) {
        self.run = run
    }
}
