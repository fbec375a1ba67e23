"""A real WordPress from Debian's packages for the end-to-end tests (scripts/wordpress/).

The session fixture ``wordpress`` installs the packages when they are missing and it can
(root with apt-get; otherwise the test skips and says why), starts a private instance on
127.0.0.1 at a free port with its data in a temporary directory, yields a
:class:`WordPress`, and stops and removes everything at the end. docs/cms.md describes the
site; ``WordPress.manifest`` is what populate.php made (the truth to compare against).
tests/conftest.py imports the fixture, so the session has one instance.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts" / "wordpress"
PACKAGES = ("wordpress", "wordpress-theme-twentytwentyone", "apache2", "libapache2-mod-php",
            "mariadb-server", "php-mysql", "php-xml")
CONFIG = Path("/etc/wordpress/config-preserve.php")


@dataclass(frozen=True)
class WordPress:
    url: str  # the home page, "http://127.0.0.1:PORT/"
    run_dir: Path
    manifest: dict[str, Any]
    startup_seconds: float

    def mutate(self) -> dict[str, Any]:
        """Run mutate.php: 3 bodies edited, 1 post retitled, 2 trashed, 2 published.

        The site stays changed for the rest of the session (a second call changes
        nothing and returns the same JSON).
        """
        done = subprocess.run([str(SCRIPTS / "mutate.sh"), str(self.run_dir)],
                              capture_output=True, text=True, timeout=120, check=True)
        result: dict[str, Any] = json.loads(done.stdout)
        return result


def _missing_packages() -> list[str]:
    if shutil.which("dpkg-query") is None:
        return list(PACKAGES)
    missing = []
    for name in PACKAGES:
        done = subprocess.run(["dpkg-query", "-W", "-f=${Status}", name],
                              capture_output=True, text=True)
        if "install ok installed" not in done.stdout:
            missing.append(name)
    return missing


def _set_up() -> None:
    """Install what is missing through setup.sh, or skip saying why it cannot be."""
    missing = _missing_packages()
    wanted = (SCRIPTS / "config-preserve.php").read_bytes()
    current = CONFIG.is_file() and CONFIG.read_bytes() == wanted
    if not missing and current:
        return
    what = (f"packages missing: {', '.join(missing)}" if missing
            else f"{CONFIG} missing or out of date")
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip(f"real WordPress unavailable ({what}) and this user cannot install it: "
                    "run scripts/wordpress/setup.sh as root on a Debian system")
    done = subprocess.run([str(SCRIPTS / "setup.sh")], capture_output=True, text=True,
                          timeout=1800)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        pytest.skip(f"real WordPress unavailable ({what}); scripts/wordpress/setup.sh "
                    f"failed: {' | '.join(tail)}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _stop(run_dir: Path) -> None:
    subprocess.run([str(SCRIPTS / "stop.sh"), str(run_dir)], capture_output=True, timeout=60)
    shutil.rmtree(run_dir, ignore_errors=True)


def start_wordpress() -> tuple[WordPress, Path]:
    """Start a fresh instance at a free port (three tries: another process may take the port)."""
    _set_up()
    failure = ""
    for _ in range(3):
        # Under /tmp, not pytest's tmp_path: Apache's workers (www-data) must traverse it.
        run_dir = Path(tempfile.mkdtemp(prefix="preserve-wp-", dir="/tmp"))
        started = time.monotonic()
        done = subprocess.run([str(SCRIPTS / "start.sh"), str(run_dir), str(_free_port())],
                              capture_output=True, text=True, timeout=300)
        if done.returncode == 0:
            manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
            site = WordPress(done.stdout.strip() + "/", run_dir, manifest,
                             time.monotonic() - started)
            return site, run_dir
        failure = done.stderr.strip()
        _stop(run_dir)
    raise RuntimeError(f"scripts/wordpress/start.sh failed three times: {failure}")


@pytest.fixture(scope="session")
def wordpress() -> Iterator[WordPress]:
    """A real WordPress on 127.0.0.1 for the session; stopped and removed at the end."""
    site, run_dir = start_wordpress()
    try:
        yield site
    finally:
        _stop(run_dir)
