"""The eval report renderers: the right numbers, honest absences, escaped data, no network, a page that works.

Most tests read a small hand-made report (``small_report``) whose every
number is known; one builds a report through the real scorer so that the
renderers keep up with the shape ``evals.build_report`` produces; the browser
test opens the page in headless Chromium.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from helpers import ARTICLE, chromium, event, figure
from rich.console import Console

from extractor.evaluation.results import EvalReport
from extractor.grounding import fold_text
from extractor.report import print_table, render_html, render_markdown, write_report
from extractor.report.spans import EvidenceLocator

TEXT = (
    'KYIV - Russia launched 120 drones at the capital <script>alert("text")</script> overnight.\n\n'
    '"Two  people" were killed,\nofficials said. Air defences shot down 100 drones. =HYPERLINK("../x")'
)
HOSTILE = '<script>alert("model")</script> "quoted" =HYPERLINK("http://evil.example") ../../etc'


def entry(fact: list[Any], event_index: int = 0, value_figure: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"fact": fact, "event": event_index, "figure": value_figure}


def counts(f1: float | None, tp: int = 0, fp: int = 0, fn: int = 0) -> dict[str, Any]:
    return {"precision": f1, "recall": f1, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


LAUNCHED = figure(120, "Russia launched 120 drones")
KILLED = figure(2, '"Two people" were killed')
INTERCEPTED = figure(100, "shot down 100 drones")


def good_run() -> dict[str, Any]:
    diff = {"pairs": [[0, 0]], "missed": [], "extra": [], "wrong_value": [], "matched": [
        {"gold": entry(["launched", "drone", None, 120], 0, LAUNCHED), "pred": entry(["launched", "drone", None, 120], 0, LAUNCHED)},
        {"gold": entry(["killed", 2], 0, KILLED), "pred": entry(["killed", 2], 0, KILLED)},
    ]}
    return {
        "label": "good-model", "model": "good-model", "prompt": "default", "prompt_version": "abc123",
        "scores": {
            "articles": 1, "events": counts(1.0, 1), "slots": {**counts(0.9, 9, 1, 1), "ci95": [0.8, 0.95]},
            "per_kind": {"killed": counts(1.0, 1), "place_killed": counts(None)},
            "qualifier_accuracy": 0.75, "source_accuracy": None, "grounding_rate": 1.0, "validity_rate": 1.0,
            "bootstrap": {"resamples": 1000, "seed": 1},
            "per_article": {"a1": {"valid": True, "events": counts(1.0, 1), "slots": counts(0.9, 9, 1, 1), "diff": diff}},
        },
        "cost_usd": 0.0123, "failures": {"invalid": 0, "error": 0, "missing": 0, "articles": {}, "missing_ids": []},
        "tokens": {"prompt": 12000, "completion": 3400}, "latency": {"p50": 1.25, "p95": 2.5},
        "coverage": {"facts_per_article": 9.0, "gold_facts_per_article": 10.0, "events": 1, "empty_events": 0},
        "seconds_per_article": 1.5, "mode": "tools",
        "predicted_events": {"a1": [{"role": "main", "attacker": "Russia", "target_country": "Ukraine",
                                     "date": "2024-11-19", "summary": "A fine summary."}]},
        "statuses": {"a1": "ok"},
    }


def bad_run() -> dict[str, Any]:
    """Unknown cost, null metrics, a failure with hostile reasons, and one difference of each kind."""
    curly = figure(3, "\u201ctwo people\u201d WERE killed")  # the model re-typed the quotes and the case
    invented = figure(7, HOSTILE)
    diff = {
        "pairs": [[0, 0]],
        "matched": [{"gold": entry(["launched", "drone", None, 120], 0, LAUNCHED),
                     "pred": entry(["launched", "drone", None, 120], 0, LAUNCHED)}],
        "missed": [entry(["intercepted", "drone", None, 100], 0, INTERCEPTED), entry(["damage", "residential"])],
        "extra": [entry(["launched", "missile", None, 5], 0, figure(5, "KYIV - Russia")),
                  entry(["place_killed", "<b>nowhere</b>", 7], 0, invented)],
        "wrong_value": [{"gold": entry(["killed", 2], 0, KILLED), "pred": entry(["killed", 3], 0, curly)}],
    }
    return {
        "label": 'bad <b>"model"</b> | [x]', "model": "bad", "prompt": None, "prompt_version": None,
        "scores": {
            "articles": 1, "events": counts(None), "slots": {**counts(0.5, 3, 3, 3), "ci95": None},
            "per_kind": {"killed": counts(0.0, 0, 1, 1), "place_killed": counts(None)},
            "qualifier_accuracy": None, "source_accuracy": None, "grounding_rate": None, "validity_rate": 0.5,
            "bootstrap": {"resamples": 1000, "seed": 1},
            "per_article": {"a1": {"valid": True, "events": counts(1.0, 1), "slots": counts(0.5, 3, 3, 3), "diff": diff}},
        },
        "cost_usd": None,
        "failures": {"invalid": 1, "error": 0, "missing": 1, "articles": {"a2": ["value: <script>x</script> bad"]},
                     "missing_ids": ["a3"]},
        "tokens": {"prompt": 0, "completion": 0}, "latency": {"p50": None, "p95": None},
        "coverage": {"facts_per_article": None, "gold_facts_per_article": None, "events": 0, "empty_events": 0},
        "seconds_per_article": None, "mode": None,
        "predicted_events": {"a1": [{"role": "main", "attacker": "Russia", "target_country": "Ukraine",
                                     "date": None, "summary": HOSTILE}]},
        "statuses": {"a1": "ok", "a2": "invalid"},
    }


def small_report_data() -> dict[str, Any]:
    return {
        "dataset": "tiny", "created": "2025-01-02T03:04:05+00:00",
        "gold": {"articles": 1, "events": 1, "facts": 10, "facts_per_kind": {"killed": 1, "place_killed": 0}},
        "runs": [good_run(), bad_run()],
        "comparisons": [{"a": 'bad <b>"model"</b> | [x]', "b": "good-model", "a_index": 1, "b_index": 0,
                         "difference": -0.4, "ci95": [-0.6, -0.2],
                         "share_not_better": 1.0, "resamples": 1000, "seed": 1}],
        "articles": [{"id": "a1", "title": 'Strike on "Kyiv" <script>t()</script>', "published": "2024-11-19", "text": TEXT}],
        "gold_events": {"a1": [{"role": "main", "attacker": "Russia", "target_country": "Ukraine",
                                "date": "2024-11-19", "summary": 'Gold says "hi" <i>there</i>'}]},
    }


@pytest.fixture
def small_report() -> EvalReport:
    return EvalReport.model_validate(small_report_data())


class Page(HTMLParser):
    """The parts of an HTML page the tests look at: elements with their attributes and text."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str, **wanted: str) -> list[dict[str, str]]:
        """Elements of ``tag`` whose attributes contain each wanted value (class_ for class)."""
        found = []
        for name, attrs in self.elements:
            if name != tag:
                continue
            if all(value in attrs.get(key.rstrip("_"), "").split() or attrs.get(key.rstrip("_")) == value
                   for key, value in wanted.items()):
                found.append(attrs)
        return found


