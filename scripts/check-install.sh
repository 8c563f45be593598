#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/check-install.sh BUILD_DIR [CC] - `cmake --install` into a scratch DESTDIR, then check
# that the installed tree is usable the way a packager or consumer uses it: vhdx.h,
# vhdx_errors.h, libvhdx.a, libvhdx.so (+ SONAME link), vhdx.pc, `pkg-config --cflags --libs
# vhdx`, the man pages and bash completion of the tool, and a consumer program compiled against the installed headers, linked both against the
# shared library (via pkg-config) and statically, that runs. Registered as ctest build.install.
set -euo pipefail
build=${1:?usage: check-install.sh BUILD_DIR [CC]}
cc=${2:-cc}
command -v pkg-config >/dev/null || { echo "check-install: pkg-config not installed (make deps)"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vhdx-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=/usr/local
DESTDIR="$tmp/root" cmake --install "$build" --prefix "$prefix" >"$tmp/install.log"
root="$tmp/root$prefix"
libdir=$(sed -n 's/^libdir=\${prefix}\///p' "$root"/lib*/pkgconfig/vhdx.pc 2>/dev/null | head -1)
[ -n "$libdir" ] || { echo "check-install: vhdx.pc not installed under lib*/pkgconfig"; cat "$tmp/install.log"; exit 1; }
fail=0
for f in include/vhdx.h include/vhdx_errors.h "$libdir/libvhdx.a" "$libdir/libvhdx.so" \
         "$libdir/pkgconfig/vhdx.pc"; do
  if [ -e "$root/$f" ]; then echo "ok   $prefix/$f"; else echo "MISSING $prefix/$f"; fail=1; fi
done
soname=$(objdump -p "$root/$libdir/libvhdx.so" 2>/dev/null | awk '$1 == "SONAME" { print $2 }')
if [ -n "$soname" ] && [ -e "$root/$libdir/$soname" ]; then echo "ok   SONAME $soname"; else
  echo "MISSING SONAME link ($soname)"; fail=1; fi
# the tool's man pages (vhdx(1), vhdx-CMD(1); generated when help2man is installed) and
# its bash completion
if [ -x "$root/bin/vhdx" ]; then
  pages=(share/man/man1/vhdx.1)
  for c in $("$root/bin/vhdx" --help | sed -n 's/^  \([a-z]\+\) .*/\1/p'); do pages+=("share/man/man1/vhdx-$c.1"); done
  command -v help2man >/dev/null || pages=()
  for f in "${pages[@]}" share/bash-completion/completions/vhdx; do
    if [ -s "$root/$f" ]; then echo "ok   $prefix/$f"; else echo "MISSING $prefix/$f"; fail=1; fi
  done
fi
# the nbdkit plugin (built when nbdkit-plugin-dev is installed) goes into nbdkit's plugin
# folder under DESTDIR, whatever the prefix, with its man page; the installed plugin loads
if [ -f "$build/nbdkit/nbdkit-vhdx-plugin.so" ]; then
  plugindir=$(sed -n 's/^VHDX_NBDKIT_PLUGINDIR:PATH=//p' "$build/CMakeCache.txt")
  for f in "$tmp/root$plugindir/nbdkit-vhdx-plugin.so" "$root/share/man/man1/nbdkit-vhdx-plugin.1"; do
    if [ -s "$f" ]; then echo "ok   ${f#"$tmp/root"}"; else echo "MISSING ${f#"$tmp/root"}"; fail=1; fi
  done
  if command -v nbdkit >/dev/null && [ $fail -eq 0 ]; then
    if LD_LIBRARY_PATH="$root/$libdir" nbdkit --dump-plugin "$tmp/root$plugindir/nbdkit-vhdx-plugin.so" |
       grep -qx "vhdx_version=$(sed -n 's/^Version: //p' "$root/$libdir/pkgconfig/vhdx.pc")"; then
      echo "ok   nbdkit loads the installed plugin"
    else echo "FAIL nbdkit --dump-plugin of the installed plugin"; fail=1; fi
  fi
fi
[ $fail -eq 0 ] || exit 1

export PKG_CONFIG_PATH="$root/$libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$tmp/root"
cflags=$(pkg-config --cflags vhdx)
libs=$(pkg-config --libs vhdx)
slibs=$(pkg-config --static --libs-only-l vhdx | sed 's/-lvhdx//')
echo "pkg-config --cflags --libs vhdx: $cflags $libs"
case "$cflags" in *"$root/include"*) ;; *) echo "check-install: cflags do not point at the installed headers"; exit 1 ;; esac

cat >"$tmp/consumer.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <vhdx.h>
int main(void)
{
    const char *name = vhdx_status_name(VHDX_OK);
    if (name == NULL || strcmp(name, "VHDX_OK") != 0) {
        fprintf(stderr, "unexpected vhdx_status_name(VHDX_OK): %s\n", name ? name : "(null)");
        return 1;
    }
    printf("consumer: %s %s\n", VHDX_VERSION_STRING, name);
    return 0;
}
C
# The public header must compile standalone, strictly, as C99 and C11.
for std in c99 c11; do
  "$cc" -std=$std -Wall -Wextra -Wpedantic -Werror $cflags -c "$tmp/consumer.c" -o "$tmp/c-$std.o"
done
if command -v c++ >/dev/null 2>&1; then
  printf '#include <vhdx.h>\nint main() { return vhdx_status_name(0) == nullptr; }\n' >"$tmp/cxx.cc"
  c++ -std=c++11 -Wall -Wextra -Werror $cflags -c "$tmp/cxx.cc" -o "$tmp/cxx.o"
  echo "ok   vhdx.h compiles as C++11"
fi
# shellcheck disable=SC2086
"$cc" $cflags "$tmp/consumer.c" -o "$tmp/consumer-shared" $libs
LD_LIBRARY_PATH="$root/$libdir" "$tmp/consumer-shared"
# shellcheck disable=SC2086
"$cc" $cflags "$tmp/consumer.c" -o "$tmp/consumer-static" "$root/$libdir/libvhdx.a" $slibs
"$tmp/consumer-static"
echo "check-install: installed tree OK"
