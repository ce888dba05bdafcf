#!/usr/bin/env python3
"""Lists the GNU-only constructs in a C header that no compiler guard protects (MSVC would stop).

Usage: tools/gnu_syntax_audit.py [rm.h]   (exit status 1 when one is found)

No MSVC runs here, so this is what stands in for it: comments and strings are blanked, then every
__attribute__, __builtin_*, typeof/__typeof__, __asm__/asm, statement expression "({",
__int128, __thread, __extension__, __atomic_*/__sync_*, __label__, __auto_type, binary literal,
case range, "#pragma GCC" and zero-length array member must sit inside an #if/#elif/#else
branch whose condition (or an enclosing one) names __GNUC__ or __clang__, or one of the header's
macros that are only defined under such a condition (RM__KERNELS_X86, RM__KERNELS_NEON,
RM__X87_CW). It reads the conditions as text: it does not evaluate them, so a reviewer still
reads the branches it accepts (an #else of a GNU guard counts as unguarded: that is where
MSVC goes). Variable-length arrays are checked by the compiler instead
(-Wvla -Werror)."""
import re
import sys

GUARDS = re.compile(r"__GNUC__|__clang__|RM__KERNELS_X86|RM__KERNELS_NEON|RM__X87_CW")
GNU = re.compile(r"(?<![A-Za-z0-9_])(__attribute__|__builtin_\w+|typeof|__typeof__|__asm__|asm|__int128|"
                 r"__thread|__extension__|__atomic_\w+|__sync_\w+|__label__|__auto_type)\b|\(\{|"
                 r"\b0[bB][01]+\b|\bcase\s[^:;]*\.\.\.|#\s*pragma\s+GCC|\w\s*\[0\]\s*;")


def blank(m):
    return re.sub(r"[^\n]", " ", m.group(0))


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "rm.h"
    text = open(path, encoding="utf-8").read()
    text = re.sub(r"/\*.*?\*/|//[^\n]*|\"(\\.|[^\"\\\n])*\"|'(\\.|[^'\\\n])*'", blank, text, flags=re.S)
    stack, found, total = [], [], 0
    for n, line in enumerate(text.split("\n"), 1):
        m = re.match(r"\s*#\s*(if|ifdef|ifndef|elif|else|endif)\b(.*)", line)
        if m:
            kind, cond = m.groups()
            if kind in ("if", "ifdef", "ifndef"):
                stack.append(cond)
            elif kind == "elif":
                stack[-1] = cond
            elif kind == "else":
                stack[-1] = ""  # the branch for the compilers the #if did not name
            else:
                stack.pop()
            continue
        for hit in GNU.finditer(line):
            # an element [0] in an expression is C; only a member or variable "T name[0];" is GNU
            if hit.group(0).endswith(";") and (not re.match(r"\s*[A-Za-z_][\w\s*]*\s\**\w+\s*\[0\]\s*;", line)
                                               or re.match(r"\s*(return|else|case|goto)\b", line)):
                continue
            total += 1
            # guarded: some enclosing branch's own condition names a GNU compiler (not negated)
            if not any(GUARDS.search(c) and not re.search(r"!\s*defined\s*\(?\s*(__GNUC__|__clang__)", c) for c in stack):
                found.append((n, hit.group(0).strip(), line.strip()))
    for n, what, line in found:
        print(f"{path}:{n}: {what} outside a __GNUC__/__clang__ guard: {line[:100]}")
    print(f"{path}: {total} GNU-only constructs, {len(found)} unguarded")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