# ---- markdown -------------------------------------------------------------------------------


def test_markdown_shows_the_numbers(small_report: EvalReport) -> None:
    md = render_markdown(small_report)
    assert "# Eval report: tiny" in md
    assert "1 articles, 1 events, 10 facts" in md
    good = next(line for line in md.splitlines() if "| good-model |" in line)
    for cell in ("0.900", "[0.800, 0.950]", "1.000", "75.0%", "100%", "12,000 / 3,400", "$0.0123", "$12.3",
                 "1.2\u00a0s / 2.5\u00a0s", "0 / 0 / 0", "default (abc123)"):
        assert cell in good, cell
    assert "| -0.400 | [-0.600, -0.200] | 100% |" in md
    assert "is worse than good-model" in md
    assert "## How to read this" in md and "Slot F1" in md


def test_markdown_shows_absences_honestly(small_report: EvalReport) -> None:
    md = render_markdown(small_report)
    bad = next(line for line in md.splitlines() if line.startswith("| 2 |"))
    cells = [cell.strip() for cell in bad.strip("|").split(" | ")]
    assert "unknown" in cells and "$0" not in bad  # unknown cost is neither 0 nor blank
    assert cells[3:6] == ["0.500", "–", "0.500"]  # slot F1, its missing interval, slot P
    assert "– / –" in bad  # no latency
    kinds = next(line for line in md.splitlines() if line.startswith("| killed at place |"))
    assert kinds.count("–") == 2


def test_markdown_lists_failures_with_reasons(small_report: EvalReport) -> None:
    md = render_markdown(small_report)
    assert "1 invalid, 0 error, 1 missing" in md
    assert "- `a2` (invalid): value: &lt;script&gt;x&lt;/script&gt; bad" in md
    assert "- `a3` (missing): no output" in md
    assert "Every article gave a valid output." in md  # the good run


