"""A real redis-server for the tests: started once on a free port of 127.0.0.1, with its
own temporary directory and no persistence, and stopped when the tests end.

``redis_url()`` starts it on first use and exports its URL in ``PRESERVE_TEST_REDIS`` so
child processes (a crawl worker, a process killed mid-crawl) reach the same server.
Tests that need it skip, saying why, when redis-server is not installed.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

ENV = "PRESERVE_TEST_REDIS"
MISSING = "redis-server is not installed (Debian: apt-get install redis-server; .ci/run does)"


class RedisServer:
    """One redis-server process on 127.0.0.1:port, data in ``directory``."""

    def __init__(self, directory: Path, port: int = 0, *, persist: bool = False) -> None:
        self.directory = directory
        self.persist = persist  # an append-only file, fsynced at every write
        self.port = port or _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip(MISSING)
        durable = ["--appendonly", "yes", "--appendfsync", "always"] if self.persist else [
            "--appendonly", "no"]
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             *durable, "--dir", str(self.directory), "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_server: RedisServer | None = None


def redis_url() -> str:
    """The URL of the tests' shared redis-server (started on first use)."""
    global _server
    if os.environ.get(ENV):
        return os.environ[ENV]
    if shutil.which("redis-server") is None:
        pytest.skip(MISSING)
    if _server is None:
        directory = Path(tempfile.mkdtemp(prefix="preserve-redis-"))
        _server = RedisServer(directory)
        _server.start()
        atexit.register(_server.stop)
        atexit.register(shutil.rmtree, directory, True)
        os.environ[ENV] = _server.url
    return _server.url
