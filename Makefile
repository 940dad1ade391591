# siplab — build, test, run. `make run` and `make test` are all a newcomer needs:
# both install missing Debian packages first (as root), then build.

CC      ?= cc
BUILD   ?= build
PKGS    := sofia-sip-ua libsrtp2 opus spandsp libnl-3.0 libnl-route-3.0 libcjson libnftables \
           openssl libpcap
CFLAGS  ?= -O2 -g
# Truncation of bounded paths and messages is handled where it matters.
WARN    := -Wall -Wextra -Wshadow -Wno-unused-parameter -Wno-format-truncation
# Warnings are errors in CI (CI=true) and whenever WERROR=1.
ifneq ($(filter true 1,$(CI) $(WERROR)),)
WARN    += -Werror
endif
DEPS_OK  = $(BUILD)/.deps-ok
# pkg-config runs inside the recipes: on a fresh machine the packages are only
# there once $(DEPS_OK) has been made.
ALL_CFLAGS = -std=gnu11 $(CFLAGS) $(WARN) -MMD -MP

# The folders, bottom to top (docs/architecture.md; mk/layers.sh checks that
# every include points down this list, and that diagnose/ sees only lib/ and media/).
DIRS     := lib netns media sip registrar faults diagnose pcapdx html sim/model train sim/platform sim/worker \
            sim/run repro sim/cli
LIB_SRC  := $(filter-out sim/cli/main.c,$(foreach d,$(DIRS),$(wildcard $(d)/*.c)))
# The fault registry is generated from faults/ (mk/registry.sh).
GEN_OBJ  := $(BUILD)/obj/gen/fault_registry.o
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(GEN_OBJ)
MAIN_OBJ := $(BUILD)/obj/sim/cli/main.o
SOURCES  := $(foreach d,$(DIRS) tests,$(wildcard $(d)/*.[ch]))
TESTS    := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/test_*.c))
BENCHES  := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/bench_*.c))

.PHONY: all deps run test check bench asan lint format clean
all: $(BUILD)/siplab

$(DEPS_OK): mk/deps.sh
	@mkdir -p $(BUILD)
	@bash mk/deps.sh
	@touch $@

deps: $(DEPS_OK)

# The objects need the packages' headers; pkg-config is re-read after install.
$(BUILD)/obj/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(shell pkg-config --cflags $(PKGS)) -c $< -o $@

# The folder itself too: a fault removed changes its listing, not a file.
$(BUILD)/gen/fault_registry.c: mk/registry.sh faults $(wildcard faults/*.c)
	@mkdir -p $(dir $@)
	bash mk/registry.sh faults > $@.tmp && mv $@.tmp $@

$(GEN_OBJ): $(BUILD)/gen/fault_registry.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -I$(CURDIR) $(shell pkg-config --cflags $(PKGS)) -c $< -o $@

# farside.c builds sim/run/kamailio.cfg.in into the program (.incbin).
$(BUILD)/obj/sim/run/farside.o: sim/run/kamailio.cfg.in

# lib/keylog.c defines SSL_CTX_new so sofia-sip's TLS contexts log their keys
# when a run is captured: the program exports it for libsofia-sip-ua to bind to.
LINK_EXPORTS := -Wl,--export-dynamic-symbol=SSL_CTX_new

$(BUILD)/siplab: $(MAIN_OBJ) $(LIB_OBJ)
	$(CC) $(CFLAGS) $(LINK_EXPORTS) $^ -o $@ $(shell pkg-config --libs $(PKGS)) -lm

$(BUILD)/tests/%: tests/%.c tests/harness.h tests/labrun.h $(LIB_OBJ) | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(shell pkg-config --cflags $(PKGS) cmocka) $< $(LIB_OBJ) -o $@ \
		$(shell pkg-config --libs $(PKGS) cmocka) -lm

# The main job on the embedded default lab: check the lab, then the scenario
# catalogue — each documented failure reproduced, diagnosed, its remedy
# verified — with the reports in build/reports/.
run: $(BUILD)/siplab
	$(BUILD)/siplab lab check
	$(BUILD)/siplab run scenarios/ --report $(BUILD)/reports

test check: $(BUILD)/siplab $(TESTS)
	@SIPLAB=$(BUILD)/siplab bash tests/run.sh $(TESTS)

bench: $(BUILD)/siplab $(BENCHES)
	@for b in $(BENCHES); do $$b || exit 1; done

# The same suite built with AddressSanitizer and UBSan, in its own tree.
# SIPLAB_ASAN tells a test to skip what only exercises an outside reader's
# memory (headless Chromium reading the HTML report).
# The sanitizer run leaves out of its catalogue the scenarios calibrated in
# CPU time or kernel timers for the normal build, where a process three times
# slower changes what they show (a starved registrar lets almost nothing
# through; a conntrack entry outlives the pause): make test runs them.
ASAN_SKIP := reg_registrar_overloaded.json reg_worker_overloaded.json \
	worker_cpu_saturation.json media_conntrack_expiry.json
# Its test binaries also run one after another (SIPLAB_TEST_ALONGSIDE empty):
# beside its catalogue, a healthy worker three times slower stalls long
# enough for its calls' audio to miss the jitter buffer.

asan: | $(DEPS_OK)
	LSAN_OPTIONS=suppressions=$(CURDIR)/mk/lsan.supp:fast_unwind_on_malloc=0 SIPLAB_CATALOGUE_JOBS=3 \
		SIPLAB_ASAN=1 SIPLAB_TEST_ALONGSIDE= \
		SIPLAB_CATALOGUE_SKIP="$(ASAN_SKIP)" \
		$(MAKE) BUILD=$(BUILD)/asan CC=gcc \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
		test

# ctuuninitvar: cppcheck takes err_t out-parameters (filled only on error) for reads.
# cppcheck does not read system headers, so cJSON's loop macro is spelled out.
lint: $(DEPS_OK)
	@bash mk/deps.sh --dev
	bash mk/layers.sh
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--inline-suppr --std=c11 -D__linux__ --suppress=missingIncludeSystem \
		--suppress=ctuuninitvar \
		--include=mk/cppcheck.h \
		$(DIRS) tests
	clang-format --dry-run -Werror $(SOURCES)

format:
	clang-format -i $(SOURCES)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj $(BUILD)/tests -name '*.d' 2>/dev/null)
