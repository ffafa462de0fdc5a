#!/usr/bin/env bash
# `meson install` into a temporary DESTDIR gives the binary, the shared
# library (exporting cairn_* only), the headers and a pkg-config file that a
# program can build against.
set -u
BUILD=$1
. "$(dirname "$0")/lib.sh"
require_tools pkg-config cc nm

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$(meson introspect --buildoptions "$BUILD" | jq -r '.[]|select(.name=="prefix")|.value')
libdir=$(meson introspect --buildoptions "$BUILD" | jq -r '.[]|select(.name=="libdir")|.value')
if ! meson install -C "$BUILD" --destdir "$tmp" --no-rebuild >"$tmp/log" 2>&1; then
    not_ok "meson install" "$(tail -5 "$tmp/log")"
    done_testing
fi
ok "meson install"
root=$tmp$prefix
[ -x "$root/bin/cairn" ] && ok "binary installed" || not_ok "binary installed"
[ -f "$root/include/cairn/cairn.h" ] && ok "headers installed" || not_ok "headers installed"
case $libdir in /*) lib=$tmp$libdir ;; *) lib=$root/$libdir ;; esac
so=$(ls "$lib"/libcairn.so.* 2>/dev/null | head -1)
[ -n "$so" ] && ok "shared library installed" || not_ok "shared library installed"
others=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -v '^cairn_' | grep -vE '^_(init|fini|edata|end|_bss_start)$' || true)
assert_eq "$others" "" "the library exports cairn_* symbols only"
pc=$(find "$tmp" -name cairn.pc | head -1)
[ -n "$pc" ] && ok "pkg-config file installed" || not_ok "pkg-config file installed"
# pkg-config's paths point at the real prefix: rewrite them to the DESTDIR copy
sed "s|^prefix=.*|prefix=$root|; s|^libdir=.*|libdir=$lib|; s|^includedir=.*|includedir=$root/include|" "$pc" >"$tmp/cairn.pc"
cat >"$tmp/p.c" <<'C'
#include <cairn/cairn.h>
#include <stdio.h>
int main(void)
{
    cairn_query q;
    cairn_err e;
    if (cairn_query_parse("\"unclosed", &q, &e) != CAIRN_PARSE)
        return 1;
    printf("%s %s\n", cairn_rc_name(e.rc), cairn_agent_name(CAIRN_AGENT_CLAUDE));
    return 0;
}
C
# a library built with sanitizers needs them in the program too
san=$(meson introspect --buildoptions "$BUILD" | jq -r '.[]|select(.name=="b_sanitize")|.value')
sanflags=""
[ -n "$san" ] && [ "$san" != none ] && sanflags="-fsanitize=$san"
# shellcheck disable=SC2046,SC2086
if cc -std=c11 $sanflags -o "$tmp/p" "$tmp/p.c" $(PKG_CONFIG_PATH=$tmp pkg-config --cflags --libs cairn) 2>"$tmp/cc.err"; then
    ok "a program builds against the installed library with pkg-config"
    assert_eq "$(LD_LIBRARY_PATH=$lib "$tmp/p")" "PARSE claude-code" "and runs"
else
    not_ok "a program builds against the installed library with pkg-config" "$(cat "$tmp/cc.err")"
fi
done_testing
