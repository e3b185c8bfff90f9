# fundgate: the two commands of the README are `make run` and `make test`.
BUILD      ?= build
TEST_BUILD ?= build-test
JOBS       ?= $(shell nproc)
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60

.PHONY: all help deps build run test test-fast bench bench-tradeboss clean format
.PHONY: fuzz fuzz-build test-fuzz

all: build

deps:
	@scripts/deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

# Serve the demo: SQLite in ./fundgate-data, demo bootstrap, loopback:8080.
run: build
	./$(BUILD)/fundgate serve --bootstrap examples/demo.json

# Every test (unit and end-to-end) under ASan+UBSan with -Werror.
test: deps
	cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DFG_SANITIZE=ON -DFG_WERROR=ON >/dev/null
	cmake --build $(TEST_BUILD) -j $(JOBS)
	cd $(TEST_BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600
	@$(MAKE) --no-print-directory test-fuzz

# Only the unit tests, for a quick loop while editing.
test-fast: deps
	cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DFG_SANITIZE=ON -DFG_WERROR=ON >/dev/null
	cmake --build $(TEST_BUILD) -j $(JOBS)
	cd $(TEST_BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

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

clean:
	rm -rf $(BUILD) $(TEST_BUILD) $(FUZZ_BUILD)

help:
	@echo 'make run          build and serve the demo on 127.0.0.1:8080'
	@echo 'make test         every test under ASan+UBSan, then each fuzz target for 3 s'
	@echo 'make test-fast    only the unit tests'
	@echo 'make fuzz         each fuzz target for FUZZ_SECONDS (default 60); FUZZ_TARGETS to pick'
	@echo 'make bench        the benchmarks (about 10 minutes)'
	@echo 'make clean        remove the build directories'

format:
	clang-format -i $$(git ls-files '*.c' '*.h')
