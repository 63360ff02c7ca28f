import CircuitBreakerInternals
import PortableRoutes

/// A request whose credentials are being checked by the ``AuthenticationPool``: the hand-over between the pool
/// thread that computes the outcome and libmicrohttpd's thread that answers the request.
///
/// libmicrohttpd's thread calls ``park(wake:)`` after suspending the connection; the pool thread calls
/// ``complete(_:)``, which resumes the connection if it was parked. Whichever comes second does the work, so the
/// connection is resumed exactly once, and never before it was suspended.
package final class PendingAuthentication: Sendable {
    /// How a check ended.
    package enum Outcome: Sendable, Equatable {
        /// The credentials are a configured user's.
        case user(AuthenticatedUser)
        /// They are not (wrong password, unknown user).
        case refused
        /// The check was not run: the pool is full, stopping, or the request waited past its deadline.
        case unavailable
    }

    private struct State {
        var outcome: Outcome?
        var wake: (@Sendable () -> Void)?
    }

    package let job: Authenticator.Job
    /// The server-clock time after which the check is not started any more.
    package let deadline: UInt64
    private let state = Locked(State())

    package init(job: Authenticator.Job, deadline: UInt64) {
        self.job = job
        self.deadline = deadline
    }

    /// The outcome, once there is one.
    package var outcome: Outcome? {
        self.state.withLock { $0.outcome }
    }

    /// Records the outcome and resumes the parked connection, if any. Only the first call counts.
    package func complete(_ outcome: Outcome) {
        let wake = self.state.withLock { state -> (@Sendable () -> Void)? in
            guard state.outcome == nil else { return nil }
            state.outcome = outcome
            defer { state.wake = nil }
            return state.wake
        }
        wake?()
    }

    /// Called after suspending the connection: records `wake` and returns true, or returns false when the outcome
    /// is there already (the caller resumes the connection itself).
    package func park(wake: @escaping @Sendable () -> Void) -> Bool {
        self.state.withLock { state in
            guard state.outcome == nil else { return false }
            state.wake = wake
            return true
        }
    }
}
