import CircuitBreakerInternals
import CircuitBreaker
import CircuitBreakerTestKit
import Prometheus
import Testing

@testable import CircuitBreakerPrometheus

@Suite struct PrometheusMonitorTests {
    @Test func everySeriesExistsAtZeroFromRegistration() throws {
        let monitor = PrometheusMonitor()
        let clock = ManualClock(wallClockOrigin: 1_700_000_000)
        _ = try CircuitBreaker(name: "payments", configuration: .default, monitors: [monitor], clock: .manual(clock))
        let samples = ExpositionSamples(monitor.emitToString())

        for state in CircuitState.allCases {
            #expect(
                samples[#"circuit_breaker_state{breaker="payments",state="\#(state.label)"}"#]
                    == (state == .closed ? 1 : 0)
            )
        }
        for outcome in ["success", "failure", "timeout", "ignored", "rejected"] {
            #expect(samples[#"circuit_breaker_calls_total{breaker="payments",outcome="\#(outcome)"}"#] == 0)
        }
        #expect(samples.keys(of: "circuit_breaker_transitions_total").count == 15)
        for (from, to) in StateTable.possiblePairs.map({ (StateTable.labels[Int($0)], StateTable.labels[Int($1)]) }) {
            #expect(samples[#"circuit_breaker_transitions_total{breaker="payments",from="\#(from)",to="\#(to)"}"#] == 0)
        }
        #expect(samples[#"circuit_breaker_slow_calls_total{breaker="payments"}"#] == 0)
        #expect(samples[#"circuit_breaker_fallbacks_total{breaker="payments",result="success"}"#] == 0)
        #expect(samples[#"circuit_breaker_fallbacks_total{breaker="payments",result="failure"}"#] == 0)
        #expect(samples[#"circuit_breaker_failure_ratio{breaker="payments"}"#] == 0)
        #expect(samples[#"circuit_breaker_slow_call_ratio{breaker="payments"}"#] == 0)
        #expect(samples[#"circuit_breaker_failure_ratio_threshold{breaker="payments"}"#] == 0.5)
        #expect(samples[#"circuit_breaker_state_change_timestamp_seconds{breaker="payments"}"#] == 1_700_000_000)
        #expect(samples["circuit_breaker_registrations_rejected_total"] == 0)
        #expect(samples.keys(of: "circuit_breaker_call_duration_seconds_bucket").isEmpty)
        for state in CircuitState.allCases {
            #expect(samples[#"circuit_breaker_state_seconds_total{breaker="payments",state="\#(state.label)"}"#] == 0)
        }
        for action in ["force_open", "disable", "reset"] {
            #expect(samples[#"circuit_breaker_overrides_total{breaker="payments",action="\#(action)"}"#] == 0)
        }
        #expect(samples[#"circuit_breaker_override_expiry_timestamp_seconds{breaker="payments"}"#] == 0)
        #expect(samples[#"circuit_breaker_calls_total{breaker="payments",outcome="shadow_rejected"}"#] == nil)
        // 5 + 5 + 15 + 1 + 2 + 2 + 1 + 1 + 5 + 3 + 1 series for the breaker, plus the registry's rejection counter.
        #expect(samples.values.count == 42)
        // Every family a breaker exports (a group's and its keys' come with groups: GroupSeriesTests).
        for family in MetricContract.families where family.scopes.contains(.breaker) || family.scopes == [.registry] {
            guard family.name != MetricContract.callDuration.name else { continue }
            #expect(samples.helpLines.contains(family.name), "no HELP for \(family.name)")
        }
    }

    @Test func consecutiveFailureBreakerHasNoRatioOrThresholdSeries() throws {
        let monitor = PrometheusMonitor()
        _ = try CircuitBreaker(name: "seed", configuration: .consecutiveFailures(5), monitors: [monitor])
        let samples = ExpositionSamples(monitor.emitToString())
        #expect(samples.keys(of: "circuit_breaker_failure_ratio_threshold").isEmpty)
        #expect(samples.keys(of: "circuit_breaker_failure_ratio").isEmpty)
        #expect(samples.keys(of: "circuit_breaker_slow_call_ratio").isEmpty)
        #expect(samples[#"circuit_breaker_state{breaker="seed",state="closed"}"#] == 1)
    }

