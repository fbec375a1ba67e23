"""`preserve seeds import-meps`: the European Parliament's MEP list (fixtures/meps/, made up
in the EP's shapes) cleaned into a seed plan whose collections `preserve` can crawl."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import click.testing
import pytest

from helpers_crawl import cli
from preserve.capture.meps import Mep, read_meps
from preserve.capture.seedplan import MepSeeds, SeedPlan, classify, plan_meps, split_cell
from preserve.cli.main import cli as preserve_cli
from preserve.config import load_config
from testsite import TestSite

FIXTURES = Path(__file__).parent.parent / "fixtures" / "meps"
CP1252 = FIXTURES / "ep-meps-term9-cp1252.csv"
VARIANT = FIXTURES / "meps-variant-utf8-bom.csv"
API = FIXTURES / "ep-api-meps.jsonld"


def run(*args: str | Path) -> click.testing.Result:
    return click.testing.CliRunner().invoke(preserve_cli, [str(a) for a in args])


def by_id(plan: SeedPlan) -> dict[str, MepSeeds]:
    return {m.mep.identifier: m for m in plan.meps}


def issues(m: MepSeeds) -> list[str]:
    return [r.issue for r in m.reviews]


def test_the_cp1252_csv_is_cleaned() -> None:
    assert b"M\xfcller" in CP1252.read_bytes()  # the fixture is cp1252, not UTF-8
    meps, kind = read_meps(CP1252)
    assert kind == "CSV, cp1252"
    plan = by_id(plan_meps(meps))
    assert plan["900001"].mep.name == "Anna Müller"
    assert plan["900002"].mep.name == "Ciarán Ó Súilleabháin"
    # http://www. and https:// without www., with and without the final slash: one site
    assert plan["900001"].seeds == ("https://anna-mueller.example/",)
    assert plan["900001"].urls[0].merged == ("http://www.anna-mueller.example/",)
    assert issues(plan["900001"]) == []
    # an Instagram profile is not a site
    assert plan["900002"].seeds == ()
    assert issues(plan["900002"]) == ["social-only"]
    assert plan["900003"].seeds == () and issues(plan["900003"]) == ["no-homepage"]
    # two URLs in a cell (semicolon); the party's page is shared with 900005
    assert plan["900004"].seeds == ("https://giuliarossi.example/",)
    assert issues(plan["900004"]) == ["party-page"]
    # comma and newline separated; a URL without a scheme; two different personal sites
    assert plan["900005"].seeds == ("https://www.marcobianchi.example/",
                                    "https://marco-bianchi-blog.example/")
    assert issues(plan["900005"]) == ["party-page", "several-sites"]
    assert plan["900005"].mep.where == "line 6"  # where the row starts, not where it ends
    assert issues(plan["900006"]) == ["ep-page"] and plan["900006"].seeds == ()
    assert plan["900007"].seeds == ("https://sorenjensen.example/blog",)
    assert issues(plan["900007"]) == ["rejected-url"]
    assert issues(plan["900008"]) == ["party-page"]  # a political group's site


def test_column_name_variants_utf8_bom_semicolons_and_term() -> None:
    meps, kind = read_meps(VARIANT)
    assert kind == "CSV, utf-8-sig"
    plan = by_id(plan_meps(meps, term=9))
    assert set(plan) == {"900101", "900103"}  # 900102 sat in term 8
    assert plan["900101"].mep.name == "Łukasz Kowalczyk"
    assert plan["900101"].seeds == ("https://lukasz-kowalczyk.example/",)
    assert plan["900101"].terms == (9,)
    assert issues(plan["900103"]) == ["social-only"]
    assert len(plan["900103"].reviews[0].urls) == 2  # Facebook and YouTube


def test_the_api_json_ld_shape() -> None:
    meps, kind = read_meps(API)
    assert kind == "JSON, utf-8"
    plan = by_id(plan_meps(meps))
    lukasz = plan["900201"]
    assert lukasz.mep.name == "Łukasz Wiśniewski-Example"
    assert lukasz.terms == (8, 9)
    assert (lukasz.mep.start, lukasz.mep.end) == ("2014-07-01", "2024-07-15")
    assert lukasz.seeds == ("https://www.wisniewski.example/",)  # foaf:homepage, merged
    assert lukasz.mep.group == "EPP" and lukasz.mep.country == "POL"
    assert issues(plan["900202"]) == ["social-only"]  # x.com
    assert issues(plan["900203"]) == ["no-homepage"]
    term10 = plan_meps(meps, term=10)
    assert [m.mep.identifier for m in term10.meps] == ["900202"]
    only9 = by_id(plan_meps(meps, term=9))["900201"]
    assert (only9.mep.start, only9.terms) == ("2019-07-02", (9,))


@pytest.mark.parametrize(("cell", "pieces"), [
    ("https://a.example https://b.example", ["https://a.example", "https://b.example"]),
    ("https://a.example,https://b.example;\r\nwww.c.example",
     ["https://a.example", "https://b.example", "www.c.example"]),
    ('"https://a.example/" | <https://b.example>', ["https://a.example/", "https://b.example"]),
])
def test_cells_are_split(cell: str, pieces: list[str]) -> None:
    assert split_cell(cell) == pieces


@pytest.mark.parametrize(("written", "kind"), [
    ("https://www.facebook.com/someone", "social"),
    ("https://x.com/someone", "social"),
    ("https://de-de.facebook.com/someone", "social"),
    ("https://box.example/x.com", "personal"),
    ("https://www.linkedin.com/in/someone", "social"),
    ("https://www.tiktok.com/@someone", "social"),
    ("https://youtu.be/abc", "social"),
    ("https://www.europarl.europa.eu/meps/en/1/X/home", "ep"),
    ("https://www.greens-efa.eu/en/our-group/mep/someone", "party"),
    ("ftp://someone.example/", "rejected"),
    ("javascript:alert(1)", "rejected"),
    ("http://[::1", "rejected"),
    ("someone.example/blog", "personal"),
])
def test_urls_are_classified(written: str, kind: str) -> None:
    assert classify(written).kind == kind


def test_shared_domains_platforms_and_rows_without_identifier() -> None:
    meps = [Mep("1", "A", homepage_cells=("https://medium.com/@a https://party.example/a",)),
            Mep("2", "B", homepage_cells=("https://medium.com/@b", "https://party.example/b")),
            Mep("", "C", homepage_cells=("https://cd.example/c",), where="line 4"),
            Mep("", "D", homepage_cells=("https://cd.example/d",), where="line 5")]
    plan = plan_meps(meps)
    assert [m.seeds for m in plan.meps] == [
        ("https://medium.com/@a",), ("https://medium.com/@b",), ("https://cd.example/c",),
        ("https://cd.example/d",)]  # rows without identifier may be one person: not shared
    assert [issues(m) for m in plan.meps] == [
        ["party-page"], ["party-page"], ["no-identifier"], ["no-identifier"]]


def test_the_plan_written_and_its_collections_usable(tmp_path: Path) -> None:
    plan_dir = tmp_path / "plan"
    done = run("seeds", "import-meps", CP1252, "-o", plan_dir)
    assert done.exit_code == 0, done.stderr
    assert done.stdout.startswith("read 8 MEPs (CSV, cp1252): 4 collections with 5 seeds")
    assert "8 decisions for review" in done.stdout
    assert (plan_dir / "review.csv").read_bytes().startswith(b"\xef\xbb\xbfidentifier,")
    with (plan_dir / "review.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {(r["identifier"], r["issue"]) for r in rows} == {
        ("900002", "social-only"), ("900003", "no-homepage"), ("900004", "party-page"),
        ("900005", "party-page"), ("900005", "several-sites"), ("900006", "ep-page"),
        ("900007", "rejected-url"), ("900008", "party-page")}
    assert next(r for r in rows if r["identifier"] == "900002")["name"] == \
        "Ciarán Ó Súilleabháin"
    doc = json.loads((plan_dir / "plan.json").read_text(encoding="utf-8"))
    assert doc["collections"] == 4 and len(doc["meps"]) == 8
    coll = plan_dir / doc["meps"][0]["collection"]
    assert coll.name == "mep-900001-anna-muller"
    config = load_config(coll / "preserve.toml")
    assert config.crawl.seeds == ("https://anna-mueller.example/",)
    assert config.description.identifier == "https://data.europarl.europa.eu/person/900001"
    assert "Anna Müller" in config.description.title
    assert config.description.coverage == "DE"
    assert "Christlich Demokratische Union" in config.description.relation
    status = run("status", coll)
    assert status.exit_code == 0, status.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"]  # no temporary left


def test_an_existing_plan_is_kept_unless_forced(tmp_path: Path) -> None:
    plan_dir = tmp_path / "plan"
    assert run("seeds", "import-meps", API, "-o", plan_dir).exit_code == 0
    before = (plan_dir / "plan.json").read_bytes()
    again = run("seeds", "import-meps", CP1252, "-o", plan_dir)
    assert again.exit_code == 2
    assert again.stderr.count("\n") == 1 and "--force" in again.stderr
    assert again.stderr.startswith("preserve: error: ")
    assert (plan_dir / "plan.json").read_bytes() == before
    forced = run("seeds", "import-meps", CP1252, "-o", plan_dir, "--force", "--json")
    assert forced.exit_code == 0, forced.stderr
    assert json.loads(forced.stdout)["collections"] == 4
    assert json.loads((plan_dir / "plan.json").read_text())["meps"][0]["identifier"] == "900001"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"]
    quiet = run("seeds", "import-meps", API, "-o", plan_dir, "--force", "-q")
    assert (quiet.exit_code, quiet.stdout) == (0, "")


@pytest.mark.parametrize(("content", "says"), [
    (None, "cannot read"),
    (b"", "empty file"),
    (b"name,country\nA,DE\n", "no column for identifier"),
    (b"mep_identifier,mep_given_name,mep_family_name\n1,A,B\n", "no column for homepage"),
    (b'{"data": [', "malformed JSON"),
    (b'{"data": [{"label": "No Id"}]}', "has no identifier"),
    (b"\xef\xbb\xbfmep_identifier,mep_label,mep_homepage\n1,A,http://a.example\n\xff\xfe",
     "neither UTF-8 nor cp1252"),
])
def test_bad_files_are_one_line_and_exit_2(tmp_path: Path, content: bytes | None,
                                           says: str) -> None:
    source = tmp_path / "meps.csv"
    if content is not None:
        source.write_bytes(content)
    done = run("seeds", "import-meps", source, "-o", tmp_path / "plan")
    assert done.exit_code == 2, done.stdout
    assert done.stderr.startswith("preserve: error: ") and done.stderr.count("\n") == 1
    assert says in done.stderr
    assert not (tmp_path / "plan").exists()


def test_a_term_without_meps_is_an_error(tmp_path: Path) -> None:
    done = run("seeds", "import-meps", API, "--term", "3", "-o", tmp_path / "plan")
    assert done.exit_code == 2
    assert "no MEP of term 3" in done.stderr
    assert not (tmp_path / "plan").exists()


@pytest.mark.slow
def test_a_planned_collection_crawls(tmp_path: Path, shared_site: TestSite) -> None:
    source = tmp_path / "meps.csv"
    source.write_bytes("mep_identifier,mep_family_name,mep_given_name,mep_homepage\n"
                       f"900301,Søgaard,Ida,{shared_site.url}\n".encode("cp1252"))
    plan_dir = tmp_path / "plan"
    assert run("seeds", "import-meps", source, "-o", plan_dir).exit_code == 0
    coll = plan_dir / "collections" / "mep-900301-ida-sogaard"
    done = cli("crawl", coll, "--delay", "0", "--max-pages", "1", "--json", timeout=120)
    assert done.returncode == 0, done.stderr
    assert list((coll / "warcs").glob("*.warc.gz"))
