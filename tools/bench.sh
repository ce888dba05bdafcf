#!/bin/sh
# Prefill benchmark (what `make bench` runs): synthesises real-shaped random-weight models with
# `rmtool synth` into a cache folder outside git, runs `rmtool bench` on each at several prompt
# lengths and thread counts, and prints one table of median tokens/s. When llama-bench is
# available (LLAMA_BENCH=/path/to/llama-bench) it runs on the same files and the table gains
# llama.cpp's figures and the ratio rm.h / llama.cpp.
#
# Environment (all optional):
#   RMTOOL        rmtool binary                      (default build/rmtool)
#   RM_BENCH_DIR  model cache                        (default build/bench-models)
#   PRESETS       rmtool synth presets               (default "qwen2.5-0.5b llama-3.2-1b")
#   TYPES         model types                        (default "f16 bf16 q8_0 q4_k_m")
#   TOKENS        prompt lengths                     (default "64 256 512")
#   THREADS       thread counts                      (default "1 2")
#   RUNS          timed runs per point (median)      (default 3)
#   LLAMA_BENCH   llama.cpp's llama-bench            (default: none)
set -u

RMTOOL=${RMTOOL:-build/rmtool}
DIR=${RM_BENCH_DIR:-build/bench-models}
PRESETS=${PRESETS:-"qwen2.5-0.5b llama-3.2-1b"}
TYPES=${TYPES:-"f16 bf16 q8_0 q4_k_m"}
TOKENS=${TOKENS:-"64 256 512"}
THREADS=${THREADS:-"1 2"}
RUNS=${RUNS:-3}
LLAMA_BENCH=${LLAMA_BENCH:-}

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
echo

# median tokens/s of rmtool bench --json (its last line holds prefill_tokens_per_s)
rm_tps() {
    "$RMTOOL" bench --model "$1" --tokens "$2" --threads "$3" --runs "$RUNS" --json 2>/dev/null | tail -n 1 |
        sed -n 's/.*"prefill_tokens_per_s": *\([0-9.eE+-]*\).*/\1/p'
}

# llama-bench's mean tokens/s (avg_ts column of its CSV output)
lc_tps() {
    "$LLAMA_BENCH" -m "$1" -p "$2" -n 0 -t "$3" -r "$RUNS" -o csv 2>/dev/null |
        awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "avg_ts") c = i; next }
                 c { gsub(/"/, "", $c); print $c; exit }'
}

if [ -n "$LLAMA_BENCH" ]; then
    printf '%-26s %6s %4s %12s %12s %7s\n' model tokens thr "rm.h t/s" "llama t/s" ratio
else
    printf '%-26s %6s %4s %12s\n' model tokens thr "rm.h t/s"
fi
for preset in $PRESETS; do
    for type in $TYPES; do
        f="$DIR/$preset-$type.gguf"
        if [ ! -s "$f" ]; then
            "$RMTOOL" synth --preset "$preset" --type "$type" -o "$f" >&2 || { echo "bench: synth $preset $type failed" >&2; continue; }
        fi
        for n in $TOKENS; do
            for t in $THREADS; do
                r=$(rm_tps "$f" "$n" "$t")
                [ -n "$r" ] || r="error"
                if [ -n "$LLAMA_BENCH" ]; then
                    l=$(lc_tps "$f" "$n" "$t")
                    [ -n "$l" ] || l="error"
                    ratio=$(awk -v a="$r" -v b="$l" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }')
                    printf '%-26s %6s %4s %12s %12s %7s\n' "$preset-$type" "$n" "$t" "$r" "$l" "$ratio"
                else
                    printf '%-26s %6s %4s %12s\n' "$preset-$type" "$n" "$t" "$r"
                fi
            done
        done
    done
done
