"""Typed configuration, built once at the edge: CLI > the collection's preserve.toml > defaults.

A collection's ``preserve.toml`` has two tables: ``[collection]`` with its Dublin Core
description and ``[crawl]`` with seeds, scope and crawl settings. Every ``[crawl]`` key
is the name of the CLI option without its leading dashes (``max-depth``); underscores
(``max_depth``) are accepted too. Any number of ``[[schedule]]`` entries say when
``preserve schedule run-due`` crawls, verifies or exports (docs/schedule.md).
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import tomli_w

from . import DEFAULT_USER_AGENT
from .errors import ConfigError
from .units import format_duration, format_size, parse_budget, parse_duration, parse_size

__all__ = [
    "Description",
    "CrawlConfig",
    "CollectionConfig",
    "Schedule",
    "ScheduleAction",
    "SCHEDULE_ACTIONS",
    "check_cron",
    "DUBLIN_CORE_FIELDS",
    "PROFILE_NAMES",
    "PROFILE_SETTINGS",
    "load_config",
    "dump_config",
    "parse_size",
    "parse_duration",
]

Scope = Literal["host", "domain", "prefix"]
TlsVerify = Literal["strict", "record"]
Digest = Literal["sha1", "sha256"]
# The site profiles (capture/profiles.py holds their rules), and what `profile` may be.
PROFILE_NAMES = ("wordpress", "drupal", "nationbuilder")
PROFILE_SETTINGS = (*PROFILE_NAMES, "auto", "none")

DUBLIN_CORE_FIELDS = (
    "title",
    "creator",
    "subject",
    "description",
    "publisher",
    "contributor",
    "date",
    "type",
    "format",
    "identifier",
    "source",
    "language",
    "relation",
    "coverage",
    "rights",
)


@dataclass(frozen=True)
class Description:
    """The collection's Dublin Core description, carried into warcinfo and exports."""

    title: str = ""
    creator: str = ""
    subject: str = ""
    description: str = ""
    publisher: str = ""
    contributor: str = ""
    date: str = ""
    type: str = "Collection"
    format: str = "application/warc"
    identifier: str = ""
    source: str = ""
    language: str = ""
    relation: str = ""
    coverage: str = ""
    rights: str = ""

    def items(self) -> list[tuple[str, str]]:
        """The non-empty fields, in Dublin Core order."""
        return [(f, getattr(self, f)) for f in DUBLIN_CORE_FIELDS if getattr(self, f)]


