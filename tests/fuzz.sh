#!/bin/sh
# Runs each libFuzzer binary for FUZZ_SECONDS on a seed corpus built from the test data and
# prints "N passed, M failed" (a target passes when it finds no crash). FUZZ_SEED (default 1)
# fixes the mutation sequence, so that a shorter run replays a prefix of a longer one with the
# same seed (CI's bounded run retraces what was fuzzed longer before); FUZZ_SEED=0 is random.
set -u
passed=0; failed=0
for f in "$@"; do
    name=$(basename "$f")
    corpus="$BUILD/corpus/$name"; mkdir -p "$corpus"
    case "$name" in
        fuzz_gguf) for m in tests/data/models/stories260K-q8_0.gguf tests/data/models/tiny-llama-q4_k_m.gguf tests/data/models/tiny-gptneox.gguf; do cp "$m" "$corpus/"; done ;;
        fuzz_serve) cp tests/data/serve/rows.jsonl "$corpus/rows.jsonl"; head -n 1 tests/data/serve/rows.jsonl > "$corpus/row.json"; printf '{"query":["ab","ac"],"prompts":["a","a"]}' > "$corpus/q.json"; printf '{"inputs":[["a","b"],["c"]],"raw_scores":true}' > "$corpus/p.json"; printf '{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}' > "$corpus/m.json" ;;
        fuzz_rows) head -n 3 tests/data/prefs/hh-rlhf-helpful-base-12.jsonl | split -l 1 - "$corpus/hh"; head -n 2 tests/data/prefs/orca_dpo_pairs-12.jsonl | split -l 1 - "$corpus/orca"; head -n 2 tests/data/prefs/ultrafeedback-test-12.jsonl | split -l 1 - "$corpus/uf" ;;
        fuzz_json) head -c 3000 tests/data/tokenizers/chat_templates.json > "$corpus/chat.json"; head -n 2 tests/data/prefs/orca_dpo_pairs-12.jsonl | cut -c1-3000 > "$corpus/rows.jsonl"; head -c 2000 tests/data/ref/tiny-llama.json > "$corpus/cut.json" ;;
        fuzz_safetensors) sh tests/fuzz_safetensors_seed.sh "$corpus" ;;
        fuzz_tok*) cp tests/data/tokenizers/*.inp "$corpus/" 2>/dev/null ;;
        fuzz_chat*) cp tests/data/tokenizers/*.inp "$corpus/" 2>/dev/null ;;
    esac
    if "$f" -seed="${FUZZ_SEED:-1}" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$BUILD/" "$corpus" > "$BUILD/$name.log" 2>&1; then
        echo "ok   $name: $(grep -E 'stat::number_of_executed_units' "$BUILD/$name.log" | awk '{print $2}') executions in ${FUZZ_SECONDS}s"
        passed=$((passed + 1))
    else
        echo "FAIL $name (see $BUILD/$name.log)"; tail -n 30 "$BUILD/$name.log"
        failed=$((failed + 1))
    fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
