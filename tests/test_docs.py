"""The documentation stays true to the code.

docs/cli.md is generated from --help and must be current; every command, every crawl
setting and option, every event type and every crawl-log outcome and field the code
writes is documented, and the tables of docs/collection.md name nothing the code does not.
What the code emits is read from its syntax tree, so a new event type or outcome fails
here until it is documented.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import click
import pytest

import preserve
from preserve.config import CrawlConfig, load_config

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "preserve"
DOCS = ROOT / "docs"
GENERATOR = ROOT / "scripts" / "gen_cli_docs.py"
REGENERATE = "run `python scripts/gen_cli_docs.py` and commit docs/cli.md"

# The keyword arguments of EventLog.append, which tell its calls from list.append.
EVENT_KEYWORDS = frozenset({"outcome", "detail", "obj", "crawl", "data"})


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_cli_docs", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def cli() -> click.Group:
    from preserve.cli.main import cli

    return cli


@pytest.fixture(scope="module")
def cli_md() -> str:
    return (DOCS / "cli.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def collection_md() -> str:
    return (DOCS / "collection.md").read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    """The body of the Markdown section whose heading line is ``heading``."""
    lines = text.splitlines()
    level = len(heading) - len(heading.lstrip("#"))
    starts = [i for i, line in enumerate(lines) if line == heading]
    if len(starts) != 1:
        pytest.fail(f"docs: {len(starts)} sections {heading!r}, expected one")
    start = starts[0]
    body = []
    for line in lines[start + 1:]:
        m = re.match(r"(#+) ", line)
        if m and len(m.group(1)) <= level:
            break
        body.append(line)
    return "\n".join(body)


def table_rows(text: str) -> list[list[str]]:
    """The cells of every Markdown table row whose first cell is `code`."""
    rows = []
    for line in text.splitlines():
        if re.match(r"\|\s*`", line):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def first_column(text: str) -> set[str]:
    return {row[0].strip("`") for row in table_rows(text)}


def python_files() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(SRC.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"


def strings(node: ast.AST, assigned: dict[str, list[ast.AST]],
            seen: frozenset[str] = frozenset()) -> set[str]:
    """The string literals ``node`` can evaluate to, through conditionals and local names."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return strings(node.body, assigned, seen) | strings(node.orelse, assigned, seen)
    if isinstance(node, ast.BoolOp):
        return set().union(*(strings(v, assigned, seen) for v in node.values))
    if isinstance(node, ast.Name) and node.id in assigned and node.id not in seen:
        return set().union(*(strings(v, assigned, seen | {node.id})
                             for v in assigned[node.id]))
    return set()


def functions(tree: ast.Module) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def local_assignments(func: ast.AST) -> dict[str, list[ast.AST]]:
    assigned: dict[str, list[ast.AST]] = {}
    for node in ast.walk(func):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assigned.setdefault(target.id, []).append(node.value)
    return assigned


def emitted_events() -> dict[str, str]:
    """eventType -> where it is emitted, for every EventLog.append call in the package."""
    found: dict[str, str] = {}
    for path, tree in python_files():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "append"):
                continue
            receiver = ast.unparse(node.func.value)
            keywords = {k.arg for k in node.keywords}
            if "events" not in receiver.lower() and not keywords & EVENT_KEYWORDS:
                continue
            first = node.args[0] if node.args else None
            assert isinstance(first, ast.Constant) and isinstance(first.value, str), (
                f"{where(path, node)}: an event type must be a string literal, so that "
                "this test can check it is documented in docs/collection.md"
            )
            found.setdefault(first.value, where(path, node))
    return found


def crawl_log_writes() -> Iterator[tuple[Path, ast.Call, dict[str, list[ast.AST]]]]:
    """Every crawl-log line built: a ``.write(...)`` or ``dict(...)`` with ``outcome=``."""
    for path, tree in python_files():
        for func in functions(tree):
            for node in ast.walk(func):
                if not (isinstance(node, ast.Call)
                        and any(k.arg == "outcome" for k in node.keywords)):
                    continue
                if (isinstance(node.func, ast.Attribute) and node.func.attr == "write") or (
                        isinstance(node.func, ast.Name) and node.func.id == "dict"):
                    yield path, node, local_assignments(func)


def emitted_outcomes() -> dict[str, str]:
    found: dict[str, str] = {}
    for path, call, assigned in crawl_log_writes():
        value = next(k.value for k in call.keywords if k.arg == "outcome")
        outcomes = strings(value, assigned)
        assert outcomes, f"{where(path, call)}: cannot tell which outcome this line logs"
        for outcome in outcomes:
            found.setdefault(outcome, where(path, call))
    return found


def walk_commands(
    group: click.Group, path: str = "preserve"
) -> Iterator[tuple[str, click.Command]]:
    yield path, group
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from walk_commands(command, f"{path} {name}")
        else:
            yield f"{path} {name}", command


# (a) docs/cli.md is what the generator writes now.

def test_cli_md_is_generated_from_the_current_help(generator: ModuleType, cli_md: str) -> None:
    assert cli_md == generator.render(), f"docs/cli.md is out of date: {REGENERATE}"


def test_generator_check_mode_agrees(generator: ModuleType) -> None:
    assert generator.main(["--check"]) == 0, f"docs/cli.md is out of date: {REGENERATE}"


# (b) every command is documented.

def test_every_command_and_option_is_in_cli_md(cli: click.Group, cli_md: str) -> None:
    for path, command in walk_commands(cli):
        if command.hidden:
            continue
        assert f"\n## {path}\n" in cli_md, f"{path} has no section in docs/cli.md: {REGENERATE}"
        assert f"Usage: {path} " in cli_md, f"{path}: no --help in docs/cli.md: {REGENERATE}"
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                for opt in param.opts:
                    assert opt in section(cli_md, f"## {path}"), (
                        f"{path} {opt} is missing from docs/cli.md: {REGENERATE}"
                    )


