"""The OCFL version's user has an address, so ocfl-validate gives no W008 (#14).

The address is ``--user-address``, else ``mailto:`` the operator's email, else a URL in
the operator, else (no operator) preserve's project page; only a named operator with no
address at all leaves it out, and then ocfl-validate warns, as it should.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers_crawl import tool
from helpers_export import copy_collection, crawl_small
from preserve import PROJECT_URL, __version__
from preserve.collection import Collection
from preserve.export import ExportOptions, export_collection

pytestmark = pytest.mark.slow  # runs ocfl-validate per case

ORCID = "https://orcid.org/0000-0002-1825-0097"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield crawl_small(tmp_path_factory.mktemp("ocfl-user") / "coll", articles=1)


@pytest.fixture
def coll(crawled: Path, tmp_path: Path) -> Path:
    return copy_collection(crawled, tmp_path / "coll")


CASES = [
    # operator in preserve.toml, --user-address, the user expected, W008 expected
    ("", None, {"name": "preserve/0.1.0", "address": PROJECT_URL}, False),
    ("Web Archive Team <web@library.example>", None,
     {"name": "Web Archive Team", "address": "mailto:web@library.example"}, False),
    ("Web Archive Team <https://library.example/web>", None,
     {"name": "Web Archive Team", "address": "https://library.example/web"}, False),
    ("Ada Archivist", ORCID, {"name": "Ada Archivist", "address": ORCID}, False),
    ("Web Archive Team <web@library.example>", ORCID,
     {"name": "Web Archive Team", "address": ORCID}, False),
    ("Ada Archivist", None, {"name": "Ada Archivist"}, True),
]


@pytest.mark.parametrize("operator,address,user,w008", CASES)
def test_the_version_user_has_an_address(coll: Path, tmp_path: Path, operator: str,
                                         address: str | None, user: dict[str, str],
                                         w008: bool) -> None:
    toml = coll / "preserve.toml"
    text = re.sub(r'(?m)^operator = .*\n', "", toml.read_text())
    if operator:
        text = text.replace("[crawl]\n", f"[crawl]\noperator = {json.dumps(operator)}\n")
    toml.write_text(text)
    assert Collection(coll).load_config().crawl.operator == operator
    obj = tmp_path / "object"
    export_collection(Collection(coll), ExportOptions("ocfl", obj, user_address=address))
    inventory = json.loads((obj / "inventory.json").read_text())
    expected = {**user, "name": user["name"].replace("0.1.0", __version__)}
    assert inventory["versions"]["v1"]["user"] == expected
    done = tool("ocfl-validate.py", obj)
    assert done.returncode == 0 and "is VALID" in done.stdout, done.stdout + done.stderr
    assert ("W008" in done.stdout) == w008, done.stdout
