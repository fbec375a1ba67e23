#!/usr/bin/env bash
# Stop the Apache and MariaDB that start.sh RUN_DIR started (their data stays in RUN_DIR).
set -uo pipefail
if [ "$#" != 1 ]; then
    echo "usage: stop.sh RUN_DIR" >&2
    exit 2
fi
dir="$(cd "$1" && pwd)" || exit 2
stop_pid() {  # pid file, what
    [ -f "$1" ] || return 0
    pid="$(cat "$1")"
    kill -TERM "$pid" 2>/dev/null || { rm -f "$1"; return 0; }
    for _ in $(seq 1 150); do
        kill -0 "$pid" 2>/dev/null || { rm -f "$1"; return 0; }
        sleep 0.1
    done
    echo "stop.sh: $2 (pid $pid) did not stop in 15 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null
    rm -f "$1"
}
stop_pid "$dir/apache2.pid" Apache
stop_pid "$dir/mysqld.pid" MariaDB
