"""The page of one run: every figure's evidence marked and linked to its card, data kept text, pages, filters."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import DATASETS, chromium, event, figure

from extractor.cli import main
from extractor.grounding import fold_text
from extractor.output.sqlite import ArticleInfo
from extractor.output.stored import StoredRun, load_run
from extractor.record import Record
from extractor.report.html import csp_hash
from extractor.report.view import render_view, run_view

SEEDS = DATASETS / "seeds" / "articles.jsonl"
VOID = {"meta", "input", "br", "wbr", "img", "link", "hr", "source", "area", "base", "col", "embed", "param",
        "track"}
HOSTILE = '</script><script>alert("model")</script><!-- <img src=x onerror=alert(1)> <b>bold</b> {{ 7*7 }}'
TEXT = ('KYIV - Russia launched 120 drones <script>alert("text")</script> overnight.\n\n'
        'Two people were killed in </script><!-- <b>Kharkiv</b>, officials said. Air defences shot down 100 drones.')


class Node:
    def __init__(self, tag: str, attrs: dict[str, str], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.walk()

    def find(self, tag: str, class_: str | None = None) -> list[Node]:
        return [n for n in self.walk() if n.tag == tag and (class_ is None or class_ in n.classes)]

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def up(self, tag: str) -> Node | None:
        node = self.parent
        while node is not None and node.tag != tag:
            node = node.parent
        return node


class Tree(HTMLParser):
    """An HTML document as a tree (enough for pages we write, or Chromium serialises)."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.current = self.root
        self.feed(markup)
        self.ids = {n.attrs["id"]: n for n in self.root.walk() if "id" in n.attrs}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def expected_figures(run: StoredRun) -> Iterator[tuple[str, str, str]]:
    """(article anchor, event anchor, figure anchor) and its evidence, for every figure of every record."""
    for number, record in enumerate(run.records.values(), start=1):
        for index, e in enumerate(record.to_json()["events"], start=1):
            card = f"a{number}-e{index}"
            slots = [(kind, e[kind]) for kind in ("killed", "injured")]
            slots += [(f"w{i}-{kind}", w[kind]) for i, w in enumerate(e["weapons"], 1) for kind in ("launched", "intercepted")]
            slots += [(f"p{i}-{kind}", p[kind]) for i, p in enumerate(e["places"], 1) for kind in ("killed", "injured")]
            for slot, f in slots:
                if f is not None:
                    yield card, f"{card}-{slot}", f["evidence"]


def assert_every_figure_is_marked_and_linked(tree: Tree, run: StoredRun) -> int:
    marks = [m for m in tree.root.find("mark") if "data-figures" in m.attrs]
    checked = 0
    for card_anchor, anchor, evidence in expected_figures(run):
        line = tree.ids[anchor]
        card = line.up("article")
        assert card is not None and card.attrs["id"] == card_anchor and "event" in card.classes
        quoting = [m for m in marks if anchor in m.attrs["data-figures"].split()]
        assert quoting, f"no <mark> for {anchor}"
        assert fold_text("".join(m.text() for m in quoting)) == fold_text(evidence), anchor
        for mark in quoting:
            link = mark.parent
            assert link is not None and link.tag == "a" and "mark-link" in link.classes
            target = tree.ids[link.attrs["href"].removeprefix("#")]
            assert link.attrs["href"] == "#" + mark.attrs["data-figures"].split()[0]
            assert target.up("article") is not None and target.up("section") is mark.up("section")
        back = line.find("a", "to-text")
        assert back and tree.ids[back[0].attrs["href"][1:]].find("mark")
        checked += 1
    return checked


@pytest.fixture(scope="module")
def seed_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    database = tmp_path_factory.mktemp("view") / "run.db"
    assert CliRunner().invoke(main, ["extract", str(SEEDS), "-m", "rules", "-o", str(database)]).exit_code == 0
    return database


def test_every_figures_evidence_is_a_mark_linked_to_its_line_in_its_event_card(seed_db: Path) -> None:
    run = load_run(seed_db)
    tree = Tree(render_view(run_view("run.db", run)))
    assert assert_every_figure_is_marked_and_linked(tree, run) == 31
    assert len(tree.root.find("section", "article")) == 5


