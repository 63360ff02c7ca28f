# Quick start: `make demo` runs the demo service, `make test` runs every test.
# Both install the Debian packages they need when missing (scripts/install-deps.sh).

SHELL := /bin/bash
SWIFT ?= swift
DEMO_ARGS ?=
# Every stage of `make test` builds with the same traits in the same .build, so the debug build is made once (by
# `make test-unit`) and reused: the demo, the Hummingbird e2e service, the unit tests (the AsyncHTTPClient
# integration's among them) and the e2e runs share it.
TRAITS ?= --traits HummingbirdSupport,AsyncHTTPClientSupport
# The debug build treats warnings as errors, as the team's standard asks, so that the same build is the check.
BUILD_FLAGS ?= $(TRAITS) -Xswiftc -warnings-as-errors
# Steps of the model-based tests (Tests/CircuitBreakerTests/Model) in make test and make model-check.
STEPS ?= 200000

.PHONY: all build demo observe test pin-lowest-versions test-unit model-check spin test-tsan test-asan test-ops test-fuzz fuzz e2e e2e-fleet e2e-formats e2e-operations e2e-browser e2e-hostile e2e-demo e2e-hummingbird check-lowest-versions api-check docs flake-check bench bench-micro bench-exporter bench-formats bench-peers clean

all: build

build:
	scripts/install-deps.sh build
	$(SWIFT) build $(BUILD_FLAGS)

## The demo service: three breakers, metrics on http://127.0.0.1:9464/metrics (see --help; pass DEMO_ARGS="…").
demo:
	scripts/install-deps.sh build
	$(SWIFT) run $(BUILD_FLAGS) breaker-demo $(DEMO_ARGS)

## The demo, a real Prometheus with the repo's rules and Alertmanager, with a scripted incident: the alerts fire and
## resolve within ten minutes, each printed as it changes (e2e/observe.sh).
observe:
	scripts/install-deps.sh test
	$(SWIFT) build $(BUILD_FLAGS) --product breaker-demo
	e2e/observe.sh

## Every test: unit and integration tests (resolved at the lowest versions the manifest allows, no test skipped), every
## test target under ThreadSanitizer, the operations kit (promtool rules and dashboard checks), the end-to-end runs
## against real Prometheus, Alertmanager and Chromium (a Hummingbird service among them), a consumer at the lowest
## declared versions, the public API against the last release, and the documentation build.
test: pin-lowest-versions test-unit spin test-tsan test-asan test-ops test-fuzz e2e e2e-fleet e2e-formats e2e-operations e2e-browser e2e-hostile e2e-demo e2e-hummingbird check-lowest-versions api-check docs

## Resolves every dependency at the lowest version the manifests allow among the mirror's (scripts/pin-lowest-versions.sh).
pin-lowest-versions:
	scripts/install-deps.sh build
	scripts/pin-lowest-versions.sh

## The unit tests, the model-based ones at make model-check's 200,000 steps (the same run, not a second one); fails
## if any was skipped (a missing tool: scripts/check-no-skips.sh).
test-unit:
	scripts/install-deps.sh test
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	MODEL_STEPS=$(STEPS) $(SWIFT) test --skip-build $(BUILD_FLAGS) 2>&1 | tee .build/test-unit.log; test $${PIPESTATUS[0]} -eq 0
	scripts/check-no-skips.sh .build/test-unit.log

## The breaker against its reference model: seeded random runs of every trip policy, compared step by step
## (Tests/CircuitBreakerTests/Model). make test runs STEPS of them within test-unit; make model-check STEPS=N runs
## more on their own; MODEL_SEED=S and MODEL_REPLAY=S replay.
model-check:
	scripts/install-deps.sh test
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	MODEL_STEPS=$(STEPS) $(SWIFT) test --skip-build $(BUILD_FLAGS) --filter ModelBasedTests

## The admission protocol's Promela model (Verification/), checked by spin for every interleaving of three threads,
## and each mutation caught. make spin OPS=5 checks a larger bound.
spin:
	scripts/install-deps.sh test
	scripts/spin-check.sh

