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

# Until the daemon exists, `make run` converts and validates a fixture and prints the result.
run: build
	@echo "== primes-gateway formats"
	@$(BIN) formats
	@echo
	@echo "== primes-gateway convert --from canonical --to canonical Fixtures/canonical/family-of-five.ndjson"
	@$(BIN) convert --from canonical --to canonical Fixtures/canonical/family-of-five.ndjson
	@echo
	@echo "== primes-gateway validate --format canonical Fixtures/canonical/invalid-codes-and-dates.ndjson"
	@$(BIN) validate --format canonical Fixtures/canonical/invalid-codes-and-dates.ndjson || true

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
