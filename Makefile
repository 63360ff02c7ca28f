# Quick start: `make demo` runs the demo service, `make test` runs every test.
# Both install the Debian packages they need when missing (scripts/install-deps.sh).

SWIFT ?= swift
DEMO_ARGS ?=

.PHONY: all build demo observe test test-unit test-tsan test-ops e2e bench bench-micro bench-exporter clean

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

## Every test: unit and integration tests, the concurrency suite under ThreadSanitizer, the operations kit
## (promtool rules and dashboard checks) and the end-to-end run against real Prometheus and Alertmanager.
test: test-unit test-tsan test-ops e2e

test-unit:
	scripts/install-deps.sh test
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

test-tsan:
	scripts/install-deps.sh test
	$(SWIFT) test --scratch-path .build-tsan --sanitize=thread --filter 'ConcurrencyTests|HalfOpenTests|GenerationTests|TimeoutTests'

test-ops:
	scripts/install-deps.sh test
	scripts/check-ops-kit.sh

e2e:
	scripts/install-deps.sh test
	$(SWIFT) build --product breaker-demo
	BREAKER_DEMO=.build/debug/breaker-demo scripts/e2e.sh

## Benchmarks: the breaker and monitor micro-benchmarks (package-benchmark), then the exporter load test (wrk).
bench: bench-micro bench-exporter

bench-micro:
	scripts/install-deps.sh bench
	cd Benchmarks && $(SWIFT) package --disable-sandbox benchmark

bench-exporter:
	scripts/install-deps.sh bench
	$(SWIFT) build -c release --product breaker-demo
	scripts/bench-exporter.sh .build/release/breaker-demo

clean:
	rm -rf .build .build-tsan Benchmarks/.build
