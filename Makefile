# tracevault — the two commands that matter on a fresh Debian 12 machine:
#   make run    install dependencies, build (release), start the embedded server
#   make test   install dependencies, build, run every test suite
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
DATA_DIR ?= ./tracevault-data
LISTEN ?= 127.0.0.1:8000
export CCACHE_DIR ?= $(HOME)/.cache/tracevault-ccache

.PHONY: all deps build run test test-unit test-node bench bench-spans bench-proxy bench-classes bench-web crash fuzz fuzz-short clean \
        format format-check check-locks tsan FORCE

all: build

deps:
	@bash scripts/install-deps.sh

# Always consulted (FORCE): configures with clang++ once, and afresh when the
# directory was configured with another compiler (scripts/configure.sh).
$(BUILD_DIR)/build.ninja: FORCE
	@bash scripts/configure.sh $(BUILD_DIR) $(BUILD_TYPE)

FORCE:

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR)

run: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) --target tracevault
	@bash scripts/run.sh $(BUILD_DIR)/bin/tracevault "$(DATA_DIR)" "$(LISTEN)"

test:
	@bash scripts/test.sh $(BUILD_DIR)

test-unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure

test-node: build
	bash tests/run-node-tests.sh

# The long crash run: kill -9 under concurrent ingest, 50 clean cycles and 20
# with injected object-store faults. `make test` runs a few of each.
crash: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) --target tracevault
	cd tests && node crash/crash.mjs --cycles $${CYCLES:-50}
	cd tests && node crash/crash.mjs --cycles $${FAULT_CYCLES:-20} --faults "error=0.2,torn=0.05,lost=0.05,latency_ms=2"

# libFuzzer over the BTQL parsers (text/SQL and JSON AST), built with clang in
# build-fuzz/. `make test` runs fuzz-short; the long run is FUZZ_SECONDS per harness.
fuzz-short: deps
	FUZZ_SECONDS=$${FUZZ_SECONDS:-60} bash fuzz/run.sh

fuzz: deps
	FUZZ_SECONDS=$${FUZZ_SECONDS:-1800} bash fuzz/run.sh

bench: build
	bash bench/http/run.sh $(BUILD_DIR)/bin/tracevault
	bash bench/ingest/run.sh $(BUILD_DIR)/bin/tracevault
	BUILD_DIR=$(BUILD_DIR) bash bench/spans/run.sh $(BUILD_DIR)/bin/tracevault

# The AI proxy's own latency against calling the local fake provider directly.
bench-proxy: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) --target tracevault
	node bench/proxy/run.mjs $(BUILD_DIR)/bin/tracevault $${CALLS:-300}

# The light path's latency while another organization saturates heavy BTQL,
# with one shared worker pool ("before") and with request classes.
# The web app's waits (experiment page, 10,000-span trace, bundle) in headless
# Chromium, with a PostgreSQL peer for the reads behind them.
bench-web: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) --target tracevault
	bash bench/webapp/run.sh $(BUILD_DIR)/bin/tracevault

bench-classes: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) --target tracevault
	node bench/classes/run.mjs $(BUILD_DIR)/bin/tracevault $${SECONDS_PER_RUN:-20}

# The span-store benchmark against a PostgreSQL 15 peer (1M spans by default;
# SPANS=100000 for a quick run). Builds only the server and the driver.
bench-spans: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) --target tracevault spanbench
	BUILD_DIR=$(BUILD_DIR) bash bench/spans/run.sh $(BUILD_DIR)/bin/tracevault

# The tree's one format (.clang-format, clang-format 14) over every C++ file.
CLANG_FORMAT ?= $(shell command -v clang-format-14 || command -v clang-format)
format:
	git ls-files -z -- '*.cc' '*.h' '*.cpp' '*.hpp' | xargs -0 $(CLANG_FORMAT) -i

format-check:
	@git ls-files -z -- '*.cc' '*.h' '*.cpp' '*.hpp' | xargs -0 $(CLANG_FORMAT) --dry-run -Werror && echo "format-check: ok"

# No std:: lock outside src/common/mutex.h (scripts/check-locks.sh).
check-locks:
	@bash scripts/check-locks.sh

# ThreadSanitizer: a clang -fsanitize=thread build in build-tsan/, then the
# unit tests, a few crash cycles and the concurrent ingest + query + compaction
# soak (tests/tsan/soak.mjs, SOAK_SECONDS) against it. Fails on any TSan
# report. Slow; not part of `make test`.
tsan: deps
	bash scripts/tsan.sh

clean:
	rm -rf $(BUILD_DIR)
