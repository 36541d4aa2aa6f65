"""The article sections of report.html: each text with its facts marked, run by run.

Each article gets one panel per run (the page's run chooser shows one at a
time; without script every panel shows, headed by its run). A panel holds
the run's status, the text with its evidence highlighted, the facts that
could not be marked (dates, places, weapons, damage have no quote; some
predicted quotes are not in the text), and the run's events beside gold's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from extractor.report_format import NONE, fmt_count, fmt_score
from extractor.report_spans import STATUS_NAMES, STATUS_SYMBOLS, STATUSES, diff_notes, highlight, locate_marks


def render_articles(report: Mapping[str, Any]) -> str:
    """Every article of the report that has gold, in the report's order."""
    runs = report.get("runs") or []
    gold_events = report.get("gold_events") or {}
    articles = [a for a in report.get("articles") or [] if a.get("id") in gold_events]
    sections = [_article(number, article, gold_events.get(article["id"]) or [], runs)
                for number, article in enumerate(articles, 1)]
    return "\n".join(sections) or "<p>No articles.</p>"


def _article(number: int, article: Mapping[str, Any], gold: Sequence[Mapping[str, Any]],
             runs: Sequence[Mapping[str, Any]]) -> str:
    article_id = str(article.get("id"))
    title = article.get("title") or article_id
    meta = " · ".join(escape(str(part)) for part in (article_id, article.get("published")) if part)
    panels = "\n".join(_panel(index, run, article_id, str(article.get("text") or ""), len(runs) > 1)
                       for index, run in enumerate(runs))
    return (
        f'<section class="article" id="article-{number}" aria-labelledby="article-{number}-title">'
        f'<h3 id="article-{number}-title"><span class="article-number">{number}.</span> {escape(str(title))}</h3>'
        f'<p class="meta">{meta}</p>'
        f"{_events('Gold events', 'G', gold, {})}\n{panels}</section>"
    )


def _panel(index: int, run: Mapping[str, Any], article_id: str, text: str, several: bool) -> str:
    scored = ((run.get("scores") or {}).get("per_article") or {}).get(article_id) or {}
    diff = scored.get("diff") or {}
    marks, unfound = locate_marks(text, diff)
    counts = {status: 0 for status in STATUSES}
    for status, _, _ in diff_notes(diff):
        counts[status] += 1
    heading = f"Run #{index + 1}: {escape(str(run.get('label', '')))}" if several else "Facts"
    predicted = (run.get("predicted_events") or {}).get(article_id) or []
    pairs = {int(p): int(g) for g, p in diff.get("pairs") or []}
    return (
        f'<div class="run-panel" data-run="{index}">'
        f'<h4 class="run-heading">{heading}</h4>'
        f"{_status_line(run, article_id, scored, counts)}"
        f'<div class="panel-body"><div class="article-text">{highlight(text, marks)}</div>'
        f'<div class="panel-side">{_fact_lists(diff, unfound)}'
        f"{_events(_predicted_title(run, article_id), 'P', predicted, pairs)}</div></div></div>"
    )


def _predicted_title(run: Mapping[str, Any], article_id: str) -> str:
    """A failed output's events are kept in the report but were scored as nothing: say so."""
    status = (run.get("statuses") or {}).get(article_id, "ok")
    return "Predicted events" if status == "ok" else f"Predicted events (not scored: output {escape(str(status))})"


def _status_line(run: Mapping[str, Any], article_id: str, scored: Mapping[str, Any], counts: dict[str, int]) -> str:
    """Whether the run's output was valid, its slot F1 here, and how many facts of each status."""
    status = (run.get("statuses") or {}).get(article_id)
    if status is None:
        status = "missing" if article_id in ((run.get("failures") or {}).get("missing_ids") or []) else NONE
    reasons = ((run.get("failures") or {}).get("articles") or {}).get(article_id) or []
    slots = scored.get("slots") or {}
    tally = " ".join(
        f'<span class="count count-{s}">{STATUS_SYMBOLS[s]} {counts[s]} {STATUS_NAMES[s]}</span>' for s in STATUSES
    )
    failed = "" if status == "ok" else " failed"
    reason_list = "".join(f"<li>{escape(str(reason))}</li>" for reason in reasons)
    return (
        f'<p class="status-line"><span class="status{failed}">output: {escape(str(status))}</span> '
        f"slot F1 {fmt_score(slots.get('f1'))} {tally}</p>"
        + (f'<ul class="reasons">{reason_list}</ul>' if reason_list else "")
    )


def _fact_lists(diff: Mapping[str, Any], unfound: Sequence[Any]) -> str:
    """The differences in words, with where each one's quote is, then the matched facts folded away."""
    missing_quotes = {(u.status, u.note) for u in unfound}
    rows, matched = [], []
    for status, note, quotes in sorted(diff_notes(diff), key=lambda item: STATUSES.index(item[0])):
        if status == "matched":
            matched.append(f"<li>{escape(note)}</li>")
            continue
        quote = ('<span class="not-found">not in the article</span>' if (status, note) in missing_quotes
                 else "marked" if quotes else NONE)
        rows.append(
            f'<tr class="fact fact-{status}"><td><span class="tag tag-{status}">{STATUS_SYMBOLS[status]} '
            f"{STATUS_NAMES[status]}</span></td><td>{escape(note)}</td><td>{quote}</td></tr>"
        )
    table = (
        '<div class="table-wrap"><table class="fact-table"><thead><tr><th scope="col">Status</th>'
        f'<th scope="col">Fact</th><th scope="col">Quote</th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
        '<p class="note">Quote "–": a date, weapon, place or damage fact, which has no figure to quote.</p>'
        if rows else '<p class="no-facts">No differences from gold.</p>'
    )
    folded = (f'<details class="facts"><summary>{STATUS_SYMBOLS["matched"]} {len(matched)} matched facts</summary>'
              f'<ul class="matched-list">{"".join(matched)}</ul></details>' if matched else "")
    return f"<h5>Differences ({len(rows)})</h5>{table}{folded}"


def _events(title: str, prefix: str, events: Sequence[Mapping[str, Any]], pairs: Mapping[int, int]) -> str:
    """Events as one line each: role, sides, date, summary; predicted ones say which gold they paired with."""
    if not events:
        return f'<p class="events-empty">{title}: none.</p>'
    items = []
    for index, event in enumerate(events):
        paired = ""
        if prefix == "P":
            paired = f" · paired with G{pairs[index] + 1}" if index in pairs else " · unpaired"
        sides = f"{event.get('attacker', '?')} → {event.get('target_country', '?')}"
        facts = f"{event.get('role', '?')} · {sides} · {event.get('date') or 'no date'}{paired}"
        items.append(f'<li><span class="event-id">{prefix}{index + 1}</span> <span class="event-facts">'
                     f"{escape(facts)}</span> {escape(str(event.get('summary') or ''))}</li>")
    return f'<div class="events"><h5>{title} ({fmt_count(len(events))})</h5><ul>{"".join(items)}</ul></div>'