def test_markdown_escapes_data(small_report: EvalReport) -> None:
    md = render_markdown(small_report)
    assert "<script>" not in md and "<b>" not in md
    assert 'bad &lt;b&gt;"model"&lt;/b&gt; \\| \\[x\\]' in md
    table_lines = [line for line in md.splitlines() if line.startswith("| 2 |")]
    assert len(table_lines) == 1 and table_lines[0].count(" | ") == table_lines[0].replace("\\|", "").count(" | ")


# ---- HTML -----------------------------------------------------------------------------------


def test_html_shows_the_numbers(small_report: EvalReport) -> None:
    html = render_html(small_report)
    page = Page(html)
    assert [row["data-run"] for row in page.all("tr") if "data-run" in row] == ["0", "1"]
    text = " ".join(page.text)
    for shown in ("0.900", "[0.800, 0.950]", "$0.0123", "unknown", "–", "-0.400", "is worse than good-model"):
        assert shown in text, shown
    bad_row = re.search(r'<tr data-run="1">(.*?)</tr>', html, re.S)
    assert bad_row is not None and "unknown" in bad_row.group(1) and "$" not in bad_row.group(1)


def test_html_escapes_everything_from_the_data(small_report: EvalReport) -> None:
    html = render_html(small_report)
    page = Page(html)
    assert len(page.all("script")) == 1  # the page's own
    assert not [tag for tag, _ in page.elements if tag in ("b", "i", "img")]
    assert not any(name.startswith("on") for _, attrs in page.elements for name in attrs)
    text = "".join(page.text)
    assert '<script>alert("text")</script>' in text  # the article's text, shown as text
    assert HOSTILE in text  # the predicted summary and the ungrounded evidence
    assert '=HYPERLINK("../x")' in text
    assert 'Gold says "hi" <i>there</i>' in text


def test_html_references_nothing_outside(small_report: EvalReport) -> None:
    html = render_html(small_report)
    page = Page(html)
    for _, attrs in page.elements:
        for name in ("src", "href", "action", "srcset", "poster", "xlink:href", "formaction"):
            assert not attrs.get(name, "#").strip() or attrs.get(name, "#").startswith("#"), (name, attrs)
    assert not re.search(r"url\(|@import", html)
    assert not re.search(r"(src|href)\s*=\s*[\"']?\s*(https?:|//)", html, re.I)
    outside = [m for m in re.finditer(r"https?://", html) if "evil.example" not in html[m.start():m.start() + 30]]
    assert not outside  # the only URL is the model's, as escaped text
    (policy,) = [attrs["content"] for tag, attrs in page.elements if attrs.get("http-equiv") == "Content-Security-Policy"]
    assert policy.startswith("default-src 'none'; ")


def test_html_marks_every_kind_of_difference(small_report: EvalReport) -> None:
    page = Page(render_html(small_report))
    statuses = [m["class"].split()[1] for m in page.all("mark", class_="hl") if m.get("data-status")]
    for status in ("hl-matched", "hl-missed", "hl-extra", "hl-wrong"):
        assert status in statuses, status
    text = " ".join(page.text)
    assert "killed: gold 2 vs predicted 3" in text
    assert "missed: intercepted drone 100" in text
    assert "not in the article" in text  # the invented quote of the extra fact
    assert "Predicted events (1)" in text
    assert page.all("select", id="run-select") and len(page.all("option")) == 2
    assert len(page.all("div", class_="run-panel")) == 2


def test_marks_cover_the_quoted_words(small_report: EvalReport) -> None:
    html = render_html(small_report)
    wrong = re.findall(r'<mark class="hl hl-wrong" data-status[^>]*>(.*?)</mark>', html, re.S)
    assert unescape("".join(wrong)) == '"Two  people" were killed'  # found despite curly quotes
    missed = re.findall(r'<mark class="hl hl-missed" data-status[^>]*>(.*?)</mark>', html)
    assert missed == ["shot down 100 drones"]


def test_chart_puts_unknown_cost_in_its_lane() -> None:
    data = small_report_data()
    data["runs"].append({**good_run(), "label": "no-f1", "cost_usd": 0.5,
                         "scores": {**good_run()["scores"], "slots": {**counts(None), "ci95": None}}})
    page = Page(render_html(EvalReport.model_validate(data)))
    points = page.all("g", class_="point")
    assert [p["data-run"] for p in points] == ["0", "1"]
    assert "cost-unknown" in points[1]["class"] and "cost-unknown" not in points[0]["class"]
    lane = page.all("g", class_="lane-unknown")[0]
    assert lane is not None
    circles = page.all("circle")
    assert float(circles[1]["cx"]) > float(circles[0]["cx"])
    assert "Not plotted (no slot F1): no-f1." in " ".join(page.text)