# (c) every crawl setting and every option of `preserve crawl` is documented.

def crawl_table(collection_md: str) -> dict[str, list[str]]:
    rows = table_rows(section(collection_md, "### `[crawl]`"))
    return {row[0].strip("`"): row for row in rows}


def test_every_crawl_setting_is_in_collection_md(collection_md: str) -> None:
    documented = crawl_table(collection_md)
    keys = {f.name.replace("_", "-") for f in dataclasses.fields(CrawlConfig)}
    missing = keys - set(documented)
    assert not missing, f"[crawl] keys missing from docs/collection.md: {sorted(missing)}"
    unknown = set(documented) - keys
    assert not unknown, f"docs/collection.md documents [crawl] keys that do not exist: {unknown}"


def documented_default(cell: str) -> Any:
    text = cell.strip().strip("`")
    if text == "(none)":
        return None
    text = text.replace("<version>", preserve.__version__)
    value = tomllib.loads(f"v = {text}")["v"]
    return tuple(value) if isinstance(value, list) else value


def test_documented_crawl_defaults_are_the_code_defaults(collection_md: str) -> None:
    documented = crawl_table(collection_md)
    default = CrawlConfig()
    for f in dataclasses.fields(CrawlConfig):
        key = f.name.replace("_", "-")
        row = documented[key]
        assert documented_default(row[1]) == getattr(default, f.name), (
            f"docs/collection.md gives {row[1]} as the default of [crawl] {key}; "
            f"the code has {getattr(default, f.name)!r}"
        )


def test_example_preserve_toml_is_valid(collection_md: str, tmp_path: Path) -> None:
    example = section(collection_md, "### Example")
    m = re.search(r"```toml\n(.*?)```", example, re.S)
    assert m, "docs/collection.md: no TOML block under Example"
    path = tmp_path / "preserve.toml"
    path.write_text(m.group(1), encoding="utf-8")
    config = load_config(path)
    assert config.crawl.seeds and config.description.title


def test_every_crawl_option_is_documented(cli: click.Group, cli_md: str,
                                          collection_md: str) -> None:
    crawl = cli.commands["crawl"]
    for param in crawl.params:
        if not isinstance(param, click.Option):
            continue
        for opt in param.opts:
            if opt.startswith("--"):
                assert opt in cli_md or opt in collection_md, f"crawl {opt} is not documented"


def test_crawl_options_named_in_the_crawl_table_exist(cli: click.Group,
                                                      collection_md: str) -> None:
    crawl = cli.commands["crawl"]
    options = {opt for p in crawl.params if isinstance(p, click.Option) for opt in p.opts}
    for key, row in crawl_table(collection_md).items():
        for named in re.findall(r"`(--[a-z-]+)`", row[2]):
            assert named in options, f"[crawl] {key}: `preserve crawl` has no option {named}"


# (d) every event type the code emits is documented, and only those.

def test_every_event_type_is_documented(collection_md: str) -> None:
    emitted = emitted_events()
    assert {"crawl started", "crawl finished", "file closed"} <= set(emitted), (
        "the event scan found too little; is EventLog.append still called `events.append`?"
    )
    documented = first_column(section(collection_md, "### Event types"))
    missing = {e: at for e, at in emitted.items() if e not in documented}
    assert not missing, f"event types missing from docs/collection.md (Event types): {missing}"
    stale = documented - set(emitted)
    assert not stale, f"docs/collection.md documents event types nothing emits: {stale}"


# (e) every crawl-log outcome and field is documented, and only those.

def test_every_crawl_log_outcome_is_documented(collection_md: str) -> None:
    emitted = emitted_outcomes()
    assert {"captured", "failed", "retry"} <= set(emitted), "the outcome scan found too little"
    documented = first_column(section(collection_md, "### Crawl-log outcomes"))
    missing = {o: at for o, at in emitted.items() if o not in documented}
    assert not missing, f"crawl-log outcomes missing from docs/collection.md: {missing}"
    stale = documented - set(emitted)
    assert not stale, f"docs/collection.md documents outcomes nothing logs: {stale}"


def test_every_crawl_log_field_is_documented(collection_md: str) -> None:
    fields = {k.arg for _, call, _ in crawl_log_writes() for k in call.keywords if k.arg}
    documented = first_column(section(collection_md, "### Crawl-log fields"))
    missing = fields - documented
    assert not missing, f"crawl-log fields missing from docs/collection.md: {sorted(missing)}"


def test_readme_commands_are_real_and_the_test_site_is_shown(cli: click.Group) -> None:
    """The README's examples name real commands and options, say the example seed is a
    placeholder, and show how to serve the bundled test site, with a working link to
    when the delay may be lowered (#14)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = re.findall(r"^\.venv/bin/preserve (.*)$", readme, flags=re.MULTILINE)
    assert len(lines) >= 10
    for line in lines:
        words = line.split("#")[0].split()
        command: click.Command = cli
        while isinstance(command, click.Group):
            assert words[0] in command.commands, line
            command = command.commands[words.pop(0)]
        options = {o for p in command.params for o in getattr(p, "opts", [])}
        assert {w for w in words if w.startswith("--")} <= options, line
    assert ".venv/bin/python -m testsite serve" in readme
    assert "The seed above is a placeholder" in readme
    anchor = "docs/collection.md#the-delay-between-requests-and-when-to-lower-it"
    assert anchor in readme
    assert "### The delay between requests, and when to lower it" in (
        DOCS / "collection.md").read_text(encoding="utf-8")
