"""Long articles read in parts: split at paragraph or sentence bounds, and the parts' events merged back.

A live blog runs past a local model's context, and any model reads a long
text worse than a short one. An article whose prompt would pass the model's
window is split at sentence and paragraph bounds into chunks that overlap by
a few sentences (so a figure and the sentence before it that says whose it
is are read together by at least one of them), each chunk
is asked as an article of its own, and the chunks' events become the
article's by the codebook's event rules (docs/codebook.md, "What is an
event"): the same attacker, target country and date are one event. An event
a chunk left undated (its date words were in an earlier chunk) joins the
one event of the same sides that shares a place with it, when there is one.
Within one event, every figure slot is filled by the codebook's rules for
one article: the latest in the article ("the toll rose to 23"), except that
a precise figure stands where a later one says the same count vaguely
("51 killed" ... "more than 50"). Evidence is a quote, and a chunk's text is the
article's own, so every quote stands in the whole article unchanged.

This is the one merge of events within an article: the ``figures``
assembler uses it to join two attack lines of one answer that are one event.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from extractor.articles import Article
from extractor.grounding import EvidenceLocator
from extractor.schema import AttackEvent, Figure, Place, Weapon
from extractor.vocabulary import place_key

#: Characters per token, as the pipeline estimates prompt sizes (``usage.approx_tokens``).
CHARS_PER_TOKEN = 4
#: The most of the previous chunk a chunk repeats at its start.
OVERLAP_CHARS = 600
_PARAGRAPH = re.compile(r"\n\s*\n|\n")
# Any full stop, question or exclamation mark before a space may end a sentence (in any script): a bound
# found after an abbreviation only gives a part one more place where it may end.
_SENTENCE = re.compile(r"(?<=[.!?\u201d\"])\s+(?=\S)")


@dataclass(frozen=True)
class Chunk:
    """One part of an article: where it starts and ends in the article, and its text."""

    start: int
    end: int
    text: str


def split_text(text: str, max_chars: int, overlap_chars: int = OVERLAP_CHARS) -> list[Chunk]:
    """The article in parts of at most ``max_chars``, each beginning and ending at a sentence (or
    paragraph) bound, each after the first repeating up to ``overlap_chars`` of the one before it."""
    if max_chars <= 0:
        raise ValueError("max_chars must be positive")
    if len(text) <= max_chars:
        return [Chunk(0, len(text), text)]
    overlap_chars = min(overlap_chars, max_chars // 4)
    pieces = _pieces(text, max_chars)
    chunks: list[Chunk] = []
    first = 0
    while True:
        last = first
        while last + 1 < len(pieces) and pieces[last + 1][1] - pieces[first][0] <= max_chars:
            last += 1
        chunks.append(Chunk(pieces[first][0], pieces[last][1], text[pieces[first][0]:pieces[last][1]]))
        if last + 1 >= len(pieces):
            return chunks
        following = last + 1  # step back over the sentences the next part repeats, while it still reaches past
        while (following - 1 > first and pieces[last][1] - pieces[following - 1][0] <= overlap_chars
               and pieces[last + 1][1] - pieces[following - 1][0] <= max_chars):
            following -= 1
        first = following


def _pieces(text: str, max_chars: int) -> list[tuple[int, int]]:
    """(start, end) of each sentence, paragraph by paragraph; a sentence longer than a part is cut at a
    space. The bounds between pieces are where a part may begin or end."""
    pieces: list[tuple[int, int]] = []
    for start, end in _spans(text, 0, len(text), _PARAGRAPH):
        for s_start, s_end in _spans(text, start, end, _SENTENCE):
            while s_end - s_start > max_chars:
                cut = text.rfind(" ", s_start, s_start + max_chars)
                cut = cut if cut > s_start else s_start + max_chars
                pieces.append((s_start, cut))
                s_start = cut
            pieces.append((s_start, s_end))
    return pieces


def _spans(text: str, start: int, end: int, bound: re.Pattern[str]) -> list[tuple[int, int]]:
    spans, at = [], start
    for match in bound.finditer(text, start, end):
        if match.start() > at:
            spans.append((at, match.start()))
        at = match.end()
    if end > at:
        spans.append((at, end))
    return spans


def chunk_articles(article: Article, max_chars: int) -> list[Article]:
    """The article's chunks, each an article of its own (same provenance, id ``ID#chunkN``)."""
    chunks = split_text(article.text, max_chars)
    return [replace(article, id=f"{article.id}#chunk{n}", text=chunk.text) for n, chunk in enumerate(chunks, 1)]