def test_evidence_locator_maps_folded_matches_to_the_original() -> None:
    text = "A  \u201cquoted\u201d\n\nSpan\tHERE, and more"
    locator = EvidenceLocator(text)
    start, end = locator.find('"quoted" span here') or (0, 0)
    assert text[start:end] == "\u201cquoted\u201d\n\nSpan\tHERE"
    assert locator.find("absent words") is None and locator.find("") is None
    for sample in (TEXT, ARTICLE, " \u00a0Stra\u00dfe \u0130stanbul \u2018x\u2019 \u03a3\u03a3 ", "ﬁne\u2003ok"):
        assert EvidenceLocator(sample).folded.strip() == fold_text(sample)


# ---- terminal and files ---------------------------------------------------------------------


def test_print_table_shows_runs_kinds_and_comparisons(small_report: EvalReport) -> None:
    console = Console(record=True, width=220, color_system=None)
    print_table(small_report, console)
    out = console.export_text()
    for shown in ("good-model", 'bad <b>"model"</b> | [x]', "[0.800, 0.950]", "unknown", "$0.0123",
                  "12,000 / 3,400", "1 / 0 / 1", "killed at place", "-0.400", "is worse than good-model"):
        assert shown in out, shown
    assert "–" in out


def test_print_table_splits_the_runs_in_a_narrow_terminal(small_report: EvalReport) -> None:
    console = Console(record=True, width=80, color_system=None)
    print_table(small_report, console)
    out = console.export_text()
    assert "Runs: quality" in out and "Runs: cost, speed and failures" in out
    assert "[0.800, 0.950]" in out and "12,000 / 3,400" in out  # whole, not folded into "…"
    assert max(len(line) for line in out.splitlines()) <= 80


def test_write_report_writes_three_files(small_report: EvalReport, tmp_path: Path) -> None:
    paths = write_report(small_report, tmp_path / "new" / "dir")
    assert sorted(paths) == ["html", "json", "md"]
    assert json.loads(paths["json"].read_text("utf-8")) == small_report.model_dump(mode="json")
    assert EvalReport.model_validate_json(paths["json"].read_text("utf-8")) == small_report
    assert paths["md"].read_text("utf-8") == render_markdown(small_report)
    assert paths["html"].read_text("utf-8").startswith("<!DOCTYPE html>")


def test_renders_a_report_built_by_the_scorer(tmp_path: Path) -> None:
    """The real report shape, from evals.build_report, renders without surprises."""
    from extractor.evaluation.datasets import ArticleRecord
    from extractor.evaluation.evals import Dataset, Run, build_report
    from extractor.schema import AttackEvent

    gold = [AttackEvent.model_validate(event())]
    dataset = Dataset("built", {"x": ArticleRecord(id="x", text=ARTICLE, title="T")}, {"x": gold})
    worse = event(killed=figure(3, "Two people were killed in Kharkiv"), damage=["residential", "energy"])
    runs = [Run("file:a", None, None, {"x": {"id": "x", "events": [event()]}}),
            Run("file:b", None, None, {"x": {"id": "x", "events": [worse]}})]
    report = EvalReport.model_validate_json(build_report(dataset, runs, {}).model_dump_json())
    page = Page(render_html(report))
    assert {m["class"].split()[1] for m in page.all("mark", class_="hl")} >= {"hl-matched", "hl-wrong"}
    assert "energy" in " ".join(page.text)
    assert "unknown" in render_markdown(report)


# ---- the page in a browser ------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.browser
def test_page_renders_in_headless_chromium(small_report: EvalReport, tmp_path: Path) -> None:
    page_path = tmp_path / "report.html"
    page_path.write_text(render_html(small_report), encoding="utf-8")
    started = time.monotonic()
    result = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=3000", "--dump-dom", page_path.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert time.monotonic() - started < 60
    dom = Page(result.stdout)
    assert dom.all("html", **{"data-js": "ready"}), "the page's script did not run to its end"
    assert dom.all("body", **{"data-selected-run": "0"})
    assert [row["data-run"] for row in dom.all("tr") if "data-run" in row] == ["0", "1"]
    assert len(dom.all("g", class_="point")) == 2 and len(dom.all("circle")) == 2
    assert len(dom.all("section", class_="article")) == 1
    panels = dom.all("div", class_="run-panel")
    assert [("hidden" in panel) for panel in panels] == [False, True]
    statuses = {m["class"].split()[1] for m in dom.all("mark", class_="hl")}
    assert statuses == {"hl-matched", "hl-missed", "hl-extra", "hl-wrong"}
    assert len(dom.all("script")) == 1  # the article's and the model's <script> stayed text
    assert not dom.all("b") and not dom.all("img")
