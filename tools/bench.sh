#!/bin/sh
# Speed benchmark (what `make bench` runs): synthesises real-shaped random-weight models with
# `rmtool synth` into a cache folder outside git (or takes them from MODELS_FROM), runs
# `rmtool bench` on each at several prompt lengths and thread counts, and prints one table of
# median prefill tokens/s. When llama-bench is available (LLAMA_BENCH=/path/to/llama-bench) it
# runs on the same files and the table gains llama.cpp's figures and the ratio rm.h / llama.cpp.
# The threads rows: EX scoring with 2 threads against 1 on the machine as it is (quiet, when
# nothing else runs), then with one busy process pinned to the last CPU (a shell loop started
# and killed here, bounded by `timeout`) the default thread count against --threads 1, and
# `rmtool eval` on the 12 UltraFeedback rows of tests/data with tiny-qwen2-rm.gguf beside the
# same busy process.
# Then, per model and thread count, the scoring rows: explicit and implicit scoring through
# rm_score_ids (pairs/s, tokens/s), the shared-prompt ratio (a 512-token prompt with 8 responses
# of 64 scored together, over a prefill of 1024 tokens) and the peak RSS against its budget
# (file + KV cache + 64 MB).
#
# Environment (all optional):
#   RMTOOL        rmtool binary                      (default build/rmtool)
#   RM_BENCH_DIR  model cache                        (default build/bench-models)
#   MODELS_FROM   folder of PRESET-TYPE.gguf files to use before synthesising (default none)
#   PRESETS       rmtool synth presets               (default "qwen2.5-0.5b llama-3.2-1b")
#   TYPES         model types                        (default "f16 bf16 q8_0 q4_k_m")
#   TOKENS        prompt lengths                     (default "16 64 512")
#   ISAS          rm.h instruction sets (RM_ISA)     (default "default": the fastest; e.g. "avx512 avx2")
#   THREADS       thread counts                      (default "1 2")
#   RUNS          timed runs per point (median)      (default 3)
#   PRECISION     rm_precision of F16/BF16 weights   (default auto; "auto bf16 f32" for all; rows
#                 of bf16 and f32 are labelled MODEL/bf16, MODEL/f32)
#   SCORING       1: the scoring rows, 0: prefill only (default 1)
#   SHARED        1: the threads rows (below), 0: none (default 1)
#   SHARED_MODEL  model of the threads rows          (default the first PRESET, q8_0)
#   LLAMA_BENCH   llama.cpp's llama-bench            (default: none)
#   LLAMA_BENCH_AVX2  a llama-bench built for AVX2 only, compared with the avx2 rows
#                 (default: LLAMA_BENCH)
set -u

RMTOOL=${RMTOOL:-build/rmtool}
DIR=${RM_BENCH_DIR:-build/bench-models}
MODELS_FROM=${MODELS_FROM:-}
PRESETS=${PRESETS:-"qwen2.5-0.5b llama-3.2-1b"}
TYPES=${TYPES:-"f16 bf16 q8_0 q4_k_m"}
TOKENS=${TOKENS:-"16 64 512"}
ISAS=${ISAS:-default}
THREADS=${THREADS:-"1 2"}
RUNS=${RUNS:-3}
SCORING=${SCORING:-1}
PRECISION=${PRECISION:-auto}
LLAMA_BENCH=${LLAMA_BENCH:-}
LLAMA_BENCH_AVX2=${LLAMA_BENCH_AVX2:-$LLAMA_BENCH}

if [ ! -x "$RMTOOL" ]; then
    echo "bench: $RMTOOL not found (run make first)" >&2
    exit 1
fi
if [ -n "$LLAMA_BENCH" ] && [ ! -x "$LLAMA_BENCH" ]; then
    echo "bench: LLAMA_BENCH=$LLAMA_BENCH is not executable; comparing with llama.cpp is skipped" >&2
    LLAMA_BENCH=
fi
mkdir -p "$DIR" || exit 1

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //'), $(getconf _NPROCESSORS_ONLN 2>/dev/null) logical CPUs"
echo "flags: $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | tr ' ' '\n' | grep -E '^(avx|avx2|fma|f16c|avx512[a-z0-9_]*|avx_vnni|amx[a-z0-9_]*)$' | tr '\n' ' ')"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
echo

# a field of rmtool bench --json's last line
field() { sed -n "s/.*\"$1\": *\([0-9.eE+-]*\).*/\1/p"; }

