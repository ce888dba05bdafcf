#!/bin/sh
# Runs each test program given as an argument (through $TEST_EXEC when set, e.g. qemu-aarch64)
# and adds up their "N passed, M failed" lines.
passed=0; failed=0; crashed=0
for t in "$@"; do
    out=$(${TEST_EXEC:-} "$t" 2>&1); rc=$?
    printf '%s\n' "$out" | grep -v '^ok ' 
    line=$(printf '%s\n' "$out" | grep -E '^[^ ]+: [0-9]+ passed, [0-9]+ failed$' | tail -n 1)
    if [ -z "$line" ]; then
        echo "CRASH $t (exit $rc, no summary line)"; failed=$((failed + 1)); crashed=$((crashed + 1)); continue
    fi
    p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/'); f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')
    passed=$((passed + p)); failed=$((failed + f))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then echo "CRASH $t (exit $rc)"; failed=$((failed + 1)); fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
