"""The article sections of report.html as data: each text with its facts marked, run by run.

Each article gets one panel per run (the page's run chooser shows one at a
time; without script every panel shows, headed by its run). A panel holds
the run's status, the text cut into marked pieces, the facts that could not
be marked (dates, places, weapons, damage have no quote; some predicted
quotes are not in the text), and the run's events beside gold's. The
template ``_articles.html.j2`` draws them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from extractor.evaluation.datasets import ArticleRecord
from extractor.evaluation.results import EvalReport, RunReport
from extractor.report.format import NONE, fmt_score
from extractor.report.spans import STATUSES, Note, Piece, diff_notes, locate_marks, pieces
from extractor.schema import AttackEvent


@dataclass(frozen=True)
class EventLine:
    id: str
    facts: str
    summary: str


@dataclass(frozen=True)
class EventList:
    title: str
    lines: list[EventLine]


@dataclass(frozen=True)
class Difference:
    status: str
    note: str
    quote: str  # "marked", "not in the article", or NONE for a fact with no figure


@dataclass(frozen=True)
class Panel:
    index: int
    heading: str
    status: str
    slot_f1: str
    counts: list[tuple[str, int]]
    reasons: list[str]
    pieces: list[Piece]
    differences: list[Difference]
    matched: list[str]
    predicted: EventList

    @property
    def failed(self) -> bool:
        return self.status != "ok"


@dataclass(frozen=True)
class ArticleSection:
    number: int
    title: str
    meta: str
    gold: EventList
    panels: list[Panel]


def article_sections(report: EvalReport) -> list[ArticleSection]:
    """Every article of the report that has gold, in the report's order."""
    articles = [a for a in report.articles if a.id in report.gold_events]
    several = len(report.runs) > 1
    return [
        ArticleSection(
            number=number, title=article.title or article.id,
            meta=" · ".join(part for part in (article.id, article.published) if part),
            gold=event_list("Gold events", "G", report.gold_events[article.id], {}),
            panels=[_panel(index, run, article, several) for index, run in enumerate(report.runs)],
        )
        for number, article in enumerate(articles, 1)
    ]


def _panel(index: int, run: RunReport, article: ArticleRecord, several: bool) -> Panel:
    scored = run.scores.per_article.get(article.id)
    diff = scored.diff if scored else None
    marks, unfound = locate_marks(article.text, diff)
    counts = dict.fromkeys(STATUSES, 0)
    for status, _, _ in diff_notes(diff):
        counts[status] += 1
    differences, matched = _differences(diff_notes(diff), {(u.status, u.note) for u in unfound})
    pairs = {p: g for g, p in diff.pairs} if diff else {}
    return Panel(
        index=index, heading=f"Run #{index + 1}: {run.label}" if several else "Facts",
        status=_status(run, article.id), slot_f1=fmt_score(scored.slots.f1 if scored else None),
        counts=list(counts.items()), reasons=run.failures.articles.get(article.id, []),
        pieces=pieces(article.text, marks), differences=differences, matched=matched,
        predicted=event_list(_predicted_title(run, article.id), "P", run.predicted_events.get(article.id, []), pairs),
    )


def _status(run: RunReport, article_id: str) -> str:
    status = run.statuses.get(article_id)
    if status is None:
        return "missing" if article_id in run.failures.missing_ids else NONE
    return status


def _predicted_title(run: RunReport, article_id: str) -> str:
    """A failed output's events are kept in the report but were scored as nothing: say so."""
    status = run.statuses.get(article_id, "ok")
    return "Predicted events" if status == "ok" else f"Predicted events (not scored: output {status})"


def _differences(notes: Iterable[Note], missing_quotes: set[tuple[str, str]]) -> tuple[list[Difference], list[str]]:
    """The differences in words, with where each one's quote is, and the matched facts apart."""
    rows: list[Difference] = []
    matched: list[str] = []
    for status, note, quotes in sorted(notes, key=lambda item: STATUSES.index(item[0])):
        if status == "matched":
            matched.append(note)
            continue
        quote = "not in the article" if (status, note) in missing_quotes else "marked" if quotes else NONE
        rows.append(Difference(status, note, quote))
    return rows, matched


def event_list(title: str, prefix: str, events: Sequence[AttackEvent], pairs: Mapping[int, int]) -> EventList:
    """Events as one line each: role, sides, date, summary; predicted ones say which gold they paired with."""
    lines = []
    for index, event in enumerate(events):
        paired = ""
        if prefix == "P":
            paired = f" · paired with G{pairs[index] + 1}" if index in pairs else " · unpaired"
        facts = f"{event.role} · {event.attacker} → {event.target_country} · {event.date or 'no date'}{paired}"
        lines.append(EventLine(f"{prefix}{index + 1}", facts, event.summary))
    return EventList(title, lines)