@dataclass(frozen=True)
class CrawlConfig:
    """Everything that steers one crawl. Defaults are polite and safe."""

    seeds: tuple[str, ...] = ()
    scope: Scope = "host"
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_depth: int | None = 20
    max_pages: int | None = None  # pages (web.media.is_page), not every capture
    max_urls: int | None = None  # every capture
    max_bytes: int | None = None
    max_time: float | None = None
    delay: float = 1.0
    concurrency: int = 4
    ignore_robots: bool = False
    user_agent: str = DEFAULT_USER_AGENT
    digest: Digest = "sha1"
    warc_size: int = 1_000_000_000
    timeout: float = 30.0
    max_fetch_time: float = 120.0
    tls_verify: TlsVerify = "strict"
    ca_bundle: str = ""
    max_response_size: int = 100_000_000
    max_redirects: int = 10
    retries: int = 3
    max_retry_after: float = 300.0
    max_crawl_delay: float = 300.0
    max_url_length: int = 2048
    max_path_depth: int = 32
    max_repeated_segments: int = 3
    operator: str = ""
    sitemaps: bool = True
    # Pages of the previous crawl that nothing links to any more, requested again at the
    # end of a recrawl (hop C) so a deletion is captured as its 404, 410 or redirect.
    recheck_limit: int = 1000
    # auto: the profile of the CMS detected in the first pages (docs/profiles.md)
    profile: str = "auto"
    profile_keep: tuple[str, ...] = ()  # names of profile rules not to apply
    profile_exclude: tuple[str, ...] = ()  # more patterns, applied with the profile
    # A distributed crawl (docs/distributed.md): the crawl state in this Redis, shared by
    # every worker; "" keeps it in the collection's SQLite database.
    frontier: str = ""
    worker_id: str = ""  # "" with a frontier: host-pid, unique but not kept over restarts
    lease: float = 30.0  # seconds a dead worker's URLs stay claimed before others take them

    def validate(self) -> CrawlConfig:
        """This config, or a ConfigError naming the first bad setting and what is allowed.

        The error's ``key`` is the setting's name as in preserve.toml (``max-pages``);
        ``merged`` turns it into the option (``--max-pages``) when the value came from one.
        """
        if self.scope not in ("host", "domain", "prefix"):
            raise _bad("scope", "must be host, domain or prefix", self.scope)
        if self.digest not in ("sha1", "sha256"):
            raise _bad("digest", "must be sha1 or sha256", self.digest)
        if self.profile not in PROFILE_SETTINGS:
            raise _bad("profile", f"must be {', '.join(PROFILE_SETTINGS[:-1])} or none",
                       self.profile)
        for name in ("seeds", "include", "exclude", "profile_keep", "profile_exclude"):
            values = getattr(self, name)
            if not isinstance(values, tuple) or not all(isinstance(v, str) for v in values):
                raise _bad(_key(name), "must be a list of strings", values)
        for name in ("include", "exclude", "profile_exclude"):
            for pattern in getattr(self, name):
                try:
                    re.compile(pattern)
                except (re.error, OverflowError) as e:  # OverflowError: a{99999999999}
                    raise ConfigError(f"{_key(name)} pattern {pattern!r} is not a regex: {e}",
                                      key=_key(name)) from e
        for name, (low, high, what) in _WHOLE_NUMBERS.items():
            value = getattr(self, name)
            if value is None and name in _OPTIONAL:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise _bad(_key(name), f"must be {what}", value)
        for name, (shortest, longest, what) in _SECONDS.items():
            seconds = getattr(self, name)
            if seconds is None and name in _OPTIONAL:
                continue
            if (isinstance(seconds, bool) or not isinstance(seconds, int | float)
                    or not math.isfinite(seconds) or not shortest <= seconds <= longest
                    or (name == "timeout" and seconds <= 0)):
                raise _bad(_key(name), f"must be {what}", seconds)
        for name in ("ignore_robots", "sitemaps"):
            if not isinstance(getattr(self, name), bool):
                raise _bad(_key(name), "must be true or false", getattr(self, name))
        if not isinstance(self.user_agent, str) or not _HEADER_TEXT.fullmatch(self.user_agent):
            raise _bad("user-agent", "must be printable ASCII text, without CR, LF or other "
                       "control characters (it is sent as an HTTP header)", self.user_agent)
        if not isinstance(self.operator, str) or _CONTROL.search(self.operator):
            raise _bad("operator", "must be text without CR, LF or other control characters "
                       "(it is written into warcinfo)", self.operator)
        if self.tls_verify not in ("strict", "record"):
            raise _bad("tls-verify", "must be strict or record", self.tls_verify)
        if not isinstance(self.frontier, str) or (
                self.frontier and not _FRONTIER.fullmatch(self.frontier)):
            raise _bad("frontier", "must be redis://HOST:PORT/DB", self.frontier)
        if not isinstance(self.worker_id, str) or (
                self.worker_id and not _WORKER.fullmatch(self.worker_id)):
            raise _bad("worker-id", "must be 1 to 64 letters, digits, '.', '_' or '-' (it "
                       "is part of WARC file names)", self.worker_id)
        return self

    def merged(self, **overrides: Any) -> CrawlConfig:
        """A copy with every override that is not None applied (the CLI wins).

        A bad value is a ConfigError that names the option when it came from one."""
        given = {k: v for k, v in overrides.items() if v is not None}
        try:
            return dataclasses.replace(self, **given).validate()
        except ConfigError as e:
            if e.key is not None and e.key.replace("-", "_") in given:
                raise ConfigError(f"--{e}", key=e.key) from e
            raise


