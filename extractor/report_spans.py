"""Where each figure's evidence sits in its article, and the article as marked-up HTML.

A reader trusts a score when they can see the facts behind it in the text:
this module finds each gold and predicted evidence quote in the article, with
the codebook's folding (``grounding.fold_text``: whitespace, case and quote
characters), maps it back to the original characters, and marks it as
matched, missed (gold only), extra (predicted only) or a wrong value.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from extractor.grounding import fold_text
from extractor.report_format import KIND_NAMES

STATUSES = ("wrong", "missed", "extra", "matched")  # most important first
STATUS_NAMES = {"matched": "matched", "missed": "missed", "extra": "extra", "wrong": "wrong value"}
STATUS_SYMBOLS = {"matched": "✓", "missed": "−", "extra": "+", "wrong": "≠"}


class EvidenceLocator:
    """Finds quotes in one article as the grounding check does, in original offsets.

    The article is folded one character at a time through ``fold_text`` itself
    (so the rules cannot drift from the grounding rate's), remembering which
    original character each folded character came from; a whitespace run
    folds to one space, as in ``fold_text``.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        pieces: list[str] = []
        self.origin: list[int] = []
        previous_space = False
        for index, char in enumerate(text):
            if char.isspace():
                if not previous_space:
                    pieces.append(" ")
                    self.origin.append(index)
                previous_space = True
                continue
            previous_space = False
            folded = fold_text(char)
            pieces.append(folded)
            self.origin += [index] * len(folded)
        self.folded = "".join(pieces)

    def find(self, evidence: str | None) -> tuple[int, int] | None:
        """The (start, end) of the first occurrence of ``evidence``, or None if it is absent."""
        needle = fold_text(evidence or "")
        position = self.folded.find(needle) if needle else -1
        if position < 0:
            return None
        return self.origin[position], self.origin[position + len(needle) - 1] + 1


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


def fact_key(fact: list[Any], has_figure: bool) -> str:
    """A fact without its value, in words: 'launched drone shahed' for a figure fact."""
    parts = fact[1:-1] if has_figure else fact[1:]
    kind = str(fact[0]) if fact else "?"
    return " ".join([KIND_NAMES.get(kind, kind)] + [str(part) for part in parts if part is not None])


def fact_label(entry: Mapping[str, Any]) -> str:
    """A FactEntry in words, value included: 'killed 8', 'place settlement kyiv'."""
    fact = list(entry.get("fact") or [])
    has_figure = entry.get("figure") is not None
    key = fact_key(fact, has_figure)
    return f"{key} {fact[-1]}" if has_figure and fact else key


def diff_notes(diff: Mapping[str, Any]) -> Iterable[tuple[str, str, list[tuple[str, str]]]]:
    """Every fact of an article's diff as (status, note, quotes), each quote with whose it is."""
    for pair in diff.get("wrong_value") or []:
        gold, pred = pair["gold"], pair["pred"]
        key = fact_key(list(gold.get("fact") or []), True)
        note = f"{key}: gold {gold['fact'][-1]} vs predicted {pred['fact'][-1]}"
        yield "wrong", note, _quotes(gold, pred)
    for entry in diff.get("missed") or []:
        yield "missed", fact_label(entry), _quotes(entry)
    for entry in diff.get("extra") or []:
        yield "extra", fact_label(entry), _quotes(entry)
    for pair in diff.get("matched") or []:
        yield "matched", fact_label(pair["gold"]), _quotes(pair["gold"], pair["pred"])


def _quotes(gold: Mapping[str, Any], pred: Mapping[str, Any] | None = None) -> list[tuple[str, str]]:
    """The evidence of a fact's figures as (quote, whose): one quote, "" for whose, when they agree."""
    quotes = [(str(e["figure"]["evidence"]), who) for e, who in ((gold, "gold"), (pred, "predicted"))
              if e is not None and (e.get("figure") or {}).get("evidence")]
    if len(quotes) == 2 and fold_text(quotes[0][0]) == fold_text(quotes[1][0]):
        return [(quotes[0][0], "")]
    if len(quotes) == 1:
        return [(quotes[0][0], "")]
    return quotes


def locate_marks(text: str, diff: Mapping[str, Any]) -> tuple[list[Mark], list[Unfound]]:
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


def highlight(text: str, marks: list[Mark]) -> str:
    """The article as escaped HTML, each marked stretch in a <mark> and a tag where a quote ends.

    Quotes overlap (one sentence often holds several figures), so the text is
    cut at every quote boundary and each piece is marked with the most
    important status covering it; its title lists every fact it supports.
    """
    bounds = sorted({0, len(text)} | {m.start for m in marks} | {m.end for m in marks})
    out: list[str] = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        piece = html.escape(text[start:end])
        covering = [m for m in marks if m.start <= start and m.end >= end]
        out.append(_mark(piece, covering) if covering else piece)
        out += _tags([m for m in marks if m.end == end])
    return "".join(out)


def _primary(marks: Iterable[Mark]) -> str:
    statuses = {m.status for m in marks}
    return next(status for status in STATUSES if status in statuses)


def _mark(piece: str, covering: list[Mark]) -> str:
    statuses = " ".join(s for s in STATUSES if any(m.status == s for m in covering))
    title = "\n".join(dict.fromkeys(f"{STATUS_NAMES[m.status]}: {m.note}" for m in covering))
    return (f'<mark class="hl hl-{_primary(covering)}" data-status="{statuses}" '
            f'title="{html.escape(title)}">{piece}</mark>')


def _tags(ending: list[Mark]) -> list[str]:
    """Labels after a quote, so that status never rests on colour alone; one tick per matched quote."""
    tags: list[str] = []
    for status in STATUSES:
        notes = list(dict.fromkeys(m.note for m in ending if m.status == status))
        if not notes:
            continue
        if status == "matched":
            tags.append(f'<span class="tag tag-matched" title="{html.escape("matched: " + "; ".join(notes))}">'
                        f'{STATUS_SYMBOLS[status]}</span>')
            continue
        tags += [f'<span class="tag tag-{status}">{STATUS_SYMBOLS[status]} {STATUS_NAMES[status]}: '
                 f"{html.escape(note)}</span>" for note in notes]
    return tags
