#!/usr/bin/env bash
# What tests/test_wacz_browser.py needs, installed when missing: Debian's chromium package
# (apt-get, as root) and ReplayWeb.page's static viewer (the replaywebpage npm package at the
# pinned version, its tarball checked against the recorded SHA-256 and unpacked under
# build/browser/). Prints the viewer's directory; on failure, one line on stderr saying why.
set -euo pipefail
RWP_VERSION=2.5.3
RWP_SHA256=b7d35c39c4da9b7121c5a393911d8675d4cc6f19513c380191e16b086bea812c
cd "$(dirname "$0")/../.."
fail() { echo "$1" >&2; exit 1; }

if [ ! -x /usr/bin/chromium ]; then
    [ "$(id -u)" = 0 ] || fail "/usr/bin/chromium is missing and only root can install it (apt-get install chromium)"
    command -v apt-get >/dev/null 2>&1 || fail "/usr/bin/chromium is missing and there is no apt-get to install it"
    (apt-get update -qq && apt-get install -y -qq chromium) >&2 \
        || fail "apt-get install chromium failed"
fi

dest=build/browser/replaywebpage-$RWP_VERSION
if [ ! -f "$dest/ui.js" ] || [ ! -f "$dest/sw.js" ]; then
    # Only the tarball: ui.js and sw.js are self-contained bundles, and `npm install` would
    # resolve the package's build dependencies for nothing.
    command -v npm >/dev/null 2>&1 || fail "npm is missing: it fetches ReplayWeb.page's viewer (apt-get install npm)"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && npm pack --silent "replaywebpage@$RWP_VERSION") >/dev/null \
        || fail "npm pack replaywebpage@$RWP_VERSION failed"
    echo "$RWP_SHA256  $work/replaywebpage-$RWP_VERSION.tgz" | sha256sum -c --quiet - >&2 \
        || fail "replaywebpage-$RWP_VERSION.tgz does not have the recorded SHA-256"
    tar -xzf "$work/replaywebpage-$RWP_VERSION.tgz" -C "$work" \
        package/ui.js package/sw.js package/LICENSE package/package.json
    mkdir -p build/browser
    rm -rf "$dest"
    mv "$work/package" "$dest"
fi
echo "$PWD/$dest"