    @Test func countsOutcomesTransitionsAndState() throws {
        let monitor = PrometheusMonitor()
        let clock = ManualClock(wallClockOrigin: 1_700_000_000)
        let breaker = try CircuitBreaker(
            name: "db",
            configuration: .consecutiveFailures(2, openWait: .seconds(10)),
            monitors: [monitor],
            clock: .manual(clock)
        )
        _ = try breaker.execute { 42 }
        _ = try breaker.execute { 43 }
        _ = try? breaker.execute { () throws -> Int in throw CancellationError() }  // ignored by default
        clock.advance(by: .seconds(3))
        _ = try? breaker.execute { () throws -> Int in throw TestFailure() }
        _ = try? breaker.execute { () throws -> Int in throw TestFailure() }  // trips
        _ = try? breaker.execute { 1 }  // rejected
        // Rejected too, and the fallback runs.
        _ = try breaker.execute({ () throws -> Int in throw TestFailure() }, fallback: { _ in 0 })

        let samples = ExpositionSamples(monitor.emitToString())
        #expect(samples[#"circuit_breaker_calls_total{breaker="db",outcome="success"}"#] == 2)
        #expect(samples[#"circuit_breaker_calls_total{breaker="db",outcome="ignored"}"#] == 1)
        #expect(samples[#"circuit_breaker_calls_total{breaker="db",outcome="failure"}"#] == 2)
        #expect(samples[#"circuit_breaker_calls_total{breaker="db",outcome="rejected"}"#] == 2)
        #expect(samples[#"circuit_breaker_fallbacks_total{breaker="db",result="success"}"#] == 1)
        #expect(samples[#"circuit_breaker_transitions_total{breaker="db",from="closed",to="open"}"#] == 1)
        #expect(samples[#"circuit_breaker_state{breaker="db",state="open"}"#] == 1)
        #expect(samples[#"circuit_breaker_state{breaker="db",state="closed"}"#] == 0)
        #expect(samples[#"circuit_breaker_state_change_timestamp_seconds{breaker="db"}"#] == 1_700_000_003)

        breaker.forceOpen()
        breaker.disable()
        breaker.reset()
        let after = ExpositionSamples(monitor.emitToString())
        #expect(after[#"circuit_breaker_transitions_total{breaker="db",from="open",to="forced_open"}"#] == 1)
        #expect(after[#"circuit_breaker_transitions_total{breaker="db",from="forced_open",to="disabled"}"#] == 1)
        #expect(after[#"circuit_breaker_transitions_total{breaker="db",from="disabled",to="closed"}"#] == 1)
        #expect(after[#"circuit_breaker_state{breaker="db",state="closed"}"#] == 1)
        #expect(after[#"circuit_breaker_state{breaker="db",state="open"}"#] == 0)
        #expect(after.keys(of: "circuit_breaker_transitions_total").count == 15)
    }

    @Test func halfOpenProbeCycleIsCounted() throws {
        let monitor = PrometheusMonitor()
        let clock = ManualClock()
        let breaker = try CircuitBreaker(
            name: "probe",
            configuration: .consecutiveFailures(1, openWait: .seconds(1)),
            monitors: [monitor],
            clock: .manual(clock)
        )
        _ = try? breaker.execute { () throws -> Int in throw TestFailure() }
        clock.advance(by: .seconds(2))
        _ = try? breaker.execute { () throws -> Int in throw TestFailure() }  // trial fails: half-open → open
        clock.advance(by: .seconds(2))
        _ = try breaker.execute { 1 }  // trial succeeds: half-open → closed
        let samples = ExpositionSamples(monitor.emitToString())
        #expect(samples[#"circuit_breaker_transitions_total{breaker="probe",from="closed",to="open"}"#] == 1)
        #expect(samples[#"circuit_breaker_transitions_total{breaker="probe",from="open",to="half_open"}"#] == 2)
        #expect(samples[#"circuit_breaker_transitions_total{breaker="probe",from="half_open",to="open"}"#] == 1)
        #expect(samples[#"circuit_breaker_transitions_total{breaker="probe",from="half_open",to="closed"}"#] == 1)
        #expect(samples[#"circuit_breaker_state{breaker="probe",state="closed"}"#] == 1)
        #expect(samples.keys(of: "circuit_breaker_transitions_total").count == 15)
    }

