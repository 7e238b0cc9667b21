#!/usr/bin/env bash
# The Windows cross toolchain, installed into one cache folder outside the clone (WIN_DIR,
# default /var/cache/account-settings/windows) so only the first run pays for it. Nothing
# of the system is upgraded and no apt source is added:
#
#   - the compiler: Debian trixie's rustc-web (a newer Rust than Debian 12 has) and the
#     matching std source rust-web-src, downloaded with apt-get from a trixie package list
#     kept in WIN_DIR, unpacked there with dpkg-deb and run in place through trixie's own
#     dynamic loader and libraries (exec-wrap.c); std for Windows is built from that source
#     by cargo's -Zbuild-std, because rustup cannot download the Windows target here;
#   - cargo stays rustup's (trixie's cargo-web needs a newer glibc and libgit2);
#   - from Debian 12 itself: the mingw-w64 linker and C compiler, and Wine 8 to run the
#     tests, plus a one-function bcryptprimitives.dll (bcryptprimitives.c) that Wine 8
#     lacks and Rust's std needs; the Wine prefix is WIN_DIR/wineprefix.
#
#   tests/windows/toolchain.sh          installs what is missing, prints nothing when ready
#
# Measured on a 2-core machine: about 4 minutes the first time (downloads), under a second
# afterwards. The recipe, its timings and its traps: README "Windows".
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
W=${WIN_DIR:-/var/cache/account-settings/windows}
# Bumped when this script changes what it installs, so a cache made by an older one is redone.
RECIPE=1
stamp="$W/ready-$RECIPE"
[ -f "$stamp" ] && exit 0

sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
say() { echo "windows toolchain: $*" >&2; }
mkdir -p "$W/apt/lists/partial" "$W/apt/archives/partial" "$W/debs" "$W/bin" "$W/shim"

# 1. Debian 12's packages: mingw-w64 and Wine.
need=()
for p in gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 wine64 wine; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

# 2. trixie's compiler, its std and std's source, and the newer libraries rustc needs
# (glibc, libstdc++, its LLVM), from a package list of trixie's own in WIN_DIR.
mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}
cat > "$W/apt/trixie.sources" <<SRC
Types: deb
URIs: $mirror
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
A=(-o "Dir::Etc::sourcelist=$W/apt/trixie.sources" -o Dir::Etc::sourceparts=- \
   -o "Dir::State::Lists=$W/apt/lists" -o "Dir::Cache::Archives=$W/apt/archives" \
   -o Debug::NoLocking=1)
say "reading trixie's package list"
apt-get "${A[@]}" update -qq >&2
depends() { apt-cache "${A[@]}" depends "$1" | awk '/Depends:/ { print $2 }'; }
std_pkg=$(depends libstd-rust-web-dev | grep -E '^libstd-rust-web-[0-9.]+$' | head -1)
llvm_pkg=$({ depends rustc-web; depends "$std_pkg"; } | grep -E '^libllvm[0-9]+$' | head -1)
icu_pkg=$(depends libxml2 | { grep -E '^libicu[0-9]+$' || true; } | head -1)
[ -n "$std_pkg" ] && [ -n "$llvm_pkg" ] || { say "trixie's rustc-web packages were not found"; exit 1; }
compiler=(rustc-web libstd-rust-web-dev "$std_pkg" rust-web-src)
libs=("$llvm_pkg" libc6 libstdc++6 libgcc-s1 libedit2 libffi8 libxml2 libz3-4 libzstd1 zlib1g \
      libtinfo6 libbsd0 libmd0 liblzma5 ${icu_pkg:+"$icu_pkg"})
say "downloading ${compiler[*]} ${libs[*]}"
rm -rf "$W/debs" "$W/prefix" "$W/trixielibs"
mkdir -p "$W/debs" "$W/prefix" "$W/trixielibs"
(cd "$W/debs" && apt-get "${A[@]}" download "${compiler[@]}" "${libs[@]}" >&2)
for p in "${compiler[@]}"; do dpkg-deb -x "$W/debs/${p}"_*.deb "$W/prefix"; done
for p in "${libs[@]}"; do dpkg-deb -x "$W/debs/${p}"_*.deb "$W/trixielibs"; done
rm -rf "$W/debs"

libdir="$W/trixielibs/usr/lib/x86_64-linux-gnu"
for tool in rustc rustdoc; do
  gcc -O2 -Wall -DTOOL="\"$tool\"" -DWIN_LIBS="\"$libdir\"" -DWIN_PREFIX="\"$W/prefix\"" \
    -o "$W/bin/$tool" "$here/exec-wrap.c"
done
"$W/bin/rustc" -vV >&2
src="$("$W/bin/rustc" --print sysroot)/lib/rustlib/src/rust/library/std/Cargo.toml"
[ -f "$src" ] || { say "std's source is missing at $src"; exit 1; }

# 3. The Wine prefix, with the bcryptprimitives.dll stand-in.
x86_64-w64-mingw32-gcc -O2 -shared -o "$W/shim/bcryptprimitives.dll" \
  "$here/bcryptprimitives.c" "$here/bcryptprimitives.def" -ladvapi32
export WINEPREFIX="$W/wineprefix" WINEARCH=win64 WINEDEBUG=-all
if [ ! -d "$WINEPREFIX/drive_c/windows/system32" ]; then
  say "creating the Wine prefix"
  # Without 32-bit Wine it complains that syswow64\rundll32.exe is missing: harmless.
  /usr/lib/wine/wine64 wineboot -i >/dev/null 2>&1 || true
  /usr/lib/wine/wineserver -w || true
fi
[ -d "$WINEPREFIX/drive_c/windows/system32" ] || { say "wineboot did not create $WINEPREFIX"; exit 1; }
cp "$W/shim/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"

touch "$stamp"
say "ready in $W"
