#!/bin/sh
# The shared library (`make lib`, `make install`): only the public API is exported, the soname
# is set, and an installed copy builds and runs a program through pkg-config.
B=${BUILD:-build}
LIB=$B/librm.so
passed=0; failed=0
check() { # name, then a command that must succeed
    n=$1; shift
    if "$@"; then echo "ok   $n"; passed=$((passed + 1)); else echo "FAIL $n"; failed=$((failed + 1)); fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# every exported function is declared RMDEF in rm.h's public part, and every declaration is exported
nm -D --defined-only "$LIB" | awk '$2 == "T" || $2 == "W" || $2 == "D" || $2 == "B" || $2 == "R" {print $3}' | sort > "$tmp/exported"
sed -n '/^#ifndef RM_H_INCLUDED/,/^#endif \/\* RM_H_INCLUDED \*\//p' rm.h | grep -E '^RMDEF ' |
    sed -E 's/\(.*//; s/.*[ *]//' | sort > "$tmp/declared"
only_rm() { ! grep -qv '^rm_' "$tmp/exported"; }
same() { cmp -s "$tmp/exported" "$tmp/declared" && [ -s "$tmp/declared" ]; }
check "exports only rm_* ($(wc -l < "$tmp/exported") symbols)" only_rm
check "exports exactly the $(wc -l < "$tmp/declared") RMDEF declarations" same
if ! same; then diff "$tmp/exported" "$tmp/declared" | head -n 10; fi
soname() { readelf -d "$LIB" | grep -q 'SONAME.*\[librm\.so\.[0-9]*\.[0-9]*\]'; }
check "soname librm.so.MAJOR.MINOR" soname

# make install into a temporary prefix, then build a program with pkg-config's flags only
inst() { make -s install BUILD="$B" PREFIX="$tmp/prefix" > "$tmp/install.log" 2>&1; }
check "make install PREFIX=..." inst
files() {
    [ -f "$tmp/prefix/include/rm.h" ] && [ -f "$tmp/prefix/lib/pkgconfig/rm.pc" ] && [ -L "$tmp/prefix/lib/librm.so" ] &&
        [ -e "$tmp/prefix/lib/$(readelf -d "$LIB" | sed -n 's/.*SONAME.*\[\(.*\)\].*/\1/p')" ]
}
check "installs rm.h, librm.so (soname link) and rm.pc" files
cat > "$tmp/use.c" <<'C'
#include <stdio.h>
#include <rm.h>
int main(int argc, char **argv) {
    rm_model *m;
    rm_result r = rm_model_open(argc > 1 ? argv[1] : "", &m);
    printf("%s %d\n", rm_result_name(r), r == RM_OK ? (int)rm_model_hparams(m)->n_embd : 0);
    rm_model_close(m);
    r = rm_model_open("no-such-file.gguf", &m);
    printf("%s\n", rm_result_name(r));
    rm_model_close(m);
    return 0;
}
C
pc() {
    PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" cc -std=c99 -Wall -Werror $(PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" pkg-config --cflags rm) \
        "$tmp/use.c" -o "$tmp/use" $(PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" pkg-config --libs rm) 2> "$tmp/cc.log" &&
    LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/use" tests/data/models/stories260K.gguf > "$tmp/use.out" &&
    [ "$(cat "$tmp/use.out")" = "$(printf 'RM_OK 64\nRM_ERR_IO')" ]
}
check "a program built with pkg-config --cflags --libs rm runs against the installed library" pc
[ -s "$tmp/cc.log" ] && cat "$tmp/cc.log"
echo "test_lib: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
