"""Site profiles (capture/profiles.py): detection, the rules, and crawls of a WordPress-like
test site on 127.0.0.1 with the default (auto) and with ``--profile none``."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from helpers_crawl import cli, crawl, jsonl, path_of
from preserve.capture.profiles import (
    PROFILES,
    RULE_NAMES,
    Profile,
    check_profile_settings,
    detect,
    profile_for,
)
from preserve.config import CrawlConfig
from preserve.errors import ConfigError
from testsite import TestSite
from testsite.cms import COMMENTS_PER_POST, WP_REQUISITES, wordpress_noise_paths

ROOT = Path(__file__).resolve().parent.parent


def _rule(profile: str, url: str) -> str | None:
    chosen = profile_for(profile, CrawlConfig())
    assert chosen is not None
    rule = chosen.match(url)
    return None if rule is None else rule.name


@pytest.mark.parametrize(("url", "rule"), [
    ("https://mep.example/wp-json/", "wp-json"),
    ("https://mep.example/wp-json/wp/v2/posts/12", "wp-json"),
    ("https://mep.example/wp-json/oembed/1.0/embed?url=https%3A%2F%2Fmep.example%2Fa%2F",
     "wp-json"),
    ("https://mep.example/blog/wp-json/wp/v2/pages/3", "wp-json"),
    ("https://mep.example/?rest_route=/wp/v2/posts", "wp-json"),
    ("https://mep.example/2021/03/a-post/?replytocom=41", "replytocom"),
    ("https://mep.example/2021/03/a-post/feed/", "comment-feeds"),
    ("https://mep.example/comments/feed/", "comment-feeds"),
    ("https://mep.example/a-post/feed/atom/", "comment-feeds"),
    ("https://mep.example/?feed=comments-rss2", "comment-feeds"),
    ("https://mep.example/xmlrpc.php?rsd", "xmlrpc"),
    ("https://mep.example/wp-login.php?redirect_to=https%3A%2F%2Fmep.example%2F", "wp-login"),
    ("https://mep.example/wp-admin/", "wp-admin"),
    ("https://mep.example/wp-admin/admin-ajax.php", "wp-admin"),
    ("https://mep.example/a-post/?share=facebook&nb=1", "share"),
    ("https://mep.example/a-post/?print=1", "print"),
    ("https://mep.example/wp-includes/wlwmanifest.xml", "wlwmanifest"),
    # kept: the site's pages, main and archive feeds, shortlinks, and every requisite
    ("https://mep.example/", None),
    ("https://mep.example/2021/03/a-post/", None),
    ("https://mep.example/feed/", None),
    ("https://mep.example/category/news/feed/", None),
    ("https://mep.example/tag/fisheries/feed/", None),
    ("https://mep.example/?p=123", None),
    ("https://mep.example/a-post/embed/", None),
    ("https://mep.example/wp-sitemap.xml", None),
    ("https://mep.example/wp-content/themes/twentytwentyone/style.css?ver=1.7", None),
    ("https://mep.example/wp-content/uploads/2021/03/photo-1024x768.jpg", None),
    ("https://mep.example/wp-includes/js/wp-embed.min.js?ver=6.1.1", None),
    ("https://mep.example/wp-includes/css/dist/block-library/style.min.css", None),
    ("https://mep.example/printing-industry/", None),
])
def test_wordpress_rules(url: str, rule: str | None) -> None:
    assert _rule("wordpress", url) == rule


@pytest.mark.parametrize(("url", "rule"), [
    ("https://mep.example/user/login?destination=/node/3", "user-pages"),
    ("https://mep.example/user/register", "user-pages"),
    ("https://mep.example/user/password", "user-pages"),
    ("https://mep.example/node/12/edit", "node-edit"),
    ("https://mep.example/node/add/article", "node-edit"),
    ("https://mep.example/contact?destination=node/4", "destination"),
    ("https://mep.example/admin/content", "admin"),
    ("https://mep.example/fr/admin/config", "admin"),
    ("https://mep.example/search/node?keys=fisheries", "search"),
    ("https://mep.example/search?keys=x", "search"),
    ("https://mep.example/filter/tips", "filter-tips"),
    ("https://mep.example/comment/reply/12", "comment-reply"),
    ("https://mep.example/node/12", None),
    ("https://mep.example/news/research-and-administration", None),
    ("https://mep.example/sites/default/files/styles/large/public/photo.jpg", None),
    ("https://mep.example/core/misc/drupal.js?v=10.1", None),
    ("https://mep.example/rss.xml", None),
])
def test_drupal_rules(url: str, rule: str | None) -> None:
    assert _rule("drupal", url) == rule


@pytest.mark.parametrize(("url", "rule"), [
    ("https://mep.example/login", "login"),
    ("https://mep.example/logout", "login"),
    ("https://mep.example/users/password/new", "users"),
    ("https://mep.example/news?recruiter_id=1234", "recruiter"),
    ("https://mep.example/donate?amount=25", "donate-forms"),
    ("https://mep.example/forms/signups", "forms"),
    ("https://mep.example/donate", None),
    ("https://mep.example/news", None),
    ("https://mep.example/blog/logging-industry", None),
])
def test_nationbuilder_rules(url: str, rule: str | None) -> None:
    assert _rule("nationbuilder", url) == rule


def test_rule_names_are_unique_and_documented() -> None:
    names = [r.name for rules in PROFILES.values() for r in rules]
    assert len(names) == len(set(names)) == len(RULE_NAMES)
    doc = (ROOT / "docs" / "profiles.md").read_text(encoding="utf-8")
    for name in names:
        assert f"| `{name}` |" in doc, f"rule {name} is not in docs/profiles.md"


def test_overrides_keep_a_rule_and_add_a_pattern() -> None:
    config = CrawlConfig(profile="wordpress", profile_keep=("comment-feeds",),
                         profile_exclude=(r"[?&]amp=1",)).validate()
    profile = profile_for("wordpress", config)
    assert isinstance(profile, Profile)
    assert profile.match("https://mep.example/a-post/feed/") is None
    custom = profile.match("https://mep.example/a-post/?amp=1")
    assert custom is not None and custom.name == "custom"
    assert profile_for("none", config) is None


def test_unknown_rule_name_is_refused() -> None:
    with pytest.raises(ConfigError, match="profile-keep: 'comment-feed' is not the name"):
        check_profile_settings(CrawlConfig(profile_keep=("comment-feed",)))


def test_bad_profile_setting_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="profile must be wordpress, drupal, nationbuilder, "
                                          "auto or none, not 'joomla'"):
        CrawlConfig(profile="joomla").validate()
    (tmp_path / "preserve.toml").write_text('[crawl]\nseeds = ["http://127.0.0.1/"]\n'
                                            'profile-keep = "wp-json"\n', encoding="utf-8")
    from preserve.config import load_config

    with pytest.raises(ConfigError, match="profile-keep must be a list of strings"):
        load_config(tmp_path / "preserve.toml")


def _headers(**values: str) -> Any:
    lowered = {k.replace("_", "-").lower(): v for k, v in values.items()}
    return lambda name: lowered.get(name.lower())


PAGE = "https://mep.example/"


@pytest.mark.parametrize(("body", "headers", "links", "expected"), [
    (b'<head><meta name="generator" content="WordPress 6.1.1" />', {}, [], "wordpress"),
    (b"<head><meta content='Drupal 10 (https://www.drupal.org)' name='Generator'>", {}, [],
     "drupal"),
    (b"<head>", {"x_generator": "Drupal 7 (http://drupal.org)"}, [], "drupal"),
    (b"<head>", {"link": '<https://mep.example/wp-json/>; rel="https://api.w.org/"'}, [],
     "wordpress"),
    (b'<head><link rel="https://api.w.org/" href="https://mep.example/wp-json/">', {}, [],
     "wordpress"),
    (b"<head>", {"x_drupal_cache": "HIT"}, [], "drupal"),
    (b"<head>", {}, [("https://mep.example/wp-content/themes/x/style.css", "E")], "wordpress"),
    (b"<head>", {}, [("https://mep.example/sites/default/files/logo.png", "E")], "drupal"),
    (b"<head>", {}, [("https://d3n8a8pro7vhmx.cloudfront.net/themes/x/app.css", "E")],
     "nationbuilder"),
    (b"<head>", {}, [("https://assets.nationbuilder.com/x/logo.png", "E")], "nationbuilder"),
    # nothing: a link (not a requisite) to a WordPress upload or to NationBuilder's site
    (b"<head>", {}, [("https://mep.example/wp-content/uploads/manifesto.pdf", "L")], None),
    (b"<head>", {}, [("https://nationbuilder.com/", "L")], None),
    (b"<head>", {}, [("https://other.example/wp-content/uploads/a.jpg", "E")], None),
    (b'<head><meta name="generator" content="Hugo 0.120">', {}, [], None),
])
def test_detection(body: bytes, headers: dict[str, str], links: list[tuple[str, str]],
                   expected: str | None) -> None:
    found = detect(PAGE, _headers(**headers), body, links)
    assert (found.profile if found else None) == expected


# -- crawls of the WordPress-like test site --------------------------------------------


def _outcomes(log: list[dict[str, Any]]) -> dict[str, set[str]]:
    by: dict[str, set[str]] = {}
    for e in log:
        by.setdefault(e["outcome"], set()).add(path_of(e["url"]))
    return by


def _noise(site: TestSite) -> set[str]:
    paths = {"/wp-json/", "/comments/feed/", "/wp-includes/wlwmanifest.xml", "/wp-login.php"}
    for article in site.site.articles:
        paths |= wordpress_noise_paths(article)
    return paths


def test_auto_detects_wordpress_and_leaves_its_noise_out(tmp_path: Path) -> None:
    with TestSite(articles=6, cms="wordpress") as site:
        coll, summary = crawl(tmp_path / "c", (site.url,))
        requested = {e.path for e in site.requests}
    log = jsonl(coll.crawl_log_path(summary.crawl))
    detected = [e for e in log if e["outcome"] == "profile"]
    assert detected == [{"time": detected[0]["time"], "url": site.url, "outcome": "profile",
                         "profile": "wordpress",
                         "evidence": 'meta generator "WordPress 6.1.1"'}]
    by = _outcomes(log)
    excluded = by["profile-excluded"]
    assert _noise(site) <= excluded
    assert not any(p.startswith(("/wp-json", "/comments/")) or "replytocom" in p
                   or p.endswith("/feed/") for p in requested), "noise was fetched"
    # what replay needs is still there: the theme's stylesheet and the embed script
    assert set(WP_REQUISITES) <= by["captured"]
    assert site.expected_urls() <= {site.absolute(p) for p in by["captured"] | by["revisit"]}
    # counted by rule, in the summary, the crawl's record and its finished event
    counts = Counter(e["rule"] for e in log if e["outcome"] == "profile-excluded")
    assert summary.profile == "wordpress"
    assert summary.profile_excluded == dict(counts)
    assert counts["replytocom"] == 6 * COMMENTS_PER_POST
    assert counts["wp-json"] == 1 + 6 * 3  # the API root; per post: JSON, oEmbed JSON and XML
    assert all(e["profile"] == "wordpress" for e in log if e["outcome"] == "profile-excluded")
    assert f"profile wordpress excluded {sum(counts.values())} URLs: " in summary.one_line()
    finished = [json.loads(line) for line in coll.events_path.read_text().splitlines()
                if '"crawl finished"' in line][-1]
    assert finished["data"]["profile_excluded"] == dict(counts)


def test_profile_none_captures_everything(tmp_path: Path) -> None:
    with TestSite(articles=6, cms="wordpress") as site:
        coll, summary = crawl(tmp_path / "c", (site.url,), profile="none")
    log = jsonl(coll.crawl_log_path(summary.crawl))
    by = _outcomes(log)
    assert "profile-excluded" not in by and "profile" not in by
    fetched = by["captured"] | by.get("revisit", set())
    assert _noise(site) <= fetched
    assert summary.profile == "none" and summary.profile_excluded == {}
    assert "profile" not in summary.one_line()


def test_explicit_profile_and_cli_json(tmp_path: Path) -> None:
    with TestSite(articles=3, cms="wordpress") as site:
        result = cli("crawl", tmp_path / "c", "--seed", site.url, "--delay", "0",
                     "--profile", "wordpress", "--json")
        again = cli("crawl", tmp_path / "c", "--delay", "0")  # a recrawl, auto, as printed
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["profile"] == "wordpress" and data["profile_evidence"] == ""
    assert data["profile_excluded"]["replytocom"] == 3 * COMMENTS_PER_POST
    log = jsonl(tmp_path / "c" / "logs" / f"crawl-{data['crawl']}.jsonl")
    assert not [e for e in log if e["outcome"] == "profile"], "no detection when chosen"
    status = cli("status", tmp_path / "c")
    assert f"profile wordpress excluded {sum(data['profile_excluded'].values())}" in status.stdout
    assert again.returncode == 0, again.stderr
    assert "  profile      wordpress excluded " in again.stdout
    assert "replytocom 6" in again.stdout


def test_a_site_without_a_cms_gets_no_profile(tmp_path: Path) -> None:
    with TestSite(articles=6) as site:
        coll, summary = crawl(tmp_path / "c", (site.url,))
    log = jsonl(coll.crawl_log_path(summary.crawl))
    lines = [e for e in log if e["outcome"] == "profile"]
    assert [(e["profile"], e["evidence"]) for e in lines] == [
        ("none", "no generator found in the first 5 pages")]
    assert not [e for e in log if e["outcome"] == "profile-excluded"]
    assert summary.profile == "none"


def test_robots_txt_comes_first(tmp_path: Path) -> None:
    """/wp-admin/ is disallowed by the site's robots.txt: robots-blocked, as without a
    profile, not counted as the profile's."""
    with TestSite(articles=2, cms="wordpress") as site:
        site.site.fault_paths = ("/wp-admin/",)  # linked from /contact/
        coll, summary = crawl(tmp_path / "c", (site.url,))
    by = _outcomes(jsonl(coll.crawl_log_path(summary.crawl)))
    assert "/wp-admin/" in by["robots-blocked"]
    assert "/wp-admin/" not in by["profile-excluded"]


