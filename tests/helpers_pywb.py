"""pywb run by the tests: a collection's WARCs and our index laid out for pywb, and
``wayback`` served on a free port of 127.0.0.1, started and stopped by the test."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from preserve.collection import Collection

BIN = Path(sys.executable).parent
WB_MANAGER = BIN / "wb-manager"
WAYBACK = BIN / "wayback"
COLL = "demo"
STARTUP_TIMEOUT = 60.0  # as preserve replay allows: pywb starts in 1-2 s, 4-6 s under load


def _our_index(root: Path, collection: Collection) -> None:
    archive = root / "collections" / COLL / "archive"
    indexes = root / "collections" / COLL / "indexes"
    archive.mkdir(parents=True)
    indexes.mkdir()
    for warc in collection.closed_warcs():
        shutil.copy2(warc, archive / warc.name)
    shutil.copy2(collection.index_path, indexes / "index.cdxj")

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_wayback(root: Path, session: requests.Session) -> tuple[subprocess.Popen[bytes], str]:
    """Start pywb on a free port of 127.0.0.1 and wait until it lists our collection.

    The port is free when chosen but another process may take it before pywb binds it:
    then pywb exits, and it is started again on another port.
    """
    log_path = root / "wayback.log"
    output = ""
    for _attempt in range(3):
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [str(WAYBACK), "--bind", "127.0.0.1", "--port", str(port)],
                cwd=root, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        ready = False
        try:
            ready = _wait_until_serving(proc, base, session)
        finally:
            if not ready:
                _stop(proc)
        if ready:
            return proc, base
        output = log_path.read_text(errors="replace")
        if "Address already in use" not in output:
            pytest.fail(f"wayback did not serve /{COLL} on {base} within {STARTUP_TIMEOUT} s "
                        f"(exit status {proc.returncode}):\n{output}")
    pytest.fail(f"wayback found no free port:\n{output}")


def _wait_until_serving(proc: subprocess.Popen[bytes], base: str,
                        session: requests.Session) -> bool:
    """True once pywb's home page at ``base`` lists our collection; False if it exits."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            with session.get(base + "/", timeout=2) as home:
                if f'href="/{COLL}"' in home.text:
                    return True
        except requests.RequestException:
            pass  # not listening yet
        time.sleep(0.1)
    return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