_LARGEST = 2**63 - 1  # SQLite's largest integer: counts and sizes are stored there
_DAY = 86400.0
_OPTIONAL = frozenset({"max_depth", "max_pages", "max_urls", "max_bytes", "max_time"})
# setting: (lowest, highest, what is allowed, as the error says it)
_WHOLE_NUMBERS: dict[str, tuple[int, int, str]] = {
    "max_depth": (0, _LARGEST, "a whole number of hops, 0 or more"),
    "max_pages": (0, _LARGEST, f"a whole number from 0 to {_LARGEST}"),
    "max_urls": (0, _LARGEST, f"a whole number from 0 to {_LARGEST}"),
    "max_bytes": (0, _LARGEST, f"a size from 0 to {_LARGEST} bytes"),
    "concurrency": (1, 1000, "a whole number from 1 to 1000"),
    "warc_size": (1024, _LARGEST, "a size of at least 1 KB (1024 bytes)"),
    "max_response_size": (1, _LARGEST, f"a size from 1 to {_LARGEST} bytes"),
    "max_redirects": (0, 100, "a whole number from 0 to 100"),
    "retries": (0, 20, "a whole number from 0 to 20"),
    "max_url_length": (1, 1_000_000, "a whole number from 1 to 1000000"),
    "max_path_depth": (1, 10_000, "a whole number from 1 to 10000"),
    "max_repeated_segments": (1, 10_000, "a whole number from 1 to 10000"),
    "recheck_limit": (0, _LARGEST, f"a whole number of pages from 0 to {_LARGEST}"),
}
_SECONDS: dict[str, tuple[float, float, str]] = {
    "delay": (0.0, _DAY, "a number of seconds from 0 to 86400 (a day)"),
    "timeout": (0.0, _DAY, "a number of seconds above 0 and at most 86400 (a day)"),
    "max_retry_after": (0.0, _DAY, "a number of seconds from 0 to 86400 (a day)"),
    "max_crawl_delay": (0.0, _DAY, "a number of seconds from 0 to 86400 (a day)"),
    "max_time": (0.0, 1000 * 365 * _DAY, "a finite duration, 0 or more (e.g. 2h)"),
    "max_fetch_time": (0.001, _DAY, "a duration above 0 and at most a day (e.g. 2m)"),
    "lease": (0.1, _DAY, "a number of seconds from 0.1 to 86400 (a day)"),
}
_FRONTIER = re.compile(r"redis://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[0-9]{1,5})?")
_WORKER = re.compile(r"[A-Za-z0-9._-]{1,64}")
# What an HTTP header value may safely hold: printable ASCII (RFC 9110 field-vchar and
# space; obs-text is left out, since clients encode it differently).
_HEADER_TEXT = re.compile(r"[\x20-\x7e]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _key(name: str) -> str:
    return name.replace("_", "-")


def _bad(key: str, requirement: str, value: object) -> ConfigError:
    shown = repr(value) if isinstance(value, str) else str(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return ConfigError(f"{key} {requirement}, not {shown}", key=key)


ScheduleAction = Literal["crawl", "verify", "export"]
SCHEDULE_ACTIONS: tuple[ScheduleAction, ...] = ("crawl", "verify", "export")
_CRON_NICKNAMES = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily",
                             "@midnight", "@hourly"})


@dataclass(frozen=True)
class Schedule:
    """One ``[[schedule]]`` entry: when (a 5-field cron expression, in UTC) and what."""

    cron: str
    action: ScheduleAction
    label: str = ""
    budget_seconds: float | None = None  # verify: a rolling audit within this time
    budget_bytes: int | None = None  # verify: or within this many bytes
    format: str | None = None  # export: bagit, wacz or ocfl
    destination: Path | None = None  # export: absolute; may hold {date} and {datetime}
    force: bool = False  # export: replace an existing destination
    final: bool = False  # crawl: mark it as the final capture of the site (as --final)

    @property
    def key(self) -> str:
        """What identifies the schedule in the event log: its label, else action and cron."""
        return self.label or f"{self.action} {self.cron}"

    def describe(self) -> str:
        if self.action == "export":
            return f"export {self.format} to {self.destination}"
        if self.final:
            return "final crawl"
        if self.action == "verify" and (self.budget_seconds is not None
                                        or self.budget_bytes is not None):
            budget = (format_duration(self.budget_seconds) if self.budget_seconds is not None
                      else format_size(self.budget_bytes or 0))
            return f"verify (budget {budget})"
        return self.action


def check_cron(expression: str) -> str:
    """``expression`` if it is a 5-field cron expression or an @nickname, else ConfigError."""
    text = " ".join(expression.split())
    if text.startswith("@"):
        if text.lower() not in _CRON_NICKNAMES:
            raise ConfigError(f"{expression!r} is not a cron nickname "
                              f"({', '.join(sorted(_CRON_NICKNAMES))})")
        return text.lower()
    from croniter import croniter  # here, not at the top: every command imports config

    if len(text.split()) != 5 or not croniter.is_valid(text):
        raise ConfigError(f"{expression!r} is not a cron expression (5 fields: minute hour "
                          "day-of-month month day-of-week, e.g. '0 3 * * 1')")
    return text