def test_view_reads_a_jsonl_run_with_its_articles_as_it_reads_the_database(seed_db: Path, tmp_path: Path) -> None:
    jsonl = tmp_path / "run.jsonl"
    CliRunner().invoke(main, ["export", str(seed_db), "--format", "jsonl", "-o", str(jsonl)])
    page = tmp_path / "view.html"
    result = CliRunner().invoke(main, ["view", str(jsonl), "--articles", str(SEEDS), "-o", str(page)])
    assert result.exit_code == 0 and "5 articles, 31 of 31 figures marked" in result.stderr
    from_db = tmp_path / "db.html"
    CliRunner().invoke(main, ["view", str(seed_db), "-o", str(from_db)])
    assert page.read_text("utf-8").replace("run.jsonl", "run.db") == from_db.read_text("utf-8")
    bare = CliRunner().invoke(main, ["view", str(jsonl), "-o", str(tmp_path / "bare.html")])
    assert bare.exit_code == 0 and "0 of 31 figures marked" in bare.stderr
    assert "--articles FILE" in (tmp_path / "bare.html").read_text("utf-8")


def hostile_run() -> StoredRun:
    """An ok article whose text and model output are hostile, an invalid one and an error, with hostile metadata."""
    e = event(
        target_country=HOSTILE, summary=HOSTILE, date="2024-11-19",
        weapons=[{"category": "drone", "model": HOSTILE, "launched": figure(120, "launched 120 drones <script>alert(\"text\")</script>", source=HOSTILE),
                  "intercepted": figure(100, "shot down 100 drones")}],
        killed=figure(2, "Two people were killed in </script><!-- <b>Kharkiv</b>"),
        places=[{"name": HOSTILE, "kind": "settlement", "region": HOSTILE, "killed": figure(2, "Two people were killed"),
                 "injured": None}],
    )
    base = {"model": "m", "prompt_version": "p", "usage": {"prompt_tokens": 1, "completion_tokens": 1},
            "cached": False, "seconds": 1.0, "mode": None}
    records = {
        "ok<script>": {**base, "id": "ok<script>", "status": "ok", "events": [e], "errors": []},
        "invalid": {**base, "id": "invalid", "status": "invalid", "events": [], "errors": [f"weapons.0.model: {HOSTILE}"]},
        "error": {**base, "id": "error", "status": "error", "events": [], "errors": ["timeout: no answer in 60 s"]},
    }
    articles = {
        "ok<script>": ArticleInfo(HOSTILE, "javascript:alert(1)", HOSTILE, "2024-11-19", TEXT),
        "invalid": ArticleInfo("Invalid one", "https://example.org/a?b=1&c=<2>", None, None, "Some text."),
        "error": ArticleInfo(None, None, None, None, "Other text."),
    }
    return StoredRun({key: Record.model_validate(value) for key, value in records.items()}, articles)


def test_hostile_article_text_and_model_output_stay_text(tmp_path: Path) -> None:
    run = hostile_run()
    html = render_view(run_view("<b>run</b>", run))
    tree = Tree(html)
    style, script = (tree.root.find(tag)[0].text() for tag in ("style", "script"))
    csp = tree.root.find("meta")[2].attrs["content"]
    assert f"style-src {csp_hash(style)}" in csp and f"script-src {csp_hash(script)}" in csp
    assert "default-src 'none'" in csp
    assert len(tree.root.find("script")) == 1 and not tree.root.find("b") and not tree.root.find("img")
    assert not any("src" in n.attrs for n in tree.root.walk()) and not tree.root.find("link")  # nothing to load
    assert "<script>alert" not in html and "<!-- <b>" not in html
    page_text = tree.root.text()
    assert page_text.count(HOSTILE) >= 6 and 'launched 120 drones <script>alert("text")</script>' in page_text
    links = [a.attrs["href"] for a in tree.root.find("a")]
    assert [link for link in links if not link.startswith("#")] == ["https://example.org/a?b=1&c=<2>"]
    assert assert_every_figure_is_marked_and_linked(tree, run) == 4
    errors = [li.text() for ul in tree.root.find("ul", "errors") for li in ul.find("li")]
    assert errors == [f"weapons.0.model: {HOSTILE}", "timeout: no answer in 60 s"]
    statuses = [s.attrs["data-status"] for s in tree.root.find("section", "article")]
    assert statuses == ["ok", "invalid", "error"]


