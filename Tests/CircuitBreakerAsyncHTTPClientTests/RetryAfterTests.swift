#if AsyncHTTPClientSupport
    import AsyncHTTPClient
    import CircuitBreaker
    import NIOHTTP1
    import Testing

    @testable import CircuitBreakerAsyncHTTPClient

    /// `Retry-After` on real 503 and 429 responses, read against a manual clock whose wall clock starts at
    /// 1,700,000,000 s (Tue, 14 Nov 2023 22:13:20 GMT). Each key trips on its first failure and waits 10 s; the default
    /// cap is 300 s. A rejection's `retryAfter` shows how long the key is held open.
    @Suite struct RetryAfterTests {
        /// A value and the open wait it leaves, in seconds: 10 when it is ignored.
        struct Case: Sendable, CustomTestStringConvertible {
            let value: String
            let expectedSeconds: Int64
            var testDescription: String { "\"\(value)\" → \(expectedSeconds) s" }
        }

        static let cases: [Case] = [
            Case(value: "120", expectedSeconds: 120),
            Case(value: "  120 ", expectedSeconds: 120),
            Case(value: "5", expectedSeconds: 10),  // shorter than the wait left: changes nothing
            Case(value: "0", expectedSeconds: 10),
            Case(value: "300", expectedSeconds: 300),
            Case(value: "301", expectedSeconds: 300),  // capped
            Case(value: "99999999999999999999999999999999999999999", expectedSeconds: 300),
            Case(value: "Tue, 14 Nov 2023 22:15:20 GMT", expectedSeconds: 120),
            Case(value: "Tuesday, 14-Nov-23 22:15:20 GMT", expectedSeconds: 120),
            Case(value: "Tue Nov 14 22:15:20 2023", expectedSeconds: 120),
            Case(value: "Tue Nov  4 22:15:20 2023", expectedSeconds: 10),  // in the past
            Case(value: "Fri, 31 Dec 9999 23:59:59 GMT", expectedSeconds: 300),  // capped
            Case(value: "Thu, 01 Jan 1970 00:00:00 GMT", expectedSeconds: 10),
            // Hostile and malformed values are ignored.
            Case(value: "1e30", expectedSeconds: 10),
            Case(value: "-5", expectedSeconds: 10),
            Case(value: "-99999999999999999999999", expectedSeconds: 10),
            Case(value: "+120", expectedSeconds: 10),
            Case(value: "120.5", expectedSeconds: 10),
            Case(value: "0x78", expectedSeconds: 10),
            Case(value: "120 seconds", expectedSeconds: 10),
            Case(value: "garbage", expectedSeconds: 10),
            Case(value: "", expectedSeconds: 10),
            Case(value: "NaN", expectedSeconds: 10),
            Case(value: "inf", expectedSeconds: 10),
            Case(value: "Tue, 14 Nov 99999 22:15:20 GMT", expectedSeconds: 10),
            Case(value: "Tue, 31 Feb 2024 22:15:20 GMT", expectedSeconds: 10),
            Case(value: "Tue, 14 Nov 2023 24:00:00 GMT", expectedSeconds: 10),
            Case(value: "Tue, 14 Nov 2023 22:15:20 UTC", expectedSeconds: 10),
            Case(value: "Tue, 14 Nov 2023 22:15:20 GMT trailing", expectedSeconds: 10),
            Case(value: "Xyz, 14 Nov 2023 22:15:20 GMT", expectedSeconds: 10),
            Case(value: String(repeating: "9", count: 4_000), expectedSeconds: 300),
            Case(value: String(repeating: "Tue, ", count: 500), expectedSeconds: 10),
        ]

        @Test(arguments: cases, [HTTPResponseStatus.serviceUnavailable, .tooManyRequests])
        func retryAfterHoldsTheKeyOpenAsDocumented(_ retry: Case, status: HTTPResponseStatus) async throws {
            try await withUpstreams { upstreams, client in
                let upstream = upstreams[0]
                upstream.replyToAll(.respond(status, headers: ["retry-after": retry.value]))
                let group = try partnersGroup(clock: ManualClock())
                let partners = CircuitBreakingHTTPClient(client: client, group: group)
                #expect(try await partners.get(upstream.baseURL + "/").status == status)
                let rejected = await #expect(throws: RequestRejectedError.self) {
                    try await partners.get(upstream.baseURL + "/")
                }
                #expect(rejected?.retryAfter == .seconds(retry.expectedSeconds))
                #expect(upstream.totalRequests == 1)
            }
        }

        @Test func otherStatusesRetryAfterIsIgnored() async throws {
            try await withUpstreams { upstreams, client in
                let upstream = upstreams[0]
                upstream.replyToAll(.respond(.internalServerError, headers: ["retry-after": "120"]))
                let group = try partnersGroup(clock: ManualClock())
                let partners = CircuitBreakingHTTPClient(client: client, group: group)
                _ = try await partners.get(upstream.baseURL + "/")
                let rejected = await #expect(throws: RequestRejectedError.self) {
                    try await partners.get(upstream.baseURL + "/")
                }
                #expect(rejected?.retryAfter == .seconds(10))
            }
        }

        @Test func aClosedKeyIsNotOpenedByRetryAfter() async throws {
            try await withUpstreams { upstreams, client in
                let upstream = upstreams[0]
                upstream.replyToAll(.respond(.serviceUnavailable, headers: ["retry-after": "120"]))
                let group = try partnersGroup(clock: ManualClock(), threshold: 3)
                let partners = CircuitBreakingHTTPClient(client: client, group: group)
                _ = try await partners.get(upstream.baseURL + "/")
                #expect(state(of: upstream.originKey, in: group) == .closed)
            }
        }

        @Test func theMaximumRetryAfterKnobCapsAndZeroIgnores() async throws {
            try await withUpstreams { upstreams, client in
                let upstream = upstreams[0]
                upstream.replyToAll(.respond(.serviceUnavailable, headers: ["retry-after": "3600"]))
                for (maximum, expected) in [(Duration.seconds(60), Duration.seconds(60)), (.zero, .seconds(10))] {
                    let group = try partnersGroup(clock: ManualClock())
                    let partners = CircuitBreakingHTTPClient(
                        client: client,
                        group: group,
                        configuration: .init(maximumRetryAfter: maximum)
                    )
                    _ = try await partners.get(upstream.baseURL + "/")
                    let rejected = await #expect(throws: RequestRejectedError.self) {
                        try await partners.get(upstream.baseURL + "/")
                    }
                    #expect(rejected?.retryAfter == expected)
                }
            }
        }

        @Test func theHoldEndsAndTheKeyProbesAgain() async throws {
            try await withUpstreams { upstreams, client in
                let upstream = upstreams[0]
                upstream.replyToAll(.respond(.tooManyRequests, headers: ["retry-after": "60"]))
                let clock = ManualClock()
                let group = try partnersGroup(clock: clock)
                let partners = CircuitBreakingHTTPClient(client: client, group: group)
                _ = try await partners.get(upstream.baseURL + "/")
                clock.advance(by: .seconds(59))
                let rejected = await #expect(throws: RequestRejectedError.self) {
                    try await partners.get(upstream.baseURL + "/")
                }
                #expect(rejected?.retryAfter == .seconds(1))
                upstream.replyToAll(.respond(.ok))
                clock.advance(by: .seconds(1))
                #expect(try await partners.get(upstream.baseURL + "/").status == .ok)
                #expect(state(of: upstream.originKey, in: group) == .closed)
                #expect(upstream.totalRequests == 2)
            }
        }

        // The parser alone, on values no server is needed for.

        @Test func deltaSecondsSaturateAndNeverTrap() {
            #expect(RetryAfter.seconds(in: "120", nowSeconds: 0) == 120)
            #expect(
                RetryAfter.seconds(in: String(repeating: "9", count: 100_000), nowSeconds: 0)
                    == RetryAfter.largestSeconds
            )
            #expect(RetryAfter.seconds(in: "9223372036854775808", nowSeconds: 0) == RetryAfter.largestSeconds)
            #expect(RetryAfter.seconds(in: "1\u{0}", nowSeconds: 0) == nil)
            #expect(RetryAfter.seconds(in: "１２０", nowSeconds: 0) == nil)  // full-width digits are not DIGIT
        }

        @Test func datesAgainstHostileClocksNeverTrap() {
            let date = "Fri, 31 Dec 9999 23:59:59 GMT"
            for now in [Double.nan, .infinity, -.infinity, 1e300, -1e300, Double(Int64.max), -Double(Int64.max)] {
                #expect(RetryAfter.seconds(in: date, nowSeconds: now) == nil)
            }
            #expect(RetryAfter.seconds(in: "Sunday, 06-Nov-94 08:49:37 GMT", nowSeconds: 1e14) == nil)
            #expect(RetryAfter.seconds(in: date, nowSeconds: -9e14) == RetryAfter.largestSeconds)
        }

        @Test func httpDatesMatchKnownUnixTimes() {
            let now = 0.0
            #expect(
                HTTPDate.unixSeconds(Array("Sun, 06 Nov 1994 08:49:37 GMT".utf8)[...], nowSeconds: now) == 784_111_777
            )
            #expect(HTTPDate.unixSeconds(Array("Sun Nov  6 08:49:37 1994".utf8)[...], nowSeconds: now) == 784_111_777)
            // A two-digit year is the nearest such year not more than 50 years ahead of now (1970 here, 2023 below).
            #expect(
                HTTPDate.unixSeconds(Array("Sunday, 06-Nov-94 08:49:37 GMT".utf8)[...], nowSeconds: now) == 784_111_777
            )
            #expect(
                HTTPDate.unixSeconds(Array("Thursday, 06-Nov-70 08:49:37 GMT".utf8)[...], nowSeconds: 1_700_000_000)
                    == HTTPDate.unixSeconds(Array("Thu, 06 Nov 2070 08:49:37 GMT".utf8)[...], nowSeconds: 0)
            )
            #expect(
                HTTPDate.unixSeconds(Array("Sunday, 06-Nov-94 08:49:37 GMT".utf8)[...], nowSeconds: 1_700_000_000)
                    == 784_111_777
            )
            #expect(
                HTTPDate.unixSeconds(Array("Thu, 29 Feb 2024 00:00:00 GMT".utf8)[...], nowSeconds: now) == 1_709_164_800
            )
            #expect(HTTPDate.unixSeconds(Array("Thu, 29 Feb 2023 00:00:00 GMT".utf8)[...], nowSeconds: now) == nil)
            #expect(
                HTTPDate.unixSeconds(Array("Sat, 01 Jan 0000 00:00:00 GMT".utf8)[...], nowSeconds: now)
                    == -62_167_219_200
            )
            #expect(HTTPDate.civilYear(ofDay: 19_675) == 2023)
            #expect(HTTPDate.civilYear(ofDay: -1) == 1969)
        }
    }
#endif
