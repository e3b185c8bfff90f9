# fundgate: the two commands of the README are `make run` and `make test`.
BUILD      ?= build
TEST_BUILD ?= build-test
JOBS       ?= $(shell nproc)
PORT       ?= 8080
PREFIX     ?= /usr/local

.PHONY: all deps build run test test-fast bench bench-tradeboss clean format install console-screenshot

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

# Every test (unit and end-to-end) under ASan+UBSan with -Werror.
test: deps
	@scripts/deps.sh chromium openssl
	cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DFG_SANITIZE=ON -DFG_WERROR=ON >/dev/null
	cmake --build $(TEST_BUILD) -j $(JOBS)
	scripts/npm-tools.sh $(TEST_BUILD)
	cd $(TEST_BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

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

# Refresh the console screenshots in docs/ (the README shows them) with the browser test.
console-screenshot: test-fast
	scripts/npm-tools.sh $(TEST_BUILD)
	FUNDGATE_BIN=$(TEST_BUILD)/fundgate FUNDGATE_EXAMPLES=examples FG_NPM_DIR=$(TEST_BUILD)/npm \
	  FG_SCREENSHOT_DIR=docs node tests/console/console.test.mjs

clean:
	rm -rf $(BUILD) $(TEST_BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')