## Every test target under ThreadSanitizer; any report fails the run.
test-tsan:
	scripts/install-deps.sh test
	TSAN_OPTIONS=halt_on_error=1 $(SWIFT) test --scratch-path .build-tsan --sanitize=thread

## The operations kit: rule checks and promtool tests at 15 s and 60 s scrapes, and the dashboard linter rules.
test-ops:
	scripts/install-deps.sh test
	alerts/check.sh
	dashboards/check.sh

## Alerts delivered through a real Alertmanager and resolved; keyed breakers per key, evicted, attacked and paging
## only when most keys fail; and the dashboard's queries at 1,000 breakers on 2
## instances (the scale proof needs the release demo: a debug build renders 90,000 series too slowly).
e2e:
	scripts/install-deps.sh test
	$(SWIFT) build $(BUILD_FLAGS) --product breaker-demo
	# The scale proof's release build (AsyncHTTPClient and NIO optimised: about 6 minutes on two cores) runs at low
	# priority beside the alerts and keyed runs, which mostly wait on Prometheus; the scale proof waits for it.
	nice -n 10 $(SWIFT) build $(TRAITS) -c release --product breaker-demo >.build/e2e-release-build.log 2>&1 & \
	release=$$!; \
	BREAKER_DEMO=.build/debug/breaker-demo e2e/run.sh e2e alerts_e2e.py:.build/debug/breaker-demo \
	    keyed_e2e.py:.build/debug/breaker-demo; status=$$?; \
	if ! wait $$release; then cat .build/e2e-release-build.log; exit 1; fi; \
	tail -1 .build/e2e-release-build.log; \
	e2e/run.sh scale-proof scale_proof.py:.build/release/breaker-demo && exit $$status

## Two tiers: edge Prometheus servers of clusters a and b remote-write to a global Prometheus that pages through
## Alertmanager, then the remote-write cost at 1,000 breakers per instance (e2e/fleet/run.sh, about 4 minutes).
e2e-fleet:
	scripts/install-deps.sh test
	$(SWIFT) build $(BUILD_FLAGS) --product breaker-demo
	$(SWIFT) build $(TRAITS) -c release --product breaker-demo
	BREAKER_DEMO=.build/debug/breaker-demo RELEASE_DEMO=.build/release/breaker-demo e2e/fleet/run.sh

## The three exposition formats with real Prometheus servers: a native-histogram quantile over protobuf, exemplars
## with the demo's trace ids, and a healthy OpenMetrics scrape.
e2e-formats:
	scripts/install-deps.sh test
	$(SWIFT) build $(BUILD_FLAGS) --product breaker-demo
	BREAKER_DEMO=.build/debug/breaker-demo e2e/formats/run.sh

## The operations API against the demo: status, event stream, overrides (restart with kill -9, expiry), 401/403/400.
e2e-operations:
	scripts/install-deps.sh test
	$(SWIFT) build $(BUILD_FLAGS) --product breaker-demo
	BREAKER_DEMO=.build/debug/breaker-demo e2e/operations/run.sh

## The live status page in a real headless Chromium: the DOM shows every breaker's state after a refresh; the admin
## page's buttons work under its CSP; framing it and a cross-site form post are refused (DevTools protocol).
e2e-browser:
	scripts/install-deps.sh test
	$(SWIFT) build $(BUILD_FLAGS) --product breaker-demo
	BREAKER_DEMO=.build/debug/breaker-demo e2e/browser/run.sh

## Hostile clients against the demo: schemathesis from docs/openapi.yaml (bounded examples; every answer documented,
## no 5xx, the process alive), a cross-site form post, a wrong-password flood, a stream hoarder, a symlinked state
## file, and the TTL that used to crash the process (e2e/hostile/run.sh).
e2e-hostile:
	scripts/install-deps.sh test
	$(SWIFT) build $(BUILD_FLAGS) --product breaker-demo
	BREAKER_DEMO=.build/debug/breaker-demo e2e/hostile/run.sh

## The libFuzzer targets (Fuzz/: TTL, override body, state file, Accept, path matching), 10 s each, from the
## committed seed corpora; `make fuzz SECONDS=N` runs each for N seconds.
test-fuzz:
	scripts/install-deps.sh build
	scripts/fuzz.sh 10