    @Test func ratioGaugesAreRefreshedBeforeRendering() throws {
        let monitor = PrometheusMonitor()
        let configuration = CircuitBreaker.Configuration(trip: .failureRatio(0.9, window: .count(10), minimumCalls: 4))
        let breaker = try CircuitBreaker(name: "ratio", configuration: configuration, monitors: [monitor])
        for index in 0..<3 {
            _ = try? breaker.execute { () throws -> Int in if index == 0 { throw TestFailure() } else { return 1 } }
        }
        // Below the minimum number of calls the ratio is 0.
        #expect(ExpositionSamples(monitor.emitToString())[#"circuit_breaker_failure_ratio{breaker="ratio"}"#] == 0)
        _ = try? breaker.execute { () throws -> Int in throw TestFailure() }
        // No transition happened; the ratio is current because emit refreshes it.
        let samples = ExpositionSamples(monitor.emitToString())
        #expect(samples[#"circuit_breaker_failure_ratio{breaker="ratio"}"#] == 0.5)
        #expect(samples[#"circuit_breaker_failure_ratio_threshold{breaker="ratio"}"#] == 0.9)
        #expect(samples[#"circuit_breaker_state{breaker="ratio",state="closed"}"#] == 1)
    }

    @Test func recordsDurationHistogramsWhenAsked() throws {
        let monitor = PrometheusMonitor(
            configuration: .init(
                recordsDurations: true,
                durationBuckets: [.milliseconds(100), .milliseconds(10), .zero]
            )
        )
        #expect(monitor.wantsDurations)
        let clock = ManualClock()
        let breaker = try CircuitBreaker(name: "timed", monitors: [monitor], clock: .manual(clock))
        _ = try breaker.execute { clock.advance(by: .milliseconds(5)) }
        _ = try breaker.execute { clock.advance(by: .milliseconds(10)) }  // on the bound: in le="0.01"
        _ = try breaker.execute { clock.advance(by: .milliseconds(50)) }
        _ = try? breaker.execute { () throws -> Int in
            clock.advance(by: .seconds(2)); throw TestFailure()
        }

        let samples = ExpositionSamples(monitor.emitToString())
        let success = #"breaker="timed",outcome="success""#
        #expect(samples["circuit_breaker_call_duration_seconds_bucket{\(success),le=\"0.01\"}"] == 2)
        #expect(samples["circuit_breaker_call_duration_seconds_bucket{\(success),le=\"0.1\"}"] == 3)
        #expect(samples["circuit_breaker_call_duration_seconds_bucket{\(success),le=\"+Inf\"}"] == 3)
        #expect(samples["circuit_breaker_call_duration_seconds_count{\(success)}"] == 3)
        #expect(abs((samples["circuit_breaker_call_duration_seconds_sum{\(success)}"] ?? 0) - 0.065) < 1e-9)
        let failure = #"breaker="timed",outcome="failure""#
        #expect(samples["circuit_breaker_call_duration_seconds_bucket{\(failure),le=\"0.1\"}"] == 0)
        #expect(samples["circuit_breaker_call_duration_seconds_bucket{\(failure),le=\"+Inf\"}"] == 1)
        #expect(samples["circuit_breaker_call_duration_seconds_sum{\(failure)}"] == 2)
        // Every executed outcome has its histogram from the start: 3 buckets + sum + count, × 4 outcomes.
        #expect(samples.keys(of: "circuit_breaker_call_duration_seconds_bucket").count == 12)
        #expect(
            samples.text.components(separatedBy: "# TYPE circuit_breaker_call_duration_seconds histogram").count == 2
        )
    }

    @Test func withoutDurationsBreakersDoNotMeasure() throws {
        let monitor = PrometheusMonitor()
        #expect(!monitor.wantsDurations)
        let bound = try monitor.bind(to: BreakerDescription(name: "x", configuration: .default))
        #expect(!bound.wantsDurations)
        let timed = PrometheusMonitor(configuration: .init(recordsDurations: true))
        #expect(try timed.bind(to: BreakerDescription(name: "x", configuration: .default)).wantsDurations)
    }

    @Test func removingABreakerFromItsRegistryRemovesItsSeries() throws {
        let monitor = PrometheusMonitor(configuration: .init(recordsDurations: true))
        let breakers = BreakerRegistry(monitors: [monitor])
        _ = try breakers.breaker(named: "stays")
        let leaving = try breakers.breaker(named: "leaves")
        leaving.forceOpen()
        #expect(monitor.breakerNames == ["leaves", "stays"])
        #expect(monitor.emitToString().contains(#"breaker="leaves""#))

        breakers.remove(named: "leaves")
        let text = monitor.emitToString()
        #expect(!text.contains(#"breaker="leaves""#))
        #expect(text.contains(#"breaker="stays""#))
        #expect(monitor.breakerNames == ["stays"])
        // The name is free again, and the new breaker starts from zero.
        _ = try breakers.breaker(named: "leaves")
        let samples = ExpositionSamples(monitor.emitToString())
        #expect(samples[#"circuit_breaker_transitions_total{breaker="leaves",from="closed",to="forced_open"}"#] == 0)
        #expect(samples[#"circuit_breaker_state{breaker="leaves",state="closed"}"#] == 1)
    }

    @Test func theBreakerLimitRejectsAndCounts() throws {
        let monitor = PrometheusMonitor(configuration: .init(maximumBreakers: 2))
        let breakers = BreakerRegistry(monitors: [monitor])
        _ = try breakers.breaker(named: "a")
        _ = try breakers.breaker(named: "b")
        let error = #expect(throws: PrometheusMonitorError.self) { try breakers.breaker(named: "c") }
        #expect(error?.code == .tooManyBreakers)
        #expect(error?.limit == 2)
        #expect(error?.description.contains("maximum of 2 breakers") == true)
        #expect(breakers.existingBreaker(named: "c") == nil)
        let samples = ExpositionSamples(monitor.emitToString())
        #expect(samples["circuit_breaker_registrations_rejected_total"] == 1)
        #expect(!samples.text.contains(#"breaker="c""#))
        // Removing one makes room.
        breakers.remove(named: "a")
        _ = try breakers.breaker(named: "c")
        #expect(monitor.breakerNames == ["b", "c"])
    }

    @Test func aBreakerNameIsRegisteredOncePerPrometheusRegistry() throws {
        let registry = PrometheusCollectorRegistry()
        let first = PrometheusMonitor(registry: registry)
        let second = PrometheusMonitor(registry: registry, configuration: .init(maximumBreakers: 2))
        let kept = try CircuitBreaker(name: "twin", monitors: [first])
        let error = #expect(throws: PrometheusMonitorError.self) {
            try CircuitBreaker(name: "twin", monitors: [second])
        }
        #expect(error?.code == .duplicateBreakerName)
        _ = try CircuitBreaker(name: "other", monitors: [second])
        // Both monitors see the registry's breakers; the limit counts them all.
        #expect(first.breakerNames == ["other", "twin"])
        #expect(second.breakerNames == ["other", "twin"])
        #expect(throws: PrometheusMonitorError.self) { try CircuitBreaker(name: "third", monitors: [second]) }
        _ = kept
    }

    @Test func aFailedCreationReleasesTheSeries() throws {
        struct Refusing: BreakerMonitor {
            func bind(to breaker: BreakerDescription) throws -> any BreakerMonitor { throw TestFailure() }
        }
        let monitor = PrometheusMonitor()
        #expect(throws: TestFailure.self) { try CircuitBreaker(name: "doomed", monitors: [monitor, Refusing()]) }
        #expect(monitor.breakerNames.isEmpty)
        #expect(!monitor.emitToString().contains("doomed"))
        _ = try CircuitBreaker(name: "doomed", monitors: [monitor])
    }

    @Test func sharesTheEndpointWithTheServicesOwnMetrics() throws {
        let registry = PrometheusCollectorRegistry()
        let requests = registry.makeCounter(
            descriptor: MetricNameDescriptor(metricName: "http_requests", unitName: "total", helpText: "Requests.")
        )
        requests.increment(by: Int64(7))
        let monitor = PrometheusMonitor(registry: registry)
        _ = try CircuitBreaker(name: "payments", monitors: [monitor])
        let text = monitor.emitToString()
        let samples = ExpositionSamples(text)
        #expect(samples["http_requests_total"] == 7)
        #expect(samples[#"circuit_breaker_state{breaker="payments",state="closed"}"#] == 1)
        // The registry's output comes first, unchanged; the breakers' series are the monitor's, not the registry's.
        let registryText = String(decoding: registry.emitToBuffer(), as: UTF8.self)
        #expect(text.hasPrefix(registryText))
        #expect(!registryText.contains(#"breaker="payments""#))
        #expect(registryText.contains("circuit_breaker_registrations_rejected_total 0"))
    }

    @Test func familiesAreGroupedAcrossBreakersWithOneHeaderEach() throws {
        let monitor = PrometheusMonitor(configuration: .init(recordsDurations: true, durationBuckets: [.seconds(1)]))
        let names = ["alpha", "beta", "gamma"]
        for (index, name) in names.enumerated() {
            let configuration: CircuitBreaker.Configuration = index == 1 ? .consecutiveFailures(3) : .default
            let breaker = try CircuitBreaker(name: name, configuration: configuration, monitors: [monitor])
            _ = try breaker.execute { index }
        }
        let text = monitor.emitToString()
        var typeLines: [String] = []
        var helpLines: [String] = []
        var current: String?
        /// The samples seen under each family, by breaker.
        var breakersByFamily: [String: [String]] = [:]
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# HELP ") {
                helpLines.append(String(line.dropFirst(7).prefix { $0 != " " }))
            } else if line.hasPrefix("# TYPE ") {
                let family = String(line.dropFirst(7).prefix { $0 != " " })
                typeLines.append(family)
                #expect(helpLines.last == family, "HELP right before TYPE for \(family)")
                current = family
            } else {
                let metric = String(line.prefix { $0 != "{" && $0 != " " })
                let family = try #require(current, "sample before any TYPE: \(line)")
                // Every sample belongs to the family declared last (a histogram's under its suffixed names).
                #expect(
                    metric == family || metric == family + "_bucket" || metric == family + "_sum"
                        || metric == family + "_count",
                    "\(metric) under \(family)"
                )
                if let range = line.range(of: #"breaker=""#) {
                    let name = String(line[range.upperBound...].prefix { $0 != "\"" })
                    if breakersByFamily[family, default: []].last != name {
                        breakersByFamily[family, default: []].append(name)
                    }
                }
            }
        }
        #expect(typeLines.count == Set(typeLines).count, "a family declared twice: \(typeLines)")
        #expect(helpLines.count == Set(helpLines).count)
        let breakerFamilies = MetricContract.families.filter {
            $0.scopes.contains(.breaker) || $0.scopes == [.registry]
        }
        #expect(Set(typeLines) == Set(breakerFamilies.map(\.name)))
        // Within a family, breaker-minor: each breaker's samples once, together, in registration order.
        for (family, breakers) in breakersByFamily {
            let expected =
                [MetricContract.failureRatio, MetricContract.slowCallRatio, MetricContract.failureRatioThreshold]
                    .map(\.name)
                    .contains(family) ? ["alpha", "gamma"] : names
            #expect(breakers == expected, "\(family): \(breakers)")
        }
        #expect(breakersByFamily.count == BreakerFamily.allCases.count { !$0.isGroupFamily })
    }

    @Test func aCircuitBreakerFamilyInTheRegistryShadowsTheMonitorsOwn() throws {
        let registry = PrometheusCollectorRegistry()
        // Other code (say, swift-metrics bootstrapped on the registry) registers a family of the monitor's.
        registry.makeGauge(
            descriptor: MetricNameDescriptor(metricName: MetricContract.state.name, unitName: "", helpText: "Theirs."),
            labels: [("breaker", "elsewhere")]
        ).set(to: 1)
        let monitor = PrometheusMonitor(registry: registry)
        _ = try CircuitBreaker(name: "mine", monitors: [monitor])
        let text = monitor.emitToString()
        #expect(text.components(separatedBy: "# TYPE \(MetricContract.state.name) ").count == 2)
        #expect(text.contains(#"circuit_breaker_state{breaker="elsewhere"} 1"#))
        #expect(!text.contains(#"circuit_breaker_state{breaker="mine""#))
        // The other families are the monitor's as usual.
        #expect(ExpositionSamples(text)[#"circuit_breaker_calls_total{breaker="mine",outcome="success"}"#] == 0)
    }

    @Test func concurrentCallsLoseNoCount() async throws {
        let monitor = PrometheusMonitor()
        let breaker = try CircuitBreaker(
            name: "busy",
            configuration: .consecutiveFailures(1_000_000),
            monitors: [monitor]
        )
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<5_000 {
                        _ = try? breaker.execute { () throws -> Int in
                            if (index + task) % 5 == 0 { throw TestFailure() }
                            return index
                        }
                    }
                }
            }
        }
        let samples = ExpositionSamples(monitor.emitToString())
        #expect(samples[#"circuit_breaker_calls_total{breaker="busy",outcome="success"}"#] == 32_000)
        #expect(samples[#"circuit_breaker_calls_total{breaker="busy",outcome="failure"}"#] == 8_000)
    }

    @Test func ratiosRenderAsTheNumbersTheyAre() throws {
        let monitor = PrometheusMonitor()
        let configuration = CircuitBreaker.Configuration(trip: .failureRatio(0.95, window: .count(3), minimumCalls: 3))
        let breaker = try CircuitBreaker(name: "third", configuration: configuration, monitors: [monitor])
        _ = try? breaker.execute { () throws -> Int in throw TestFailure() }
        _ = try breaker.execute { 1 }
        _ = try breaker.execute { 2 }
        let text = monitor.emitToString()
        let samples = ExpositionSamples(text)
        #expect(samples[#"circuit_breaker_failure_ratio{breaker="third"}"#] == 1.0 / 3.0)
        #expect(samples[#"circuit_breaker_failure_ratio_threshold{breaker="third"}"#] == 0.95)
        #expect(text.contains("circuit_breaker_failure_ratio_threshold{breaker=\"third\"} 0.95\n"))
    }

    @Test func gaugesFollowTheNewestStatePeriod() throws {
        let monitor = PrometheusMonitor()
        let breaker = try CircuitBreaker(name: "order", monitors: [monitor])
        let series = try #require(monitor.shared.series.first)
        breaker.forceOpen()
        // A late transition event from an older period must not move the gauges back.
        let stale = StateTransition(
            from: .open,
            to: .closed,
            reason: .reset,
            generation: 1,
            timestamp: 0,
            openWait: nil,
            failureRatio: 0,
            slowCallRatio: 0
        )
        series.stateChanged(breaker, transition: stale)
        let samples = ExpositionSamples(monitor.emitToString())
        #expect(samples[#"circuit_breaker_state{breaker="order",state="forced_open"}"#] == 1)
        #expect(samples[#"circuit_breaker_state{breaker="order",state="closed"}"#] == 0)
    }
}

