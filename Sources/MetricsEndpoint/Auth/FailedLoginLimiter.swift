import CircuitBreakerInternals
import PortableRoutes

/// Limits failed logins per client address with a token bucket, so that guessing passwords, or burning the
/// server's CPU on bcrypt, costs an attacker time.
///
/// Each address has a bucket of ``burst`` tokens that refills at one token per ``refillInterval``. A login that
/// needs a bcrypt check takes a token before the check starts (so at most ``burst`` checks of one address run or
/// wait at once) and gives it back if the password was right; a wrong password, an unknown user or a malformed
/// header keeps it. An address with an empty bucket is answered `429 Too Many Requests` with `Retry-After` (the
/// seconds until its next token), before any bcrypt work. Credentials already known good skip the bucket
/// (``Authenticator``), so an attacker sharing an address with an operator who is logged in does not lock the
/// operator out.
///
/// The table of addresses is bounded (``maximumAddresses``): when it is full, buckets that have refilled (which are
/// the same as no entry) are forgotten first, then the oldest. Times come from the server's ``ServerClock``, so
/// tests drive the refill by hand.
package final class FailedLoginLimiter: Sendable {
    private struct Bucket {
        /// Tokens, in units of 1/``FailedLoginLimiter/scale`` token, as of `updated`.
        var tokens: UInt64
        var updated: UInt64
    }

    /// What ``take(_:now:)`` decided.
    package enum Decision: Equatable {
        /// A token was taken.
        case allowed
        /// The bucket is empty: retry after this many seconds (at least 1).
        case throttled(retryAfterSeconds: Int)
    }

    package let burst: Int
    package let refillInterval: Duration
    package let maximumAddresses: Int
    private let refillNanoseconds: UInt64
    private static let scale: UInt64 = 1_000
    private let state = Locked<[PeerAddress: Bucket]>([:])

    package init(burst: Int = 10, refillInterval: Duration = .seconds(1), maximumAddresses: Int = 4_096) {
        self.burst = max(1, burst)
        self.refillInterval = refillInterval
        self.refillNanoseconds = max(1, refillInterval.clampedNanoseconds)
        self.maximumAddresses = max(1, maximumAddresses)
    }

    private var full: UInt64 { UInt64(self.burst) * Self.scale }

    /// The bucket of `peer` refilled to `now`.
    private func refilled(_ bucket: Bucket?, now: UInt64) -> Bucket {
        guard let bucket else { return Bucket(tokens: self.full, updated: now) }
        let elapsed = now &- bucket.updated
        guard now > bucket.updated else { return bucket }
        // Checked: elapsed may be huge after a long quiet time.
        let (gained, overflow) = (elapsed / self.refillNanoseconds).multipliedReportingOverflow(by: Self.scale)
        let partial = (elapsed % self.refillNanoseconds) * Self.scale / self.refillNanoseconds
        let tokens = overflow ? self.full : min(self.full, bucket.tokens &+ min(gained &+ partial, self.full))
        return Bucket(tokens: tokens, updated: now)
    }

    /// Takes a token for a login attempt of `peer`.
    package func take(_ peer: PeerAddress, now: UInt64) -> Decision {
        self.state.withLock { buckets in
            var bucket = self.refilled(buckets[peer], now: now)
            guard bucket.tokens >= Self.scale else {
                let missing = Self.scale - bucket.tokens
                let waitNanoseconds = (missing * self.refillNanoseconds + Self.scale - 1) / Self.scale
                buckets[peer] = bucket
                let seconds = max(1, (waitNanoseconds + 999_999_999) / 1_000_000_000)
                return .throttled(retryAfterSeconds: Int(clamping: seconds))
            }
            bucket.tokens -= Self.scale
            if buckets[peer] == nil, buckets.count >= self.maximumAddresses { self.makeRoom(&buckets, now: now) }
            buckets[peer] = bucket
            return .allowed
        }
    }

    /// Gives back the token of an attempt that succeeded.
    package func giveBack(_ peer: PeerAddress, now: UInt64) {
        self.state.withLock { buckets in
            guard buckets[peer] != nil else { return }
            var bucket = self.refilled(buckets[peer], now: now)
            bucket.tokens = min(self.full, bucket.tokens + Self.scale)
            buckets[peer] = bucket
        }
    }

    /// The tokens `peer` has now (whole ones).
    package func tokens(of peer: PeerAddress, now: UInt64) -> Int {
        self.state.withLock { Int(self.refilled($0[peer], now: now).tokens / Self.scale) }
    }

    /// The addresses tracked.
    package var trackedAddresses: Int {
        self.state.withLock { $0.count }
    }

    private func makeRoom(_ buckets: inout [PeerAddress: Bucket], now: UInt64) {
        for (peer, bucket) in buckets where self.refilled(bucket, now: now).tokens >= self.full {
            buckets[peer] = nil
        }
        while buckets.count >= self.maximumAddresses,
            let oldest = buckets.min(by: { $0.value.updated < $1.value.updated })?.key
        {
            buckets[oldest] = nil
        }
    }
}
