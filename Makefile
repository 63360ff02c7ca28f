# Quick start: `make demo` runs the demo service, `make test` runs every test.
# Both install the Debian packages they need when missing (scripts/install-deps.sh).

SWIFT ?= swift
DEMO_ARGS ?=

.PHONY: all build demo observe test test-unit test-tsan test-asan test-ops e2e docs flake-check bench bench-micro bench-exporter clean

all: build

build:
	scripts/install-deps.sh build
	$(SWIFT) build

## The demo service: three breakers, metrics on http://127.0.0.1:9464/metrics (see --help; pass DEMO_ARGS="…").
demo:
	scripts/install-deps.sh build
	$(SWIFT) run breaker-demo $(DEMO_ARGS)

## The demo plus a real Prometheus on loopback with the repo's rules, scraping it.
observe:
	scripts/install-deps.sh test
	$(SWIFT) build --product breaker-demo
	scripts/observe.sh

## Every test: unit and integration tests, every test target under ThreadSanitizer, the operations kit (promtool
## rules and dashboard checks), the end-to-end run against real Prometheus and Alertmanager, and the documentation
## build (a broken symbol link fails it).
test: test-unit test-tsan test-asan test-ops e2e docs

test-unit:
	scripts/install-deps.sh test
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## Every test target under ThreadSanitizer; any report fails the run.
test-tsan:
	scripts/install-deps.sh test
	TSAN_OPTIONS=halt_on_error=1 $(SWIFT) test --scratch-path .build-tsan --sanitize=thread

test-ops:
	scripts/install-deps.sh test
	scripts/check-ops-kit.sh

e2e:
	scripts/install-deps.sh test
	$(SWIFT) build --product breaker-demo
	BREAKER_DEMO=.build/debug/breaker-demo scripts/e2e.sh

## The exporter's tests, hostile clients included, under AddressSanitizer and LeakSanitizer; any report fails.
test-asan:
	scripts/install-deps.sh test
	scripts/test-asan.sh

## The DocC documentation of every public module, warnings as errors (scripts/docs.sh).
docs:
	scripts/install-deps.sh build
	scripts/docs.sh

## The unit tests N times under two busy loops (not part of `make test`): make flake-check RUNS=10
RUNS ?= 10
flake-check:
	scripts/install-deps.sh test
	scripts/flake-check.sh $(RUNS)

## Benchmarks: the breaker and monitor micro-benchmarks (package-benchmark), then the exporter load test (wrk).
bench: bench-micro bench-exporter

bench-micro:
	scripts/install-deps.sh bench
	cd Benchmarks && $(SWIFT) package --disable-sandbox benchmark

bench-exporter:
	scripts/install-deps.sh bench
	$(SWIFT) build -c release --product breaker-demo
	scripts/bench-exporter.sh .build/release/breaker-demo

## The exporter under pressure (not part of `make test`: about three minutes, both cores loaded): idle floods,
## half-closed requests, bursts of 500 scrapes with the peak RSS, SIGTERM with a render stuck; each figure printed
## with its command (scripts/pressure-test.sh; PRESSURE_ARGS="--bench" adds scripts/bench-exporter.sh).
PRESSURE_ARGS ?=
.PHONY: pressure
pressure:
	scripts/install-deps.sh bench
	$(SWIFT) build -c release --product breaker-demo
	scripts/pressure-test.sh $(PRESSURE_ARGS) .build/release/breaker-demo

clean:
	rm -rf .build .build-tsan .build-asan .build-docs Benchmarks/.build
