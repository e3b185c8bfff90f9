# fundgate: the two commands of the README are `make run` and `make test`.
BUILD      ?= build
TEST_BUILD ?= build-test
JOBS       ?= $(shell nproc)
PORT       ?= 8080
PREFIX     ?= /usr/local
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60

.PHONY: all help deps build run test test-fast test-failover bench bench-tradeboss clean format
.PHONY: lint fuzz fuzz-build test-fuzz install console-screenshot

all: build

deps:
	@scripts/deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

# Serve the demo: SQLite in ./fundgate-data, demo bootstrap, loopback:$(PORT) (PORT=9090 make run).
run: build
	./$(BUILD)/fundgate serve --bootstrap examples/demo.json --listen 127.0.0.1:$(PORT)

# Install the binary, the systemd unit (packaging/), its user and the configuration:
# make install PREFIX=/usr [DESTDIR=/tmp/stage]. Run as root for a real install.
install: build
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

# The source checks, then every test (unit and end-to-end) under ASan+UBSan with -Werror.
test: deps
	@$(MAKE) --no-print-directory lint
	@scripts/deps.sh chromium openssl
	cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DFG_SANITIZE=ON -DFG_WERROR=ON >/dev/null
	cmake --build $(TEST_BUILD) -j $(JOBS)
	scripts/npm-tools.sh $(TEST_BUILD)
	cd $(TEST_BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600
	@$(MAKE) --no-print-directory test-fuzz

# Only the unit tests, for a quick loop while editing.
test-fast: deps
	cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DFG_SANITIZE=ON -DFG_WERROR=ON >/dev/null
	cmake --build $(TEST_BUILD) -j $(JOBS)
	cd $(TEST_BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

# PostgreSQL failover alone (also part of `make test`, about 25 s): a primary and a
# synchronous standby, the primary killed mid-load, the standby promoted.
test-failover: deps
	cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DFG_SANITIZE=ON -DFG_WERROR=ON >/dev/null
	cmake --build $(TEST_BUILD) -j $(JOBS)
	cd $(TEST_BUILD) && ctest --output-on-failure -L failover

# Benchmarks (issue 5): installs wrk, nginx-light and postgresql, builds a release binary,
# prints the table and keeps it in bench/out/results.md. Takes about 10 minutes.
bench: build
	@scripts/deps.sh wrk nginx-light postgresql
	bench/run.sh

# Measure the TradeBoss execute under load (release build; prints median and p99).
bench-tradeboss: build
	bench/tradeboss.sh 16 5

# libFuzzer targets of tests/fuzz/ (one per parser of outside bytes): clang-14 with
# -fsanitize=fuzzer,address,undefined in their own build directory.
fuzz-build: deps
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang-14 -DCMAKE_BUILD_TYPE=Debug \
	    -DFG_SANITIZE=ON -DFG_FUZZ=ON -DFG_WERROR=ON >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_targets

# Fuzz each target for FUZZ_SECONDS (default 60), one at a time under nice; prints the
# executions per target; a crash is kept in $(FUZZ_BUILD)/fuzz-crashes/<target>/.
# FUZZ_TARGETS="amount jwt" runs only those.
fuzz: fuzz-build
	FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(FUZZ_TARGETS)

# Part of `make test`: every target replays its seeds and fuzzes for 3 s (CTest label fuzz).
test-fuzz: fuzz-build
	cd $(FUZZ_BUILD) && ctest --output-on-failure -j $(JOBS) -L fuzz

# Refresh the console screenshots in docs/ (the README shows them) with the browser test.
console-screenshot: test-fast
	scripts/npm-tools.sh $(TEST_BUILD)
	FUNDGATE_BIN=$(TEST_BUILD)/fundgate FUNDGATE_EXAMPLES=examples FG_NPM_DIR=$(TEST_BUILD)/npm \
	  FG_SCREENSHOT_DIR=docs node tests/console/console.test.mjs

clean:
	rm -rf $(BUILD) $(TEST_BUILD) $(FUZZ_BUILD)

help:
	@echo 'make run          build and serve the demo on 127.0.0.1:8080 (PORT=9090 make run)'
	@echo 'make test         source checks, every test under ASan+UBSan, then each fuzz target for 3 s'
	@echo 'make lint         only the source checks (format, layers, function length)'
	@echo 'make format       clang-format -i every source'
	@echo 'make test-fast    only the unit tests'
	@echo 'make fuzz         each fuzz target for FUZZ_SECONDS (default 60); FUZZ_TARGETS to pick'
	@echo 'make bench        the benchmarks (about 10 minutes)'
	@echo 'make install      PREFIX=/usr [DESTDIR=dir]: binary, systemd unit, user, configuration'
	@echo 'make console-screenshot  refresh docs/console-*.png with the browser test'
	@echo 'make clean        remove the build directories'

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

# Source checks (part of make test): clang-format clean, one-way layers, no
# function in src/ over 70 lines.
lint:
	@scripts/check-format.sh
	@scripts/check-layers.sh
	@scripts/check-functions.sh
