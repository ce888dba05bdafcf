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

TEST_SRCS := $(wildcard tests/test_*.c)
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/%,$(TEST_SRCS))
EXAMPLES  := $(BUILD)/rmtool $(patsubst examples/%.c,$(BUILD)/%,$(filter-out examples/rmtool.c,$(wildcard examples/*.c)))
VOCABS    := $(patsubst tests/data/tokenizers/%.gz,$(BUILD)/vocab/%,$(wildcard tests/data/tokenizers/*.gz))
HDRS      := rm.h $(wildcard wip/*.h) $(wildcard examples/*.h) tests/test.h

.PHONY: all test test-windows fuzz fuzz-run asan tsan bench run head clean vocab
all: $(EXAMPLES) $(TEST_BINS)

$(BUILD):
	@mkdir -p $(BUILD) $(BUILD)/vocab

$(BUILD)/%: examples/%.c $(HDRS) | $(BUILD)
	$(CC) $(CFLAGS) $< -o $@ $(LDFLAGS) $(LDLIBS)

$(BUILD)/test_%: tests/test_%.c $(HDRS) | $(BUILD)
	$(CC) $(CFLAGS) -Itests $< -o $@ $(LDFLAGS) $(LDLIBS)

# two translation units, both with the implementation at static linkage
$(BUILD)/test_static: tests/test_static.c tests/static_b.inc $(HDRS) | $(BUILD)
	$(CC) $(CFLAGS) -Itests tests/test_static.c -x c tests/static_b.inc -x none -o $@ $(LDFLAGS) $(LDLIBS)

# Tokenizer vocabularies ship gzip-compressed to keep the repository small.
$(BUILD)/vocab/%: tests/data/tokenizers/%.gz | $(BUILD)
	@mkdir -p $(dir $@)
	gzip -dc $< > $@.tmp && mv $@.tmp $@
vocab: $(VOCABS)

test: all vocab
	@BUILD=$(BUILD) sh tests/run.sh $(TEST_BINS)

# The main job: score sample pairs with both reward models on the models shipped in models/,
# then evaluate both on the demo preference set.
run: $(BUILD)/rmtool $(BUILD)/quickstart
	@$(BUILD)/quickstart
	@echo
	@$(BUILD)/rmtool eval --input examples/data/story-prefs.jsonl --model models/stories260K-policy.gguf \
	    --ref models/stories260K.gguf --head models/stories260K-head.gguf --mode both --template none --beta 0.1

# Speed: synthesises real-shaped models (cached in build/bench-models) and prints one table of
# medians; LLAMA_BENCH=/path/to/llama-bench adds llama.cpp's figures on the same files.
bench: $(BUILD)/rmtool
	RMTOOL=$(BUILD)/rmtool sh tools/bench.sh

# Refit the demo head shipped in models/ (deterministic).
head: $(BUILD)/rmtool
	$(BUILD)/rmtool fit-head --model models/stories260K-policy.gguf --template none \
	    --input examples/data/story-prefs.jsonl -o models/stories260K-head.gguf --seed 1

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
	$(MAKE) BUILD=build/asan OPT="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" test
tsan:
	$(MAKE) BUILD=build/tsan CC=clang OPENMP=0 OPT="-O1 -g -fsanitize=thread" test

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
	@WINEPREFIX=$(abspath $(WIN_BUILD))/prefix WINEDEBUG=-all BUILD=$(BUILD) RUNNER=$(WINE) sh tests/run.sh $(WIN_TESTS)

clean:
	rm -rf $(BUILD)