@dataclass(frozen=True)
class CollectionConfig:
    description: Description = field(default_factory=Description)
    crawl: CrawlConfig = field(default_factory=CrawlConfig)
    schedules: tuple[Schedule, ...] = ()


_CRAWL_FIELDS = {f.name: f for f in fields(CrawlConfig)}


def _shown(key: str) -> str:
    """A TOML key as an error message shows it: quoted when it holds a newline or another
    unprintable character, so the message stays one line."""
    return key if key.isprintable() else repr(key)


def _crawl_from_table(table: dict[str, Any], path: Path) -> CrawlConfig:
    values: dict[str, Any] = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in _CRAWL_FIELDS:
            raise ConfigError(f"unknown setting [crawl] {_shown(key)}", path=path, key=key)
        try:
            values[name] = _crawl_value(name, key, value)
        except ConfigError as e:
            raise ConfigError(f"[crawl] {e}", path=path, key=key) from e
    try:
        return CrawlConfig(**values).validate()
    except ConfigError as e:
        raise ConfigError(f"[crawl] {e}", path=path, key=e.key) from e


def _crawl_value(name: str, key: str, value: Any) -> Any:
    """One [crawl] value in the type of its CrawlConfig field; ranges are validate's job."""
    if name in ("seeds", "include", "exclude", "profile_keep", "profile_exclude"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            example = {"seeds": '["https://example.org/"]',
                       "profile_keep": '["comment-feeds"]'}.get(name, '["/calendar/"]')
            raise ConfigError(f"{key} must be a list of strings, e.g. {key} = {example}")
        return tuple(value)
    if name in ("max_bytes", "warc_size", "max_response_size"):
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ConfigError(f"{key} must be a size: a whole number of bytes or a string "
                              'such as "500MB"')
        try:
            return parse_size(value)
        except OverflowError:
            raise ConfigError(f"{key} must be a size of at most {_LARGEST} bytes") from None
        except ConfigError as e:
            raise ConfigError(f"{key}: {e}") from e
    if name in ("max_time", "max_fetch_time"):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ConfigError(f'{key} must be a duration: seconds or a string such as "2h"')
        try:
            return parse_duration(value)
        except OverflowError:  # a whole number too large for a float: out of range anyway
            return math.inf
        except ConfigError as e:
            raise ConfigError(f"{key}: {e}") from e
    if name in ("ignore_robots", "sitemaps"):
        if not isinstance(value, bool):
            raise ConfigError(f"{key} must be true or false")
        return value
    if name in ("delay", "timeout", "max_retry_after", "max_crawl_delay", "lease"):
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ConfigError(f"{key} must be a number of seconds")
        try:
            return float(value)
        except OverflowError:  # a whole number too large for a float: out of range anyway
            return math.inf
    if name in ("scope", "digest", "user_agent", "operator", "tls_verify", "ca_bundle",
                "profile", "frontier", "worker_id"):
        if not isinstance(value, str):
            raise ConfigError(f"{key} must be a string")
        return value
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigError(f"{key} must be a whole number")
    return value


_SCHEDULE_KEYS = {
    "crawl": {"cron", "action", "label", "final"},
    "verify": {"cron", "action", "label", "budget"},
    "export": {"cron", "action", "label", "format", "destination", "force"},
}
_EXPORT_FORMATS = ("bagit", "wacz", "ocfl")


def _schedule_from_table(table: Any, n: int, path: Path) -> Schedule:
    where = f"[[schedule]] {n}"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table", path=path)

    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(f"{where} {key}: {message}", path=path, key=key)

    def text(key: str) -> str | None:
        value = table.get(key)
        if value is not None and not isinstance(value, str):
            raise fail(key, "must be a string")
        return value

    action = text("action")
    if action is None:
        raise fail("action", f"missing; choose {', '.join(SCHEDULE_ACTIONS)}")
    if action not in SCHEDULE_ACTIONS:
        raise fail("action", f"unknown action {action!r}; choose "
                             f"{', '.join(SCHEDULE_ACTIONS)}")
    unknown = sorted(set(table) - _SCHEDULE_KEYS[action])
    if unknown:
        raise fail(_shown(unknown[0]), f"unknown setting for a {action} schedule")
    cron = text("cron")
    if cron is None:
        raise fail("cron", "missing, e.g. cron = '0 3 * * 1'")
    try:
        cron = check_cron(cron)
    except ConfigError as e:
        raise fail("cron", str(e)) from e
    values: dict[str, Any] = {"cron": cron, "action": action, "label": text("label") or ""}
    budget = text("budget")
    if budget is not None:
        try:
            parsed = parse_budget(budget)
            values["budget_seconds"], values["budget_bytes"] = parsed.seconds, parsed.bytes
        except ConfigError as e:
            raise fail("budget", str(e)) from e
    final = table.get("final", False)
    if not isinstance(final, bool):
        raise fail("final", "must be true or false")
    values["final"] = final
    if action == "export":
        fmt = text("format")
        if fmt not in _EXPORT_FORMATS:
            raise fail("format", f"{fmt!r}: choose {', '.join(_EXPORT_FORMATS)}")
        dest = text("destination")
        if not dest:
            raise fail("destination", "missing: where to write the package")
        force = table.get("force", False)
        if not isinstance(force, bool):
            raise fail("force", "must be true or false")
        try:
            destination = path.parent / Path(dest).expanduser()
        except RuntimeError as e:  # ~user with no such user
            raise fail("destination", f"{dest!r}: {e}") from e
        values.update(format=fmt, destination=destination, force=force)
    return Schedule(**values)


def _schedules(data: Any, path: Path) -> tuple[Schedule, ...]:
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ConfigError("[[schedule]] must be an array of tables", path=path)
    schedules = tuple(_schedule_from_table(t, n, path) for n, t in enumerate(data, 1))
    seen: set[str] = set()
    for s in schedules:
        if s.key in seen:
            raise ConfigError(f"two schedules are both {s.key!r}; give them different labels",
                              path=path, key="label")
        seen.add(s.key)
    return schedules


def _schedule_to_table(s: Schedule) -> dict[str, Any]:
    table: dict[str, Any] = {"cron": s.cron, "action": s.action}
    if s.label:
        table["label"] = s.label
    if s.budget_seconds is not None:
        table["budget"] = f"{s.budget_seconds:g}s"
    if s.budget_bytes is not None:
        table["budget"] = f"{s.budget_bytes}B"
    if s.format is not None:
        table["format"] = s.format
    if s.destination is not None:
        table["destination"] = str(s.destination)
    if s.force:
        table["force"] = True
    if s.final:
        table["final"] = True
    return table


def load_config(path: Path) -> CollectionConfig:
    """Read a collection's preserve.toml; every problem is a ConfigError naming the file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ConfigError("not found; create it with `preserve init`", path=path) from e
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"is not valid TOML ({e}); fix or restore it", path=path) from e
    except RecursionError as e:  # tomllib recurses once per level: "x = [[[[..."
        raise ConfigError("is not valid TOML (nested too deep); fix or restore it",
                          path=path) from e
    except OSError as e:
        raise ConfigError(f"cannot be read ({e.strerror})", path=path) from e
    unknown = set(data) - {"collection", "crawl", "schedule"}
    if unknown:
        raise ConfigError(f"unknown table [{_shown(sorted(unknown)[0])}]", path=path)
    coll = data.get("collection", {})
    crawl = data.get("crawl", {})
    if not isinstance(coll, dict) or not isinstance(crawl, dict):
        raise ConfigError("[collection] and [crawl] must be tables", path=path)
    desc_values = {}
    for key, value in coll.items():
        if key not in DUBLIN_CORE_FIELDS:
            raise ConfigError(f"unknown Dublin Core field [collection] {_shown(key)}",
                              path=path, key=key)
        if not isinstance(value, str):
            raise ConfigError(f"[collection] {key} must be a string", path=path, key=key)
        desc_values[key] = value
    return CollectionConfig(Description(**desc_values), _crawl_from_table(crawl, path),
                            _schedules(data.get("schedule", []), path))


def dump_config(config: CollectionConfig) -> str:
    """preserve.toml text: the description, and the crawl settings that differ from defaults."""
    default = CrawlConfig()
    crawl: dict[str, Any] = {"seeds": list(config.crawl.seeds)}
    for f in fields(CrawlConfig):
        if f.name == "seeds":
            continue
        value = getattr(config.crawl, f.name)
        if value != getattr(default, f.name) and value is not None:
            crawl[f.name.replace("_", "-")] = list(value) if isinstance(value, tuple) else value
    doc: dict[str, Any] = {"collection": dict(config.description.items()), "crawl": crawl}
    if config.schedules:
        doc["schedule"] = [_schedule_to_table(s) for s in config.schedules]
    return tomli_w.dumps(doc)