def test_without_script_every_article_of_the_first_page_shows_and_later_ones_are_inert(tmp_path: Path) -> None:
    run = hostile_run()
    one_page = Tree(render_view(run_view("run", run)))
    assert [s.attrs.get("hidden") for s in one_page.root.find("section", "article")] == [None, None, None]
    assert one_page.root.find("form")[0].attrs.get("hidden") == "" and "later-note" not in one_page.ids
    paged = render_view(run_view("run", run), page_size=1)
    tree = Tree(paged)
    assert [s.attrs["id"] for s in tree.root.find("section", "article")] == ["a1"]
    blocks = [s for s in tree.root.find("script") if s.attrs.get("type") == "text/html"]
    assert [b.attrs["data-status"] for b in blocks] == ["invalid", "error"]
    assert all("<section" in b.text() and "</script" not in b.text().lower() for b in blocks)
    assert "later-note" in tree.ids


def browser_dom(page: Path, profile: Path, query: str = "") -> Tree:
    result = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--virtual-time-budget=3000", "--dump-dom", page.as_uri() + query],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    tree = Tree(result.stdout)
    assert tree.root.find("html")[0].attrs.get("data-js") == "ready", "the page's script did not run to its end"
    return tree


def shown(tree: Tree) -> list[str]:
    return [s.attrs["id"] for s in tree.root.find("section", "article") if "hidden" not in s.attrs]


@pytest.mark.slow
@pytest.mark.browser
def test_the_seed_articles_page_renders_in_chromium_with_a_mark_for_every_figure(seed_db: Path, tmp_path: Path) -> None:
    page = tmp_path / "view.html"
    assert CliRunner().invoke(main, ["view", str(seed_db), "-o", str(page)]).exit_code == 0
    tree = browser_dom(page, tmp_path / "profile")
    assert assert_every_figure_is_marked_and_linked(tree, load_run(seed_db)) == 31
    assert shown(tree) == ["a1", "a2", "a3", "a4", "a5"]
    assert "hidden" not in tree.ids["filters"].attrs and tree.ids["f-count"].text() == "articles 1–5 of 5"
    by_attacker = browser_dom(page, tmp_path / "profile", "?attacker=Ukraine&from=2025-01-01")
    ukrainian = [a for a in shown(by_attacker)]
    records = list(load_run(seed_db).records.values())
    assert ukrainian == [f"a{n}" for n, r in enumerate(records, 1)
                         if any(e.attacker == "Ukraine" and (e.date or "") >= "2025-01-01" for e in r.events)]
    assert 0 < len(ukrainian) < 5
    dimmed = [c for c in by_attacker.root.find("article", "event") if "unmatched" in c.classes]
    assert dimmed and all(c.attrs["data-attacker"] == "Russia" or c.attrs["data-date"] < "2025-01-01" for c in dimmed)


@pytest.mark.slow
@pytest.mark.browser
def test_later_pages_and_filters_in_chromium_keep_hostile_data_text(tmp_path: Path) -> None:
    run = hostile_run()
    page = tmp_path / "view.html"
    page.write_text(render_view(run_view("run", run), page_size=1), encoding="utf-8")
    first = browser_dom(page, tmp_path / "profile")
    assert shown(first) == ["a1"] and "1 of 3" in first.ids["f-count"].text()
    assert "hidden" in first.ids["later-note"].attrs
    errors = browser_dom(page, tmp_path / "profile", "?status=error")
    assert shown(errors) == ["a3"] and "a3" in errors.ids and "1–1 of 1 matching (3 in the run)" in errors.ids["f-count"].text()
    second = browser_dom(page, tmp_path / "profile", "?page=2")
    assert shown(second) == ["a2"] and second.ids["a2"].find("ul", "errors")
    linked = browser_dom(page, tmp_path / "profile", "#a3")
    assert shown(linked) == ["a3"]
    for tree in (first, errors, second):
        assert [s for s in tree.root.find("script") if s.attrs.get("type") != "text/html"] == [tree.root.find("script")[-1]]
        assert not tree.root.find("b") and not tree.root.find("img")
    assert HOSTILE in first.ids["a1"].text() and assert_every_figure_is_marked_and_linked(first, run) == 4


