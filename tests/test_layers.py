"""The layers point one way: every import in src/preserve, late ones included, is checked.

The base layer (``web/``) and ``store/`` sit under the stages, the stages under
``schedule/``, and ``cli/`` on top; an import against that direction fails here with the
module and line that made it. ``capture/`` also reaches the crawl state only through
``store/crawlstate.py`` (the seam), never ``store.state`` or ``store.frontier``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import preserve

SRC = Path(preserve.__file__).parent
STAGES = ("capture", "normalise", "verify", "export", "diff", "access", "schedule", "cli")
# package -> the packages of preserve it must never import
FORBIDDEN = {
    "web": ("store", *STAGES),
    "store": STAGES,
    "capture": ("normalise", "verify", "export", "diff", "access", "schedule", "cli"),
    "normalise": ("capture", "verify", "export", "diff", "access", "schedule", "cli"),
    "verify": ("capture", "export", "diff", "access", "schedule", "cli"),
    "export": ("capture", "diff", "access", "schedule", "cli"),
    # diff reads what store/ keeps and compares pages as normalise/ reads them
    "diff": ("capture", "verify", "export", "access", "schedule", "cli"),
    # access (replay, report, patch, search) reads what every stage made; patch crawls
    "access": ("schedule", "cli"),
    "schedule": ("cli",),
}
# Behind the crawl-state seam: the crawl loop talks to store/crawlstate.py's CrawlState,
# never to the SQLite tables and frontier that store/crawlstate_sqlite.py wraps.
BEHIND_SEAM = {"capture": ("preserve.store.state", "preserve.store.frontier")}
# The small shared modules below everything (docs/architecture.md's bottom row).
BELOW_ALL = ("errors", "config", "atomic", "units", "template", "collection", "safeopen")


def _module(path: Path, root: Path) -> list[str]:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _imports(path: Path, root: Path) -> list[tuple[int, str]]:
    """(line, absolute dotted name) of every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    mod = _module(path, root)
    package = mod if path.name == "__init__.py" else mod[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            # `from . import capture` names a subpackage in the alias, not the module
            found.extend((node.lineno, f"{name}.{a.name}") for a in node.names)
    return found


def _layer(dotted: str) -> str | None:
    parts = dotted.split(".")
    if parts[0] != "preserve" or len(parts) < 2:
        return None
    return parts[1]


def _violations(root: Path = SRC) -> list[str]:
    out = []
    for path in sorted(root.rglob("*.py")):
        mod = _module(path, root)
        own = mod[1] if len(mod) > 1 else None
        if own == "__main__":
            continue  # `python -m preserve` is the command line itself
        for line, name in _imports(path, root):
            target = _layer(name)
            if target is None or target == own:
                continue
            where = f"{path.relative_to(root.parent)}:{line} imports {name}"
            if target == "cli":
                out.append(f"{where} (only cli/ may import cli/)")
            elif own in FORBIDDEN and target in FORBIDDEN[own]:
                out.append(f"{where} ({own}/ must not import {target}/)")
            elif own in BELOW_ALL and target in (*STAGES, "store", "web", "collection"):
                out.append(f"{where} ({own}.py sits below every package)")
            elif any(name == m or name.startswith(f"{m}.") for m in BEHIND_SEAM.get(own, ())):
                out.append(f"{where} ({own}/ reaches the crawl state through "
                           "store/crawlstate.py)")
    return out


def test_layers_point_one_way() -> None:
    assert _violations() == []


@pytest.mark.parametrize(("package", "source", "expected"), [
    ("store", "from ..capture.scope import x\n", "must not import capture/"),
    ("store", "from preserve.cli.main import x\n", "only cli/ may import cli/"),
    ("store", "def f():\n    from ..verify import report\n", "must not import verify/"),
    ("capture", "from ..store import state\n", "through store/crawlstate.py"),
])
def test_a_wrong_way_import_is_caught(tmp_path: Path, package: str, source: str,
                                      expected: str) -> None:
    """The checker itself sees module-level, absolute and late (function-level) imports."""
    fake = tmp_path / "preserve"
    (fake / package).mkdir(parents=True)
    (fake / package / "bad.py").write_text(source)
    assert any(expected in v for v in _violations(fake))