@Suite struct PrometheusTimeInStateTests {
    @Test func stateSecondsAreExportedAsCountersWithTheCurrentPeriod() throws {
        let monitor = PrometheusMonitor()
        let clock = ManualClock()
        let breaker = try CircuitBreaker(
            name: "payments",
            configuration: .consecutiveFailures(1, openWait: .seconds(30)),
            monitors: [monitor],
            clock: .manual(clock)
        )
        clock.advance(by: .seconds(12))
        _ = try? breaker.execute { () throws -> Int in throw TestFailure() }
        clock.advance(by: .milliseconds(2_500))
        let samples = ExpositionSamples(monitor.emitToString())
        func seconds(_ state: String) -> Double? {
            samples[#"circuit_breaker_state_seconds_total{breaker="payments",state="\#(state)"}"#]
        }
        #expect(seconds("closed") == 12)
        #expect(seconds("open") == 2.5)
        #expect(seconds("half_open") == 0)
        #expect(samples.text.contains("# TYPE circuit_breaker_state_seconds_total counter"))
    }

    @Test func aScrapeMovesAnIdleTrippedBreakerToHalfOpenOnce() throws {
        let monitor = PrometheusMonitor()
        let clock = ManualClock()
        let breaker = try CircuitBreaker(
            name: "idle",
            configuration: .consecutiveFailures(1, openWait: .seconds(30)),
            monitors: [monitor],
            clock: .manual(clock)
        )
        _ = try? breaker.execute { () throws -> Int in throw TestFailure() }
        clock.advance(by: .seconds(31))
        for _ in 0..<3 {
            let samples = ExpositionSamples(monitor.emitToString())
            #expect(samples[#"circuit_breaker_state{breaker="idle",state="half_open"}"#] == 1)
            #expect(samples[#"circuit_breaker_state{breaker="idle",state="open"}"#] == 0)
            #expect(samples[#"circuit_breaker_transitions_total{breaker="idle",from="open",to="half_open"}"#] == 1)
            #expect(samples[#"circuit_breaker_state_seconds_total{breaker="idle",state="open"}"#] == 30)
        }
    }
}

@Suite struct PrometheusOperatorSignalsTests {
    @Test func shadowBreakersCountWhatTheyWouldHaveRejected() throws {
        let monitor = PrometheusMonitor()
        var configuration = CircuitBreaker.Configuration.consecutiveFailures(1, openWait: .seconds(30))
        configuration.enforcement = .shadow
        let breaker = try CircuitBreaker(name: "shadow", configuration: configuration, monitors: [monitor])
        _ = try? breaker.execute { () throws -> Int in throw TestFailure() }
        for _ in 0..<3 { _ = try breaker.execute { 1 } }
        let samples = ExpositionSamples(monitor.emitToString())
        #expect(samples[#"circuit_breaker_calls_total{breaker="shadow",outcome="shadow_rejected"}"#] == 3)
        #expect(samples[#"circuit_breaker_calls_total{breaker="shadow",outcome="success"}"#] == 3)
        #expect(samples[#"circuit_breaker_calls_total{breaker="shadow",outcome="rejected"}"#] == 0)
        #expect(samples[#"circuit_breaker_state{breaker="shadow",state="open"}"#] == 1)
    }

