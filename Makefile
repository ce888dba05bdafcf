# rm.h build: `make` builds the tool and the tests, `make test` runs the whole suite.
CC      ?= cc
OPENMP  ?= 1
BUILD   ?= build
OPT     ?= -O2 -march=native
WARN     = -Wall -Wextra -pedantic -Werror
CFLAGS  += -std=c99 $(OPT) $(WARN) -I.
LDLIBS  += -lm -pthread

# OpenMP when the compiler has it (`make OPENMP=0` builds without).
ifeq ($(OPENMP),1)
HAVE_OMP := $(shell printf 'int main(void){return 0;}' | $(CC) -fopenmp -x c - -o /dev/null 2>/dev/null && echo 1)
ifeq ($(HAVE_OMP),1)
CFLAGS  += -fopenmp
LDFLAGS += -fopenmp
endif
endif

# zlib for .gz input to rmtool when the compiler finds it (`make ZLIB=0` builds without; that
# rmtool then says "decompress first" for a .gz file). rm.h itself never uses zlib.
ZLIB ?= 1
ifeq ($(ZLIB),1)
HAVE_ZLIB := $(shell printf '\043include <zlib.h>\nint main(void){return !zlibVersion();}' | $(CC) -x c - -lz -o /dev/null 2>/dev/null && echo 1)
endif
ifeq ($(HAVE_ZLIB),1)
$(BUILD)/rmtool: CFLAGS += -DRMT_HAVE_ZLIB
$(BUILD)/rmtool: LDLIBS += -lz
endif

# libmicrohttpd, when pkg-config finds it, gives rmtool its `serve` command (`make MHD=0` builds
# without; the command then says how to get the library). rm.h itself needs nothing.
MHD     ?= $(shell pkg-config --exists libmicrohttpd 2>/dev/null && echo 1)
ifeq ($(MHD),1)
MHD_CFLAGS := -DRMT_HAVE_MHD $(shell pkg-config --cflags libmicrohttpd)
MHD_LIBS   := $(shell pkg-config --libs libmicrohttpd)
$(BUILD)/rmtool: CFLAGS += $(MHD_CFLAGS)
$(BUILD)/rmtool: LDLIBS += $(MHD_LIBS)
endif

