"""Paragraphs and sentences as spans of the original article.

Every span keeps its offsets into the article, so any evidence cut from a
sentence is a verbatim substring of the text and always passes grounding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = re.compile(
    r"(?:\b(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Mr|Mrs|Ms|Dr|St|Gen|Col|Lt|Gov|"
    r"Sen|Rep|No|vs|approx|est|a\.m|p\.m|U\.S|U\.K|U\.N|Jr|Sr)|\b[A-Z])\.$"
)
_BREAK = re.compile(r"[.!?][\"'\u201d\u2019)]*\s+(?=[\"'\u201c\u2018(]?[A-Z0-9])|(?<=[a-z]{2}[.!?])(?=[A-Z][a-z ])")
_LINE = re.compile(r"[^\n]+")


@dataclass(frozen=True)
class Sentence:
    """One sentence (or heading line) of the article, by offsets."""

    text: str
    start: int
    end: int
    paragraph: int
    heading: bool


def line_spans(article: str) -> list[tuple[int, int]]:
    """Start and end offsets of every non-blank line."""
    return [(m.start(), m.end()) for m in _LINE.finditer(article) if m.group().strip()]


def split_sentences(article: str, spans: list[tuple[int, int]]) -> list[Sentence]:
    """Sentences of the kept lines; each line is its own paragraph."""
    sentences: list[Sentence] = []
    for index, (start, end) in enumerate(spans):
        line = article[start:end]
        heading = not re.search(r"[.!?\"\u201d]\s*$", line.strip()) and len(line) < 120
        for s, e in _sentence_bounds(line):
            piece = line[s:e]
            lead = len(piece) - len(piece.lstrip())
            piece = piece.strip()
            if piece:
                offset = start + s + lead
                sentences.append(Sentence(piece, offset, offset + len(piece), index, heading))
    return sentences


def _sentence_bounds(line: str) -> list[tuple[int, int]]:
    bounds: list[tuple[int, int]] = []
    begin = 0
    for match in _BREAK.finditer(line):
        cut = match.start() + 1
        if _ABBREVIATIONS.search(line[begin:cut]):
            continue
        bounds.append((begin, cut))
        begin = match.end() if match.end() > cut else cut
    bounds.append((begin, len(line)))
    return bounds
