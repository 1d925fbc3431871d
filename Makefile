# Airlock: the two set-up commands are `make demo` and `make check`.
# Everything else here is a convenience around CMake.

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX     ?= /usr/local
CMAKE      ?= cmake

.PHONY: all deps build build-asan demo check test test-asan fuzz valgrind bench install clean

all: build

deps:
	@sh scripts/deps.sh

$(BUILD)/CMakeCache.txt:
	$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/CMakeCache.txt
	$(CMAKE) --build $(BUILD) -j $(JOBS)

$(ASAN_BUILD)/CMakeCache.txt:
	$(CMAKE) -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug \
	    -DAIRLOCK_SANITIZE=address,undefined

build-asan: deps $(ASAN_BUILD)/CMakeCache.txt
	$(CMAKE) --build $(ASAN_BUILD) -j $(JOBS)

demo: build
	$(BUILD)/ui-tui/airlock demo

# AIRLOCK_TESTS_STRICT: a test whose tool is missing fails instead of
# skipping (deps has installed everything).
test: build
	cd $(BUILD) && AIRLOCK_TESTS_STRICT=1 ctest --output-on-failure -j $(JOBS)

test-asan: build-asan
	cd $(ASAN_BUILD) && AIRLOCK_TESTS_STRICT=1 \
	    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    ctest --output-on-failure -j $(JOBS) -LE nosan

# The unit suite under valgrind memcheck, on the normal build
# (tests/valgrind/README.md).
valgrind: build
	bash tests/valgrind/run.sh $(BUILD)

# Bounded fuzzing of every harness: FUZZ_SECONDS (default 30) each, in
# $(FUZZ_BUILD) with clang-14 (scripts/fuzz.sh).
fuzz: deps
	FUZZ_BUILD=$(FUZZ_BUILD) JOBS=$(JOBS) bash scripts/fuzz.sh

# Everything: the normal suite, the ASan+UBSan suite and the unit suite
# under valgrind.
check: test test-asan valgrind
	@echo "make check: normal, sanitizer and valgrind suites passed"

# The benchmark: medians of 5 runs of at least 1 s each (docs/PERFORMANCE.md).
bench: build
	$(BUILD)/bench/airlock-bench

install: build
	$(CMAKE) --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
