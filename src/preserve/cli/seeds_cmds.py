"""``preserve seeds``: seed lists from other sources; ``import-meps`` over
preserve.capture.meps, seedplan and planwrite."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..units import plural

__all__ = ["seeds"]


@click.group()
def seeds() -> None:
    """Build seed plans (collections ready to crawl) from lists of sites.

    See docs/seeds.md.
    """


@seeds.command("import-meps")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--term", type=click.IntRange(1, 99), metavar="N",
              help="Only the MEPs of parliamentary term N (9: 2019-2024); rows that name "
              "no term are taken as of term N.")
@click.option("-o", "--output", "output", type=click.Path(path_type=Path), metavar="PLAN_DIR",
              help="The plan directory to write [default: FILE's name with -plan, here].")
@click.option("--force", is_flag=True, help="Replace an existing plan directory.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing; errors only.")
def import_meps(file: Path, term: int | None, output: Path | None, force: bool,
                as_json: bool, quiet: bool) -> None:
    """Read the European Parliament's MEP list and write a seed plan.

    FILE is the open-data MEP list as CSV (UTF-8 or cp1252) or as the API's
    JSON(-LD). Homepages are cleaned: cells with several URLs split, http/https,
    www. and trailing-slash spellings merged, social-media, party and
    Parliament pages flagged rather than crawled. PLAN_DIR gets one collection
    per MEP with a personal site (collections/, each crawlable with `preserve
    crawl`), review.csv listing every decision for a human, and plan.json.

    \b
    Exit status: 0 plan written (review.csv may still list decisions);
    2 bad input (unreadable file, no MEP list, no MEP of the term, the plan
    directory exists without --force).
    """
    from ..capture.meps import read_meps
    from ..capture.planwrite import REVIEW_CSV, write_plan
    from ..capture.seedplan import plan_meps
    from ..errors import UnreadableInput

    meps, kind = read_meps(file)
    plan = plan_meps(meps, term)
    if not plan.meps:
        which = f" of term {term}" if term is not None else ""
        raise UnreadableInput(file, f"no MEP{which} in it")
    dest = output if output is not None else Path(f"{file.stem}-plan")
    written = write_plan(plan, dest, f"{file.name}, {kind}", force=force)
    counts = plan.issue_counts()
    if as_json:
        click.echo(json.dumps({"plan": str(dest), "meps": len(plan.meps), "term": term,
                               "collections": written.collections, "seeds": written.seeds,
                               "review": dict(sorted(counts.items()))}, indent=2))
        return
    if quiet:
        return
    issues = ", ".join(f"{n} {issue}" for issue, n in sorted(counts.items()))
    of_term = f" of term {term}" if term is not None else ""
    click.echo(f"read {plural(len(plan.meps), 'MEP')}{of_term} ({kind}): "
               f"{plural(written.collections, 'collection')} with "
               f"{plural(written.seeds, 'seed')} in {dest}; "
               f"{plural(plan.reviews, 'decision')} for review in {dest / REVIEW_CSV}"
               + (f" ({issues})" if issues else ""))
