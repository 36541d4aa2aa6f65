"""Where each figure's evidence sits in its article, and the article cut into marked pieces.

A reader trusts a score when they can see the facts behind it in the text:
this module finds each gold and predicted evidence quote in the article, with
the codebook's folding (``grounding.fold_text``: whitespace, case and quote
characters), maps it back to the original characters, and marks it as
matched, missed (gold only), extra (predicted only) or a wrong value. The
pieces are data; the templates turn them into ``<mark>`` elements.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from extractor.evaluation.results import DiffView, FactView
from extractor.grounding import EvidenceLocator, fold_text
from extractor.report.format import KIND_NAMES

STATUSES = ("wrong", "missed", "extra", "matched")  # most important first
STATUS_NAMES = {"matched": "matched", "missed": "missed", "extra": "extra", "wrong": "wrong value"}
STATUS_SYMBOLS = {"matched": "✓", "missed": "−", "extra": "+", "wrong": "≠"}


@dataclass(frozen=True)
class Mark:
    """A span of the article that some fact's evidence quotes."""

    start: int
    end: int
    status: str
    note: str


@dataclass(frozen=True)
class Unfound:
    """A fact whose evidence quote is not in the article (an ungrounded figure)."""

    status: str
    note: str
    evidence: str


def fact_key(fact: Sequence[object], has_figure: bool) -> str:
    """A fact without its value, in words: 'launched drone shahed' for a figure fact."""
    parts = fact[1:-1] if has_figure else fact[1:]
    kind = str(fact[0]) if fact else "?"
    return " ".join([KIND_NAMES.get(kind, kind)] + [str(part) for part in parts if part is not None])


def fact_label(entry: FactView) -> str:
    """A fact in words, value included: 'killed 8', 'place settlement kyiv'."""
    has_figure = entry.figure is not None
    key = fact_key(entry.fact, has_figure)
    return f"{key} {entry.fact[-1]}" if has_figure and entry.fact else key


Note = tuple[str, str, list[tuple[str, str]]]


def diff_notes(diff: DiffView | None) -> Iterable[Note]:
    """Every fact of an article's diff as (status, note, quotes), each quote with whose it is."""
    if diff is None:
        return
    for pair in diff.wrong_value:
        key = fact_key(pair.gold.fact, True)
        note = f"{key}: gold {pair.gold.fact[-1]} vs predicted {pair.pred.fact[-1]}"
        yield "wrong", note, _quotes(pair.gold, pair.pred)
    for entry in diff.missed:
        yield "missed", fact_label(entry), _quotes(entry)
    for entry in diff.extra:
        yield "extra", fact_label(entry), _quotes(entry)
    for pair in diff.matched:
        yield "matched", fact_label(pair.gold), _quotes(pair.gold, pair.pred)


def _quotes(gold: FactView, pred: FactView | None = None) -> list[tuple[str, str]]:
    """The evidence of a fact's figures as (quote, whose): one quote, "" for whose, when they agree."""
    quotes = [(e.figure.evidence, who) for e, who in ((gold, "gold"), (pred, "predicted"))
              if e is not None and e.figure is not None and e.figure.evidence]
    if len(quotes) == 2 and fold_text(quotes[0][0]) == fold_text(quotes[1][0]):
        return [(quotes[0][0], "")]
    if len(quotes) == 1:
        return [(quotes[0][0], "")]
    return quotes


def locate_marks(text: str, diff: DiffView | None) -> tuple[list[Mark], list[Unfound]]:
    """The marks of one article for one run, and the quotes that could not be found."""
    locator = EvidenceLocator(text)
    marks: list[Mark] = []
    unfound: list[Unfound] = []
    for status, note, quotes in diff_notes(diff):
        for quote, whose in quotes:
            span = locator.find(quote)
            if span is None:
                unfound.append(Unfound(status, note, quote))
            else:
                marks.append(Mark(span[0], span[1], status, f"{note} ({whose} quote)" if whose else note))
    return marks, unfound


@dataclass(frozen=True)
class Tag:
    """A label after a quote, so that a status never rests on colour alone."""

    status: str
    text: str
    title: str = ""


@dataclass(frozen=True)
class Piece:
    """A stretch of the article: plain, or marked with the statuses and notes of every quote covering it."""

    text: str
    primary: str | None = None
    statuses: str = ""
    title: str = ""
    tags: tuple[Tag, ...] = ()


def pieces(text: str, marks: Sequence[Mark], statuses: Sequence[str] = STATUSES,
           names: dict[str, str] | None = None, symbols: dict[str, str] | None = None) -> list[Piece]:
    """The article cut at every quote boundary, each piece marked with the most important status covering it.

    Quotes overlap (one sentence often holds several figures); a piece's title
    lists every fact it supports, and a tag follows where a quote ends.
    """
    names, symbols = names or STATUS_NAMES, symbols or STATUS_SYMBOLS
    bounds = sorted({0, len(text)} | {m.start for m in marks} | {m.end for m in marks})
    out: list[Piece] = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        covering = [m for m in marks if m.start <= start and m.end >= end]
        tags = _tags([m for m in marks if m.end == end], statuses, names, symbols)
        if not covering:
            out.append(Piece(text[start:end], tags=tags))
            continue
        present = [s for s in statuses if any(m.status == s for m in covering)]
        title = "\n".join(dict.fromkeys(f"{names[m.status]}: {m.note}" for m in covering))
        out.append(Piece(text[start:end], present[0], " ".join(present), title, tags))
    return out


def _tags(ending: list[Mark], statuses: Sequence[str], names: dict[str, str], symbols: dict[str, str]) -> tuple[Tag, ...]:
    """One tag per note ending here; matched quotes get one tick with their notes as its title."""
    tags: list[Tag] = []
    for status in statuses:
        notes = list(dict.fromkeys(m.note for m in ending if m.status == status))
        if not notes:
            continue
        if status == "matched":
            tags.append(Tag(status, symbols[status], f"{status}: " + "; ".join(notes)))
            continue
        tags += [Tag(status, f"{symbols[status]} {names[status]}: {note}") for note in notes]
    return tuple(tags)