    @Test func overridesAreCountedAndTheirExpiryExported() throws {
        let monitor = PrometheusMonitor()
        let clock = ManualClock(wallClockOrigin: 1_700_000_000)
        let breaker = try CircuitBreaker(name: "payments", monitors: [monitor], clock: .manual(clock))
        let override = BreakerOverride(
            action: .forceOpen,
            reason: "provider incident",
            actor: "alice",
            appliedAt: 1_700_000_000,
            expiresAt: 1_700_001_800
        )
        breaker.apply(override)
        breaker.apply(override, restored: true)
        var samples = ExpositionSamples(monitor.emitToString())
        #expect(samples[#"circuit_breaker_overrides_total{breaker="payments",action="force_open"}"#] == 1)
        #expect(samples[#"circuit_breaker_override_expiry_timestamp_seconds{breaker="payments"}"#] == 1_700_001_800)
        #expect(samples[#"circuit_breaker_state{breaker="payments",state="forced_open"}"#] == 1)
        clock.advance(by: .seconds(1_800))
        samples = ExpositionSamples(monitor.emitToString())
        #expect(samples[#"circuit_breaker_override_expiry_timestamp_seconds{breaker="payments"}"#] == 0)
        #expect(samples[#"circuit_breaker_state{breaker="payments",state="closed"}"#] == 1)
        #expect(samples[#"circuit_breaker_transitions_total{breaker="payments",from="forced_open",to="closed"}"#] == 1)
    }
}
