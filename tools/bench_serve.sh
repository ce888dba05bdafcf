#!/bin/sh
# `make bench`'s HTTP part: the same preference rows (tests/data/prefs, as score rows) scored by
# `rmtool score --input` in one process and by `rmtool serve` under CLIENTS concurrent loopback
# clients x REQUESTS requests, both at THREADS threads (score: one scorer on THREADS of rm.h's
# threads; serve: THREADS workers on one core each). Bounded: CLIENTS*REQUESTS requests and
# LIMIT seconds at most. Prints responses/s of both, the overhead, p50/p99 latency, errors and
# lost requests. MODEL/REF/MODE pick the models (default stories260K IM); MAX_CHARS drops longer
# rows (default 2500) to keep the run short.
set -u
MAX_CHARS=${MAX_CHARS:-2500}
RMTOOL=${RMTOOL:-build/rmtool}
PY=${PYTHON:-/usr/bin/python3}
CLIENTS=${CLIENTS:-4}
REQUESTS=${REQUESTS:-8}
THREADS=${THREADS:-2}
LIMIT=${LIMIT:-300}
MODEL=${MODEL:-models/stories260K-policy.gguf}
REF=${REF:-models/stories260K.gguf}
MODE=${MODE:-implicit}
out=${BUILD:-build}/bench-serve
mkdir -p "$out"
args="--model $MODEL --mode $MODE --template none"
[ "$MODE" = implicit ] && args="$args --ref $REF --beta 0.1"

# rows that fit the context (the longest prefs rows do not), then the exact request sequence
# the clients will send, as one file for rmtool score
$PY tools/prefs_to_rows.py tests/data/prefs/*.jsonl > "$out/all.jsonl"
"$RMTOOL" score $args --input "$out/all.jsonl" 2>/dev/null | $PY -c '
import json, sys
bad = {o["line"] for o in map(json.loads, sys.stdin) if "error" in o}
rows = [l for i, l in enumerate(open(sys.argv[1]), 1) if i not in bad and len(l) <= int(sys.argv[6])]
open(sys.argv[2], "w").writelines(rows)
seq = [rows[(c * int(sys.argv[4]) + i) % len(rows)] for c in range(int(sys.argv[3])) for i in range(int(sys.argv[4]))]
open(sys.argv[5], "w").writelines(seq)' "$out/all.jsonl" "$out/rows.jsonl" "$CLIENTS" "$REQUESTS" "$out/seq.jsonl" "$MAX_CHARS"

t0=$($PY -c 'import time; print(time.monotonic())')
"$RMTOOL" score $args --threads "$THREADS" --input "$out/seq.jsonl" > "$out/score.jsonl" 2>/dev/null
t1=$($PY -c 'import time; print(time.monotonic())')
n=$(grep -c '"reward"' "$out/score.jsonl")

rm -f "$out/port"
"$RMTOOL" serve $args --threads "$THREADS" --port 0 --port-file "$out/port" --max-queue 1024 2> "$out/serve.log" &
pid=$!
i=0; while [ ! -s "$out/port" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
load=$($PY tools/serve_load.py "http://127.0.0.1:$(cat "$out/port")" "$out/rows.jsonl" "$CLIENTS" "$REQUESTS" "$LIMIT")
kill -TERM $pid; wait $pid; rc=$?
$PY -c '
import json, sys
n, dt, rc = int(sys.argv[1]), float(sys.argv[3]) - float(sys.argv[2]), int(sys.argv[5])
s = json.loads(sys.argv[4])
base = n / dt
print("rows: %d requests (%d responses) from tests/data/prefs, %s clients, %s threads" % (s["requests"], n, s["clients"], sys.argv[6]))
print("rmtool score --input (one process): %8.1f responses/s" % base)
print("rmtool serve (HTTP, loopback):      %8.1f responses/s   overhead %+.1f%%" % (s["pairs_per_s"], 100 * (1 - s["pairs_per_s"] / base)))
print("latency p50 %.1f ms, p99 %.1f ms; errors %d, lost %d, unanswered %d; server exit %d" %
      (s["p50_ms"], s["p99_ms"], s["errors"], s["lost"], s["requests"] - s["answered"], rc))
sys.exit(0 if s["errors"] == 0 and s["lost"] == 0 and s["responses"] == n and rc == 0 else 1)' "$n" "$t0" "$t1" "$load" "$rc" "$THREADS"
