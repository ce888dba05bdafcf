#!/bin/sh
# Runs the Python binding's unittest suite with Debian's interpreter (PYTHON= to override) and
# prints "test_python: N passed, M failed" for tests/run.sh; exits with unittest's status.
cd "$(dirname "$0")/../.." || exit 1
PY=${PYTHON:-/usr/bin/python3}
if ! [ -x "$PY" ] && ! command -v "$PY" >/dev/null 2>&1; then
    echo "skipped: no Python interpreter at $PY (set PYTHON=)"
    echo "test_python: 0 passed, 0 failed"
    exit 0
fi
out=$(RMH_LIB="${RMH_LIB:-$PWD/${BUILD:-build}/librm.so}" RMTOOL="${RMTOOL:-$PWD/${BUILD:-build}/rmtool}" \
      "$PY" -m unittest discover -s python/tests -v 2>&1)
rc=$?
printf '%s\n' "$out" | grep -vE ' \.\.\. ok$'
ran=$(printf '%s\n' "$out" | sed -n 's/^Ran \([0-9]*\) tests\{0,1\}.*/\1/p' | tail -n 1)
bad=0
for k in failures errors unexpected\ successes; do
    n=$(printf '%s\n' "$out" | tail -n 1 | sed -n "s/.*$k=\([0-9]*\).*/\1/p")
    bad=$((bad + ${n:-0}))
done
skip=$(printf '%s\n' "$out" | tail -n 1 | sed -n 's/.*skipped=\([0-9]*\).*/\1/p')
[ -z "$ran" ] && { ran=0; bad=1; }
[ "$rc" -ne 0 ] && [ "$bad" -eq 0 ] && bad=1
echo "test_python: $((ran - bad - ${skip:-0})) passed, $bad failed"
exit $rc
