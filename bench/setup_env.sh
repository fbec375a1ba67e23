#!/bin/sh
# The benchmarks' own environment: the tools preserve is measured against (FastWARC, the
# Rust 2.x library, and warcio), installed into a virtualenv of their own, never into
# preserve's. bench/verify.py runs them from here (--env, default bench/.env).
#
#   bench/setup_env.sh              # makes bench/.env
#   bench/setup_env.sh /tmp/benv    # or any other directory
#   PYTHON=python3.12 bench/setup_env.sh
#
# The versions are pinned so that figures from different days compare; change them here.
set -eu
dir=${1:-$(dirname "$0")/.env}
"${PYTHON:-python3}" -m venv "$dir"
"$dir/bin/python" -m pip install --quiet --disable-pip-version-check \
    "fastwarc==2.0.1" "warcio==1.8.1"
"$dir/bin/python" - <<'PY'
import importlib.metadata as m
print(f"fastwarc {m.version('fastwarc')} ({m.metadata('fastwarc')['Summary']})")
print(f"warcio {m.version('warcio')}")
PY
