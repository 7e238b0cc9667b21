#!/bin/bash
# Builds what the package tests (tests/packages.rs) install: the app's .deb and .rpm as
# the version tauri.conf.json says (the "installed" one) and as the next patch version
# (the "update"), both signed with, and carrying the public half of, a throwaway updater
# key pair made here and now. The release key never enters a test.
#
# Usage: tests/packages/bundles.sh <out-folder> <tauri-cli>
# Debug profile (`tauri build --debug`): the update flow and the packaging are what is
# tested, and the dev build shares its dependencies with the journeys' build; `make
# package` builds the same bundles with the `ship` profile.
set -euo pipefail
out=$1 cli=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
rm -rf "$out" && mkdir -p "$out"

"$cli" signer generate --ci --password "" --write-keys "$out/updater.key" >/dev/null
pubkey=$(cat "$out/updater.key.pub")
old=$(sed -n 's/^  "version": "\([^"]*\)",$/\1/p' "$root/src-tauri/tauri.conf.json")
[ -n "$old" ] || { echo "no version in src-tauri/tauri.conf.json" >&2; exit 1; }
IFS=. read -r major minor patch <<<"$old"
new="$major.$minor.$((patch + 1))"

for version in "$old" "$new"; do
  config=$(printf '{"version":"%s","bundle":{"createUpdaterArtifacts":true},"plugins":{"updater":{"pubkey":"%s"}}}' \
    "$version" "$pubkey")
  echo "building the $version bundles (deb, rpm)"
  (cd "$root/src-tauri" && TAURI_SIGNING_PRIVATE_KEY="$out/updater.key" TAURI_SIGNING_PRIVATE_KEY_PASSWORD="" \
    "$cli" build --debug --ci --bundles deb,rpm --config "$config" >"$out/build-$version.log" 2>&1) || {
    tail -40 "$out/build-$version.log" >&2; exit 1; }
  mkdir -p "$out/$version"
  for f in "$target"/debug/bundle/deb/*_"$version"_*.deb "$target"/debug/bundle/rpm/*-"$version"-*.rpm; do
    [ -f "$f" ] && [ -f "$f.sig" ] || { echo "missing bundle or signature: $f" >&2; exit 1; }
    cp "$f" "$f.sig" "$out/$version/"
  done
done
printf '%s\n' "$old" >"$out/old-version"
printf '%s\n' "$new" >"$out/new-version"
ls -l "$out"/*/
