# The two commands: `make run` and `make test`. Both install what is missing first (Debian 12, as root).
SWIFT ?= swift
SWIFT_BUILD_FLAGS ?=
BIN := .build/debug/primes-gateway

.PHONY: all deps build run test lint format bench clean

all: build

deps:
	@scripts/install-dependencies

build: deps
	$(SWIFT) build $(SWIFT_BUILD_FLAGS)

# The daemon with a development certificate, the SQLite outbox and a `file` destination (scripts/run-gateway):
# it sends one fixture with curl and shows where it arrived, then serves until Ctrl-C.
run: build
	@BIN=$(BIN) scripts/run-gateway

lint: deps
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests Benchmarks

format:
	$(SWIFT) format format --in-place --recursive Package.swift Sources Tests Benchmarks

# The whole suite: lint, build (the end-to-end tests run the built executable), a PostgreSQL server of
# the run's own on a loopback port, then every test target.
test: lint
	$(SWIFT) build $(SWIFT_BUILD_FLAGS) --build-tests
	@url=$$(scripts/test-postgres start) && \
	status=0 && \
	PRIMES_TEST_POSTGRES_URL="$$url" PRIMES_TEST_REQUIRE_POSTGRES=1 $(SWIFT) test $(SWIFT_BUILD_FLAGS) --skip-build --parallel --num-workers 2 || status=$$?; \
	scripts/test-postgres stop; \
	exit $$status

bench: deps
	$(SWIFT) build -c release
	Benchmarks/run

clean:
	rm -rf .build