SECONDS ?= 300
fuzz:
	scripts/install-deps.sh build
	scripts/fuzz.sh $(SECONDS)

## The demo's other exports, each scraped by a real Prometheus: TLS and basic auth from a web config, and the
## swift-metrics backend showing the same metric contract.
e2e-demo:
	scripts/install-deps.sh test
	$(SWIFT) build $(BUILD_FLAGS) --product breaker-demo
	BREAKER_DEMO=.build/debug/breaker-demo e2e/demo/run.sh

## The exporter's and the operations module's tests, hostile clients included, under AddressSanitizer and
## LeakSanitizer; any report fails.
test-asan:
	scripts/install-deps.sh test
	scripts/test-asan.sh

## A Hummingbird 2 service with the breaker routes and /metrics on its own router and port, swift-metrics on the
## same registry, scraped by a real Prometheus, overridden by an admin through the service's port.
e2e-hummingbird:
	scripts/install-deps.sh test
	$(SWIFT) build $(BUILD_FLAGS) --product breaker-hummingbird-service
	BREAKER_DEMO=.build/debug/breaker-hummingbird-service e2e/hummingbird/run.sh

## A consumer package that requires the lowest declared version of every dependency resolves against this package
## (scripts/check-lowest-versions.sh; without --resolve-only it also builds with the top of Yams's range, and with
## --build-lowest at the lowest versions, which make test's pinned build already compiles).
check-lowest-versions:
	scripts/install-deps.sh build
	scripts/check-lowest-versions.sh --resolve-only

## The public API of every library module against the last release (api-baseline/RELEASE), with the API digester,
## in the shared build: a breaking change fails (scripts/api-check.sh).
api-check:
	scripts/install-deps.sh build
	scripts/api-check.sh $(BUILD_FLAGS)

## The DocC documentation of every public module, warnings as errors (scripts/docs.sh), from the shared build.
docs:
	scripts/install-deps.sh build
	scripts/docs.sh $(BUILD_FLAGS)

## The unit tests N times under two busy loops (not part of `make test`): make flake-check RUNS=10
RUNS ?= 10
flake-check:
	scripts/install-deps.sh test
	scripts/flake-check.sh $(RUNS)

## Benchmarks: the breaker and monitor micro-benchmarks (package-benchmark), then the exporter load test (wrk).
bench: bench-micro bench-exporter bench-formats

bench-micro:
	scripts/install-deps.sh bench
	cd Benchmarks && $(SWIFT) package --disable-sandbox benchmark

bench-exporter:
	scripts/install-deps.sh bench
	$(SWIFT) build $(TRAITS) -c release --product breaker-demo
	scripts/bench-exporter.sh .build/release/breaker-demo

## The scrape latency and body size of each exposition format at 1,000 breakers (wrk, release demo).
bench-formats:
	scripts/install-deps.sh bench
	$(SWIFT) build $(TRAITS) -c release --product breaker-demo
	scripts/bench-formats.sh .build/release/breaker-demo

## Ours against Hummingbird + swift-prometheus (Benchmarks/Peers), side by side in one run; not part of make test.
bench-peers:
	scripts/install-deps.sh bench
	TRAITS="$(TRAITS)" scripts/bench-peers.sh

## The exporter under pressure (not part of `make test`: about three minutes, both cores loaded): idle floods,
## half-closed requests, bursts of 500 scrapes with the peak RSS, SIGTERM with a render stuck; each figure printed
## with its command (scripts/pressure-test.sh; PRESSURE_ARGS="--bench" adds scripts/bench-exporter.sh).
PRESSURE_ARGS ?=
.PHONY: pressure
pressure:
	scripts/install-deps.sh bench
	$(SWIFT) build $(TRAITS) -c release --product breaker-demo
	scripts/pressure-test.sh $(PRESSURE_ARGS) .build/release/breaker-demo

clean:
	rm -rf .build .build-tsan .build-asan .build-docs .build-fuzz Benchmarks/.build
