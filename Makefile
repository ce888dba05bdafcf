# rm.h build: `make` builds the tool and the tests, `make test` runs the whole suite.
CC      ?= cc
OPENMP  ?= 1
BUILD   ?= build
OPT     ?= -O2 -march=native
WARN     = -Wall -Wextra -pedantic -Werror
CFLAGS  += -std=c99 $(OPT) $(WARN) -I.
LDLIBS  += -lm

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
VOCABS    := $(patsubst tests/data/tokenizers/%.xz,$(BUILD)/vocab/%,$(wildcard tests/data/tokenizers/*.xz))
HDRS      := rm.h $(wildcard wip/*.h) $(wildcard examples/*.h) tests/test.h

.PHONY: all test fuzz asan tsan bench run clean vocab
all: $(EXAMPLES) $(TEST_BINS)

$(BUILD):
	@mkdir -p $(BUILD) $(BUILD)/vocab

$(BUILD)/%: examples/%.c $(HDRS) | $(BUILD)
	$(CC) $(CFLAGS) $< -o $@ $(LDFLAGS) $(LDLIBS)

$(BUILD)/test_%: tests/test_%.c $(HDRS) | $(BUILD)
	$(CC) $(CFLAGS) -Itests $< -o $@ $(LDFLAGS) $(LDLIBS)

# Tokenizer vocabularies ship xz-compressed to keep the repository small.
$(BUILD)/vocab/%: tests/data/tokenizers/%.xz | $(BUILD)
	xz -dc $< > $@.tmp && mv $@.tmp $@
vocab: $(VOCABS)

test: all vocab
	@BUILD=$(BUILD) sh tests/run.sh $(TEST_BINS)

clean:
	rm -rf $(BUILD)