TEST_SRCS := $(wildcard tests/test_*.c)
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/%,$(TEST_SRCS))
EXAMPLES  := $(BUILD)/rmtool $(BUILD)/rmtool-scalar $(patsubst examples/%.c,$(BUILD)/%,$(filter-out examples/rmtool.c,$(wildcard examples/*.c)))
VOCABS    := $(patsubst tests/data/tokenizers/%.gz,$(BUILD)/vocab/%,$(wildcard tests/data/tokenizers/*.gz))
PAPER_DATA := $(patsubst tests/data/paper/%.gz,$(BUILD)/paper-data/%,$(wildcard tests/data/paper/*.gz))
HDRS      := rm.h $(wildcard wip/*.h) $(wildcard examples/*.h) tests/test.h

.PHONY: all test test-arm64 test-windows fuzz fuzz-run asan tsan bench bench-serve run head clean vocab lib install paper paper-data
all: $(EXAMPLES) $(TEST_BINS)

$(BUILD):
	@mkdir -p $(BUILD) $(BUILD)/vocab

$(BUILD)/%: examples/%.c $(HDRS) | $(BUILD)
	$(CC) $(CFLAGS) $< -o $@ $(LDFLAGS) $(LDLIBS)


$(BUILD)/test_%: tests/test_%.c $(HDRS) | $(BUILD)
	$(CC) $(CFLAGS) -Itests $< -o $@ $(LDFLAGS) $(LDLIBS)

# The portable scalar kernels only, at fixed flags, without zlib: what `make head` fits with,
# so the shipped head is the same bytes on every machine (the AVX-512 kernels sum in another
# order, which moves hidden states in their last bits), and test_cli's no-zlib build.
$(BUILD)/rmtool-scalar: examples/rmtool.c $(HDRS) | $(BUILD)
	$(CC) -std=c99 -O2 $(WARN) -I. -DRM_NO_SIMD $< -o $@ $(LDLIBS)

# two translation units, both with the implementation at static linkage
$(BUILD)/test_static: tests/test_static.c tests/static_b.inc $(HDRS) | $(BUILD)
	$(CC) $(CFLAGS) -Itests tests/test_static.c -x c tests/static_b.inc -x none -o $@ $(LDFLAGS) $(LDLIBS)

# Tokenizer vocabularies ship gzip-compressed to keep the repository small.
$(BUILD)/vocab/%: tests/data/tokenizers/%.gz | $(BUILD)
	@mkdir -p $(dir $@)
	gzip -dc $< > $@.tmp && mv $@.tmp $@
vocab: $(VOCABS)

# The paper's evaluation sets ship gzip-compressed too.
$(BUILD)/paper-data/%: tests/data/paper/%.gz | $(BUILD)
	@mkdir -p $(dir $@)
	gzip -dc $< > $@.tmp && mv $@.tmp $@
paper-data: $(PAPER_DATA)

# The shared library: only rm_* exported (RM_SHARED + -fvisibility=hidden), soname librm.so.MAJOR.MINOR
# (0.x releases may change the ABI between minor versions). `make install PREFIX=/usr/local`.
PREFIX  ?= /usr/local
VERSION := $(shell sed -n 's/^\#define RM_VERSION_\(MAJOR\|MINOR\|PATCH\) //p' rm.h | paste -sd. -)
SONAME  := librm.so.$(basename $(VERSION))
lib: $(BUILD)/librm.so $(BUILD)/rm.pc
$(BUILD)/librm.so: lib/rm.c rm.h | $(BUILD)
	$(CC) $(CFLAGS) -fPIC -fvisibility=hidden -shared -Wl,-soname,$(SONAME) lib/rm.c -o $@ $(LDFLAGS) $(LDLIBS)
$(BUILD)/rm.pc: lib/rm.pc.in rm.h | $(BUILD)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' lib/rm.pc.in > $@
install: $(BUILD)/librm.so
	mkdir -p $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	cp rm.h $(DESTDIR)$(PREFIX)/include/rm.h
	cp $(BUILD)/librm.so $(DESTDIR)$(PREFIX)/lib/librm.so.$(VERSION)
	ln -sf librm.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(PREFIX)/lib/librm.so
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' lib/rm.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/rm.pc

# Beside the C test programs: the shared library and its installation (tests/test_lib.sh) and the
# Python binding's unittest suite (python/tests, Debian's /usr/bin/python3 or PYTHON=).
# PYTESTS=0 leaves both out (the sanitizer builds, whose library Python cannot load as is).
PYTESTS ?= 1
ifeq ($(PYTESTS),1)
SCRIPT_TESTS := tests/test_lib.sh python/tests/run.sh
TEST_DEPS    := lib
endif
test: all vocab paper-data $(TEST_DEPS)
	@BUILD=$(BUILD) sh tests/run.sh $(TEST_BINS) $(SCRIPT_TESTS)

# The main job: score sample pairs with both reward models on the models shipped in models/,
# then evaluate both on the demo preference set.
run: $(BUILD)/rmtool $(BUILD)/quickstart
	@$(BUILD)/quickstart
	@echo
	@$(BUILD)/rmtool eval --input examples/data/story-prefs.jsonl --model models/stories260K-policy.gguf \
	    --ref models/stories260K.gguf --head models/stories260K-head.gguf --mode both --template none --beta 0.1

# Speed: synthesises real-shaped models (cached in build/bench-models) and prints one table of
# medians; LLAMA_BENCH=/path/to/llama-bench adds llama.cpp's figures on the same files; then
# the HTTP load run (bench-serve).
bench: $(BUILD)/rmtool
	RMTOOL=$(BUILD)/rmtool sh tools/bench.sh
	@$(MAKE) --no-print-directory bench-serve

# HTTP: a bounded loopback load on rmtool serve against rmtool score on the same rows.
bench-serve: $(BUILD)/rmtool
	@if [ "$(MHD)" = 1 ]; then RMTOOL=$(BUILD)/rmtool BUILD=$(BUILD) sh tools/bench_serve.sh; \
	else echo "bench-serve skipped: rmtool built without libmicrohttpd (apt-get install libmicrohttpd-dev)"; fi

# Refit the demo head shipped in models/: bit-reproducible (scalar kernels; any thread count).
head: $(BUILD)/rmtool-scalar
	$(BUILD)/rmtool-scalar fit-head --model models/stories260K-policy.gguf --template none \
	    --input examples/data/story-prefs.jsonl -o models/stories260K-head.gguf --seed 1

# Razin et al.'s comparison on the shipped model: EX-RM and IM-RM fitted on the same UltraFeedback
# pairs, evaluated in distribution, paraphrased, in French and Spanish, on math and on code
# (writes build/paper/paper.md, .json, .svg and .png; the README's table comes from this).
paper: $(BUILD)/rmtool paper-data
	$(BUILD)/rmtool paper --model models/stories260K.gguf --template none --data $(BUILD)/paper-data --out $(BUILD)/paper \
	    --max-length 512 --threads 1

# libFuzzer targets (clang): `make fuzz` builds them, `make fuzz-run` runs each for
# FUZZ_SECONDS from a seed corpus made of the test data.
FUZZ_SRCS    := $(wildcard tests/fuzz_*.c)
FUZZ_BINS    := $(patsubst tests/%.c,$(BUILD)/%,$(FUZZ_SRCS))
FUZZ_SECONDS ?= 30
FUZZ_FLAGS    = -std=c99 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I. -Iexamples -Itests
fuzz: $(FUZZ_BINS)
$(BUILD)/fuzz_%: tests/fuzz_%.c $(HDRS) | $(BUILD)
	clang $(FUZZ_FLAGS) $< -o $@ -lm
fuzz-run: fuzz vocab
	@FUZZ_SECONDS=$(FUZZ_SECONDS) BUILD=$(BUILD) sh tests/fuzz.sh $(FUZZ_BINS)

# The whole suite again under AddressSanitizer + UBSan, and under ThreadSanitizer.
asan:
	$(MAKE) BUILD=build/asan PYTESTS=0 OPT="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" test
tsan:
	$(MAKE) BUILD=build/tsan PYTESTS=0 CC=clang OPENMP=0 OPT="-O1 -g -fsanitize=thread" test

# ARM64: cross-compiled with aarch64-linux-gnu-gcc and run under qemu-aarch64 (Debian
# gcc-aarch64-linux-gnu, libc6-dev-arm64-cross, qemu-user), bounded for CI (qemu translates every
# instruction: the whole suite took over 45 minutes). It runs test_kernels on each of ARM64_CPUS
# (cortex-a53: ARMv8.0, the FMLA and SMLAL fallbacks; cortex-a76: ARMv8.2 with dotprod, no bf16;
# max: dotprod, bf16, i8mm, the BFDOT path) and with RM_ISA=scalar, then ARM64_FULL_TESTS
# (test_forward at the default precision only, RMT_QUICK; test_score, test_tok) on -cpu
# ARM64_FULL (max) only. The kernels need only
# ARMv8.0 (the optional instructions sit in functions with target attributes), hence
# -march=armv8-a: the build must run on the v8.0 cores too.
ARM64_CC      ?= aarch64-linux-gnu-gcc
ARM64_BUILD   ?= build/arm64
ARM64_OPT     ?= -O2 -march=armv8-a
ARM64_SYSROOT ?= /usr/aarch64-linux-gnu
ARM64_FULL    ?= max
ARM64_CPUS    ?= cortex-a53 cortex-a76 max
ARM64_FULL_TESTS = $(ARM64_BUILD)/test_forward $(ARM64_BUILD)/test_score $(ARM64_BUILD)/test_tok
test-arm64: vocab
	$(MAKE) BUILD=$(ARM64_BUILD) CC=$(ARM64_CC) OPT="$(ARM64_OPT)" $(ARM64_BUILD)/test_kernels $(ARM64_FULL_TESTS)
	@export QEMU_LD_PREFIX=$(ARM64_SYSROOT) TEST_EXEC=qemu-aarch64 BUILD=$(ARM64_BUILD); st=0; \
	for c in $(ARM64_CPUS); do \
	    echo "== qemu-aarch64 -cpu $$c: test_kernels"; \
	    QEMU_CPU=$$c sh tests/run.sh $(ARM64_BUILD)/test_kernels || st=1; \
	done; \
	echo "== qemu-aarch64 -cpu $(ARM64_FULL), RM_ISA=scalar: test_kernels"; \
	RM_ISA=scalar QEMU_CPU=$(ARM64_FULL) sh tests/run.sh $(ARM64_BUILD)/test_kernels || st=1; \
	echo "== qemu-aarch64 -cpu $(ARM64_FULL): test_forward, test_score, test_tok"; \
	RMT_QUICK=1 QEMU_CPU=$(ARM64_FULL) sh tests/run.sh $(ARM64_FULL_TESTS) || st=1; exit $$st

# Windows: the suite and rmtool cross-built with mingw-w64 (static .exe) and run under wine
# in a throwaway prefix under $(BUILD)/win (its first start takes a minute). test_cli and
# test_examples drive the tools through a POSIX shell (system() with ./path, sh -c, kill) and
# are not run there yet.
WIN_CC    ?= x86_64-w64-mingw32-gcc
WINE      ?= wine
WIN_BUILD := $(BUILD)/win
WIN_TESTS := $(filter-out $(WIN_BUILD)/test_cli.exe $(WIN_BUILD)/test_examples.exe,$(patsubst tests/%.c,$(WIN_BUILD)/%.exe,$(TEST_SRCS)))
WIN_FLAGS  = -std=c99 -O2 $(WARN) -I. -Itests -static
$(WIN_BUILD)/%.exe: tests/%.c $(HDRS)
	@mkdir -p $(WIN_BUILD)
	$(WIN_CC) $(WIN_FLAGS) $< -o $@ -lm -pthread
$(WIN_BUILD)/test_static.exe: tests/test_static.c tests/static_b.inc $(HDRS)
	@mkdir -p $(WIN_BUILD)
	$(WIN_CC) $(WIN_FLAGS) tests/test_static.c -x c tests/static_b.inc -x none -o $@ -lm
$(WIN_BUILD)/rmtool.exe: examples/rmtool.c $(HDRS)
	@mkdir -p $(WIN_BUILD)
	$(WIN_CC) $(WIN_FLAGS) $< -o $@ -lm
test-windows: $(WIN_TESTS) $(WIN_BUILD)/rmtool.exe vocab
	@WINEPREFIX=$(abspath $(WIN_BUILD))/prefix WINEDEBUG=-all BUILD=$(BUILD) TEST_EXEC=$(WINE) sh tests/run.sh $(WIN_TESTS)

clean:
	rm -rf $(BUILD)