def test_unknown_rule_name_stops_the_crawl_before_it_starts(tmp_path: Path) -> None:
    with TestSite(articles=1) as site:
        made = cli("init", tmp_path / "c", "--seed", site.url)
        assert made.returncode == 0, made.stderr
        toml = tmp_path / "c" / "preserve.toml"
        toml.write_text(toml.read_text() + '\n', encoding="utf-8")
        text = toml.read_text().replace('# profile-keep = []', 'profile-keep = ["wpjson"]')
        toml.write_text(text, encoding="utf-8")
        result = cli("crawl", tmp_path / "c")
    assert result.returncode == 2
    assert result.stderr.startswith("preserve: error: ")
    assert "profile-keep: 'wpjson' is not the name of a profile rule" in result.stderr
    assert not list((tmp_path / "c" / "logs").glob("crawl-*.jsonl"))


def test_urls_queued_before_detection_are_left_out_when_claimed(tmp_path: Path) -> None:
    """The seed is the feed (no detection from XML): the posts it lists are queued before
    the first of them shows WordPress, and each is checked again when claimed."""
    with TestSite(articles=3, cms="wordpress") as site:
        oldest = site.site.articles[0].path  # listed last in the feed
        coll, summary = crawl(tmp_path / "c", (site.absolute("/feed.xml"),),
                              profile_exclude=(oldest + "$",))
        requested = {e.path for e in site.requests}
    log = jsonl(coll.crawl_log_path(summary.crawl))
    lines = [e for e in log if path_of(e["url"]) == oldest]
    assert [(e["outcome"], e["rule"], e["hops"]) for e in lines] == [
        ("profile-excluded", "custom", "S")]
    assert oldest not in requested
    assert summary.profile == "wordpress" and summary.profile_excluded["custom"] == 1


def test_a_resumed_crawl_reads_its_profile_back_from_the_log(tmp_path: Path) -> None:
    from preserve.capture.summary import CrawlSummary

    log = tmp_path / "crawl-0001.jsonl"
    lines = [{"url": "http://127.0.0.1/", "outcome": "profile", "profile": "wordpress",
              "evidence": 'meta generator "WordPress 6.1.1"'},
             {"url": "http://127.0.0.1/wp-json/", "outcome": "profile-excluded",
              "profile": "wordpress", "rule": "wp-json"},
             {"url": "http://127.0.0.1/a/?replytocom=1", "outcome": "profile-excluded",
              "profile": "wordpress", "rule": "replytocom"},
             {"url": "http://127.0.0.1/wp-json/x", "outcome": "profile-excluded",
              "profile": "wordpress", "rule": "wp-json"}]
    log.write_text("".join(json.dumps(e) + "\n" for e in lines), encoding="utf-8")
    summary = CrawlSummary.from_log("0001", log)
    assert (summary.profile, summary.profile_excluded) == (
        "wordpress", {"wp-json": 2, "replytocom": 1})
    assert summary.profile_line() == "profile wordpress excluded 3 URLs: wp-json 2, replytocom 1"