def merge_events(events: Sequence[AttackEvent], locator: EvidenceLocator) -> list[AttackEvent]:
    """Events of one article, from several chunks or answer lines, merged by the codebook's event rules,
    in the order they first appear; ``locator`` finds their quotes in the whole article (which is later)."""
    merged: list[AttackEvent] = []
    first_seen: list[int] = []
    order = sorted(range(len(events)), key=lambda i: (events[i].date is None, i))  # dated first: undated join them
    for index in order:
        event = events[index]
        target = _same_event(merged, event)
        if target is None:
            merged.append(event)
            first_seen.append(index)
        else:
            merged[target] = _merged(merged[target], event, locator)
            first_seen[target] = min(first_seen[target], index)
    return [event for _, event in sorted(zip(first_seen, merged, strict=True), key=lambda pair: pair[0])]


def _same_event(merged: list[AttackEvent], event: AttackEvent) -> int | None:
    """The merged event this one is part of: same sides and date (an unknown attacker where they share a
    place); undated, the undated one of its sides and role, else the one of its sides and role sharing a
    place, when only one does."""
    sides = [i for i, e in enumerate(merged) if _same_sides(e, event)]
    if event.date is not None:
        keyed = [i for i in sides if merged[i].date == event.date]
        named = [i for i in keyed if merged[i].attacker == event.attacker]
        return named[0] if named else (keyed[0] if keyed else None)
    sides = [i for i in sides if merged[i].role == event.role]
    undated = [i for i in sides if merged[i].date is None and merged[i].attacker == event.attacker]
    if undated:
        return undated[0]
    sharing = [i for i in sides if _share_place(merged[i], event)]
    return sharing[0] if len(sharing) == 1 else None


def _same_sides(one: AttackEvent, other: AttackEvent) -> bool:
    if one.target_country != other.target_country:
        return False
    if one.attacker == other.attacker:
        return True
    return "unknown" in (one.attacker, other.attacker) and _share_place(one, other)


def _share_place(one: AttackEvent, other: AttackEvent) -> bool:
    return bool({place_key(p.name) for p in one.places} & {place_key(p.name) for p in other.places})


def _merged(first: AttackEvent, second: AttackEvent, locator: EvidenceLocator) -> AttackEvent:
    weapons = {(w.category, w.model): w for w in first.weapons}
    for weapon in second.weapons:
        key = (weapon.category, weapon.model)
        weapons[key] = _merged_weapon(weapons[key], weapon, locator) if key in weapons else weapon
    places = {place_key(p.name): p for p in first.places}
    for place in second.places:
        name = place_key(place.name)
        places[name] = _merged_place(places[name], place, locator) if name in places else place
    return first.model_copy(update={
        "role": "main" if "main" in (first.role, second.role) else "background",
        "attacker": first.attacker if first.attacker != "unknown" else second.attacker,
        "date": first.date or second.date,
        "date_text": first.date_text or second.date_text,
        "weapons": list(weapons.values()),
        "killed": choose(first.killed, second.killed, locator),
        "injured": choose(first.injured, second.injured, locator),
        "places": list(places.values()),
        "damage": list(dict.fromkeys([*first.damage, *second.damage])),
    })


def _merged_weapon(one: Weapon, other: Weapon, locator: EvidenceLocator) -> Weapon:
    return one.model_copy(update={"launched": choose(one.launched, other.launched, locator),
                                  "intercepted": choose(one.intercepted, other.intercepted, locator)})


def _merged_place(one: Place, other: Place, locator: EvidenceLocator) -> Place:
    return one.model_copy(update={"region": one.region or other.region,
                                  "killed": choose(one.killed, other.killed, locator),
                                  "injured": choose(one.injured, other.injured, locator)})


def choose(one: Figure | None, other: Figure | None, locator: EvidenceLocator) -> Figure | None:
    """Of two figures for one slot of one article: the precise one where the other says the same count
    vaguely ("more than 50" ... "51 killed"); otherwise the later in the text ("the toll rose to 23")."""
    if one is None or other is None:
        return one or other
    later, earlier = (other, one) if _position(other, locator) > _position(one, locator) else (one, other)
    if earlier.qualifier == "exact" and later.qualifier != "exact" and _states(later, earlier.value):
        return earlier
    return later


def _states(vague: Figure, value: int) -> bool:
    """Whether a vague figure says the same count as ``value``, only less precisely."""
    if vague.qualifier == "more_than":
        return value > vague.value
    if vague.qualifier == "at_least":
        return value >= vague.value
    if vague.qualifier == "up_to":
        return value <= vague.value
    return abs(value - vague.value) <= 0.1 * vague.value  # approximately


def _position(figure: Figure, locator: EvidenceLocator) -> int:
    found = locator.find(figure.evidence)
    return -1 if found is None else found[0]
