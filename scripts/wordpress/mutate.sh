#!/usr/bin/env bash
# Run mutate.php against the instance in RUN_DIR (started by start.sh); prints its JSON.
set -euo pipefail
if [ "$#" != 1 ]; then
    echo "usage: mutate.sh RUN_DIR" >&2
    exit 2
fi
here="$(cd "$(dirname "$0")" && pwd)"
dir="$(cd "$1" && pwd)"
PRESERVE_WP_DIR="$dir" PRESERVE_WP_URL="$(cat "$dir/url")" php "$here/mutate.php"