# rm_run FILE THREADS [more rmtool bench options]: the JSON line (RM_ISA from $isa)
rm_run() {
    m=$1 th=$2
    shift 2
    if [ "${isa:-default}" = default ]; then
        "$RMTOOL" bench --model "$m" --threads "$th" --runs "$RUNS" --json "$@" 2>/dev/null | tail -n 1
    else
        RM_ISA=$isa "$RMTOOL" bench --model "$m" --threads "$th" --runs "$RUNS" --json "$@" 2>/dev/null | tail -n 1
    fi
}

# llama-bench's mean tokens/s (avg_ts column of its CSV output): BENCH FILE TOKENS THREADS
lc_tps() {
    "$1" -m "$2" -p "$3" -n 0 -t "$4" -r "$RUNS" -o csv 2>/dev/null |
        awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "avg_ts") c = i; next }
                 c { gsub(/"/, "", $c); print $c; exit }'
}

model_file() {
    f="$DIR/$1-$2.gguf"
    if [ ! -s "$f" ] && [ -n "$MODELS_FROM" ] && [ -s "$MODELS_FROM/$1-$2.gguf" ]; then
        f="$MODELS_FROM/$1-$2.gguf"
    fi
    if [ ! -s "$f" ]; then
        "$RMTOOL" synth --preset "$1" --type "$2" -o "$f" >&2 || { echo "bench: synth $1 $2 failed" >&2; return 1; }
    fi
    echo "$f"
}

echo "prefill (median tokens/s)"
if [ -n "$LLAMA_BENCH" ]; then
    printf '%-26s %-7s %6s %4s %12s %12s %7s\n' model isa tokens thr "rm.h t/s" "llama t/s" ratio
else
    printf '%-26s %-7s %6s %4s %12s\n' model isa tokens thr "rm.h t/s"
fi
for preset in $PRESETS; do
    for type in $TYPES; do
        f=$(model_file "$preset" "$type") || continue
        for isa in $ISAS; do
            lb=$LLAMA_BENCH
            [ "$isa" = avx2 ] && lb=$LLAMA_BENCH_AVX2
            for n in $TOKENS; do
                for t in $THREADS; do
                    l=
                    if [ -n "$lb" ]; then
                        l=$(lc_tps "$lb" "$f" "$n" "$t")
                        [ -n "$l" ] || l="error"
                    fi
                    for p in $PRECISION; do
                        label="$preset-$type"
                        [ "$p" = auto ] || label="$label/$p"
                        j=$(rm_run "$f" "$t" --tokens "$n" --precision "$p")
                        r=$(echo "$j" | field prefill_tokens_per_s)
                        ri=$(echo "$j" | sed -n 's/.*"isa": *"\([a-z0-9]*\)".*/\1/p')
                        [ -n "$r" ] || r="error"
                        if [ -n "$lb" ]; then
                            ratio=$(awk -v a="$r" -v b="$l" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }')
                            printf '%-26s %-7s %6s %4s %12s %12s %7s\n' "$label" "${ri:-$isa}" "$n" "$t" "$r" "$l" "$ratio"
                        else
                            printf '%-26s %-7s %6s %4s %12s\n' "$label" "${ri:-$isa}" "$n" "$t" "$r"
                        fi
                    done
                done
            done
        done
    done
done
isa=default

# tokenizer speed: 1 MB of English (the UltraFeedback sample) and 1 MB of CJK (tests/data/bench)
echo
echo "tokenizer (best of 5, MB/s of UTF-8 input)"
printf '%-14s %10s %10s\n' vocabulary English CJK
make -s vocab >/dev/null 2>&1
tok_text() { # FILE -> 1 MB file repeating it
    o="$DIR/$(basename "$1").1mb"
    if [ ! -s "$o" ]; then
        : > "$o"
        while [ "$(wc -c < "$o")" -lt 1048576 ]; do cat "$1" >> "$o"; done
    fi
    echo "$o"
}
eng=$(tok_text tests/data/prefs/ultrafeedback-test-12.jsonl)
cjk=$(tok_text tests/data/bench/cjk-sample.txt)
for v in llama-spm gpt-2 llama3.1 qwen3 gemma3; do
    vf="build/vocab/ggml-vocab-$v.gguf"
    [ -s "$vf" ] || continue
    e=$("$RMTOOL" tokenize --model "$vf" --file "$eng" --speed 2>/dev/null | field mb_per_s)
    c=$("$RMTOOL" tokenize --model "$vf" --file "$cjk" --speed 2>/dev/null | field mb_per_s)
    printf '%-14s %10s %10s\n' "$v" "$e" "$c"
done

# busy_start: one spinning process on the last CPU (pinned when taskset exists), at most 15 min
busy_start() {
    ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
    last=$((ncpu - 1))
    if command -v taskset >/dev/null 2>&1; then
        timeout 900 taskset -c "$last" sh -c 'while :; do :; done' &
    else
        timeout 900 sh -c 'while :; do :; done' &
    fi
    BUSY=$!
    sleep 1
}
busy_stop() { kill "$BUSY" 2>/dev/null; wait "$BUSY" 2>/dev/null; }
trap 'busy_stop' EXIT INT TERM
BUSY=

# wall seconds of one command
wall() {
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }'; }

if [ "${SHARED:-1}" = 1 ]; then
    sm=${SHARED_MODEL:-}
    [ -n "$sm" ] || sm=$(model_file "${PRESETS%% *}" q8_0)
    echo
    echo "threads ($(basename "$sm"), EX scoring tokens/s, medians of $RUNS; load before $(cut -d' ' -f1 /proc/loadavg 2>/dev/null))"
    printf '%-36s %10s %10s %7s %8s
' condition "threads" "1 thread" ratio target
    a=$(rm_run "$sm" 2 --mode explicit | field tokens_per_s)
    b=$(rm_run "$sm" 1 --mode explicit | field tokens_per_s)
    printf '%-36s %10s %10s %7s %8s
' "as is: 2 threads vs 1" "$a" "$b" "$(ratio "$a" "$b")" ">= 1.8"
    busy_start
    a=$(rm_run "$sm" 0 --mode explicit | field tokens_per_s)
    b=$(rm_run "$sm" 1 --mode explicit | field tokens_per_s)
    printf '%-36s %10s %10s %7s %8s
' "busy process on CPU $last: default vs 1" "$a" "$b" "$(ratio "$a" "$b")" ">= 1.0"
    uf=tests/data/prefs/ultrafeedback-test-12.jsonl rmf=tests/data/models/tiny-qwen2-rm.gguf
    if [ -s "$uf" ] && [ -s "$rmf" ]; then
        a=$(wall "$RMTOOL" eval --input "$uf" --model "$rmf" --mode explicit)
        b=$(wall "$RMTOOL" eval --input "$uf" --model "$rmf" --mode explicit --threads 1)
        printf '%-36s %9ss %9ss %7s %8s
' "eval 12 UF rows, tiny-qwen2-rm, busy" "$a" "$b" "$(ratio "$b" "$a")" ">= 1.0"
    fi
    busy_stop
fi

[ "$SCORING" = 1 ] || exit 0
echo
echo "scoring (medians; EX/IM: 2 prompts of 256 tokens x 2 responses of 128; shared: 512 + 8 x 64 vs prefill 1024)"
printf '%-26s %4s %9s %9s %9s %9s %8s %10s %10s\n' model thr "EX pair/s" "EX tok/s" "IM pair/s" "IM tok/s" shared "RSS MB" "budget MB"
for preset in $PRESETS; do
    for type in $TYPES; do
        f=$(model_file "$preset" "$type") || continue
        for t in $THREADS; do
            ex=$(rm_run "$f" "$t" --mode explicit)
            im=$(rm_run "$f" "$t" --mode implicit)
            sh=$(rm_run "$f" "$t" --mode shared)
            # the peak RSS and budget of the run closest to (or furthest over) its budget
            rb=$(for j in "$ex" "$im" "$sh"; do
                     echo "$(echo "$j" | field peak_rss_mb) $(echo "$j" | field rss_budget_mb)"
                 done | awk '$2 > 0 && (!n++ || $1 / $2 > best) { best = $1 / $2; r = $1; b = $2 } END { print r, b }')
            rss=${rb% *} bud=${rb#* }
            printf '%-26s %4s %9s %9s %9s %9s %8s %10s %10s\n' "$preset-$type" "$t" \
                "$(echo "$ex" | field pairs_per_s)" "$(echo "$ex" | field tokens_per_s)" \
                "$(echo "$im" | field pairs_per_s)" "$(echo "$im" | field tokens_per_s)" \
                "$(echo "$sh" | field shared_ratio)" "$rss" "$bud"
        done
    done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