def test_the_events_of_each_article_are_given_to_the_filters_as_json(seed_db: Path) -> None:
    run = load_run(seed_db)
    tree = Tree(render_view(run_view("run.db", run)))
    for section, record in zip(tree.root.find("section", "article"), run.records.values(), strict=True):
        events: list[Any] = json.loads(section.attrs["data-events"])
        assert events == [[e["attacker"], e["target_country"], e["date"] or ""] for e in record.to_json()["events"]]


@pytest.fixture(scope="module")
def news_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The attacks set read by the offline model, with its attacks in the same database."""
    database = tmp_path_factory.mktemp("news") / "news.db"
    articles = DATASETS / "attacks" / "articles.jsonl"
    for args in (["extract", str(articles), "-m", "rules", "-o", str(database)],
                 ["attacks", str(database), "-o", str(database)]):
        assert CliRunner().invoke(main, args).exit_code == 0
    return database


def attacks_page(news_db: Path, tmp_path: Path) -> Path:
    page = tmp_path / "view.html"
    reference = DATASETS / "attacks" / "reference.csv"
    result = CliRunner().invoke(main, ["view", str(news_db), "-o", str(page), "--reference", str(reference)])
    assert result.exit_code == 0, result.output
    return page


def test_a_database_with_attacks_shows_a_card_per_attack_with_its_reports_side_by_side(
        news_db: Path, tmp_path: Path) -> None:
    from extractor.attacks.incremental import load_attacks

    tree = Tree(attacks_page(news_db, tmp_path).read_text("utf-8"))
    attacks = load_attacks(news_db)
    cards = tree.root.find("article", "attack")
    assert [c.attrs["id"] for c in cards] == [f"attack-{a.attack_id}" for a in attacks]
    for card, attack in zip(cards, attacks, strict=True):
        heads = card.find("th", "report")
        assert len(heads) == len(attack.reports)
        for head, report in zip(heads, attack.reports, strict=True):
            link = head.find("a")[0].attrs["href"]
            assert link.endswith(f"-e{report.event + 1}") and link[1:] in tree.ids  # the report's event card
        rows = [r for r in card.find("table", "reports")[0].find("tr")[1:] if r.find("th")]  # not "No figures."
        disputed = [r for r in rows if "disputed" in r.classes]
        figures = [f for f in [attack.killed, attack.injured, *(x for w in attack.weapons for x in
                   (w.launched, w.intercepted)), *(x for p in attack.places for x in (p.killed, p.injured))] if f]
        assert len(rows) == len(figures) and len(disputed) == sum(f.disputed for f in figures)
        for row, resolved in zip(rows, figures, strict=True):
            chosen = row.find("td", "chosen")
            assert len(chosen) == 1 and chosen[0].find("span")[0].text().endswith(str(resolved.value))
    poltava = next(c for c, a in zip(cards, attacks, strict=True) if any(p.name == "Poltava" for p in a.places))
    assert "disputed" in poltava.text() and len(poltava.find("th", "report")) == 4  # 4 outlets, the undated one by match


def test_the_timeline_bars_lead_to_their_attacks_with_the_air_forces_count_beside(
        news_db: Path, tmp_path: Path) -> None:
    tree = Tree(attacks_page(news_db, tmp_path).read_text("utf-8"))
    svgs = tree.root.find("svg", "timeline")
    assert svgs and all(s.attrs.get("role") == "img" for s in svgs)
    links = [a for s in svgs for a in s.find("a")]
    assert links and all(a.attrs["href"][1:] in tree.ids for a in links)
    titles = [a.find("title")[0].text() for a in links]
    assert "2025-09-07: drones launched 810; Air Force 810" in titles
    assert len(svgs[0].find("line", "official")) > 0 and not svgs[1].find("line", "official")


@pytest.mark.slow
@pytest.mark.browser
def test_the_attacks_page_renders_in_chromium_and_its_links_land(news_db: Path, tmp_path: Path) -> None:
    page = attacks_page(news_db, tmp_path)
    tree = browser_dom(page, tmp_path / "profile")
    cards = tree.root.find("article", "attack")
    (attacks,) = sqlite3.connect(news_db).execute("SELECT count(*) FROM attacks").fetchone()
    assert len(cards) == attacks > 10 and tree.root.find("svg", "timeline")
    assert shown(tree)[:3] == ["a1", "a2", "a3"]
    for link in (a for card in cards for a in card.find("a")):
        assert link.attrs["href"][1:] in tree.ids
