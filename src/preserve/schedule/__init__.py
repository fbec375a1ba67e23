"""Schedules: when ``preserve schedule run-due`` crawls, verifies or exports a collection.

``due`` decides which ``[[schedule]]`` entries of preserve.toml are due given their last
runs (``history``, read from events.jsonl) and a clock; ``runner`` runs them under the
collection's schedule lock and records each run; ``install`` writes the crontab line or
systemd units that call run-due. See docs/schedule.md.
"""

from __future__ import annotations

from .due import Due, due_jobs, fire_times, next_fire, previous_fire
from .history import LastRun, last_runs
from .install import crontab_line, install_crontab, run_due_argv, systemd_units, write_units
from .lock import schedule_lock
from .runner import CollectionRun, JobResult, collections_under, run_due, schedule_status

__all__ = [
    "CollectionRun",
    "Due",
    "JobResult",
    "LastRun",
    "collections_under",
    "crontab_line",
    "due_jobs",
    "fire_times",
    "install_crontab",
    "last_runs",
    "next_fire",
    "previous_fire",
    "run_due",
    "run_due_argv",
    "schedule_lock",
    "schedule_status",
    "systemd_units",
    "write_units",
]
