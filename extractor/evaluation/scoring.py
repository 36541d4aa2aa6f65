"""The codebook's scoring rules (``docs/codebook.md``, "Scoring"), for one article.

An event becomes a set of facts; an article's gold and predicted events are
aligned one-to-one; paired events are compared fact by fact. Everything here
is a pure function of one article's events, so every rule can be tested on a
hand-made case. ``scorecard`` adds articles up and ``bootstrap`` resamples them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from extractor.schema import AttackEvent, Figure, FigureSlot
from extractor.vocabulary import model_key, normalise, place_key, source_key

KINDS = (
    "date",
    "killed",
    "injured",
    "weapon",
    "launched",
    "intercepted",
    "place",
    "place_killed",
    "place_injured",
    "damage",
)
# Facts whose last element is a Figure's value.
FIGURE_KINDS = frozenset({"killed", "injured", "launched", "intercepted", "place_killed", "place_injured"})

Fact = tuple[str | int | None, ...]
EventFacts = dict[Fact, Figure | None]


def event_facts(event: AttackEvent) -> EventFacts:
    """The codebook's fact set of one event, each fact mapped to the Figure it came from.

    A dict is the set with its provenance attached. Names and models are
    compared by their normalised keys (a null model stays None). Two figures
    that make the same fact (Shahed and Geran entries of one event, a place
    named twice) count once, as a set does; the first one's Figure is kept.
    """
    facts: EventFacts = {}
    if event.date is not None:
        facts.setdefault(("date", event.date), None)
    for weapon in event.weapons:
        facts.setdefault(("weapon", weapon.category, _model(weapon.model)), None)
    for place in event.places:
        facts.setdefault(("place", place.kind, place_key(place.name)), None)
    for slot in event.figures():
        facts.setdefault(figure_fact(slot), slot.figure)
    for category in event.damage:
        facts.setdefault(("damage", category), None)
    return facts


def _model(model: str | None) -> str | None:
    return None if model is None else model_key(model)


def figure_fact(slot: FigureSlot) -> Fact:
    """The codebook's fact for one figure of an event."""
    weapon = (slot.weapon.category, slot.weapon.model) if slot.weapon is not None else None
    return fact_of(slot.kind, slot.figure.value, weapon, slot.place.name if slot.place is not None else None)


def fact_of(kind: str, value: int, weapon: tuple[str, str | None] | None = None, place: str | None = None) -> Fact:
    """The codebook's fact for a figure: a toll, a weapon's (category, model) count, or a place's toll.

    One form for events' figures and attacks' resolved figures, so both are scored alike.
    """
    if weapon is not None:
        return (kind, weapon[0], _model(weapon[1]), value)
    if place is not None:
        return (f"place_{kind}", place_key(place), value)
    return (kind, value)


def place_names(event: AttackEvent) -> frozenset[str]:
    """The normalised names of an event's places, of every kind."""
    return frozenset(place_key(place.name) for place in event.places)


def is_pairable(gold: AttackEvent, pred: AttackEvent) -> bool:
    """Same attacker and target country, and dates equal or unknown, or shared places."""
    if gold.attacker != pred.attacker:
        return False
    if normalise(gold.target_country) != normalise(pred.target_country):
        return False
    if gold.date is None or pred.date is None or gold.date == pred.date:
        return True
    return bool(place_names(gold) & place_names(pred))


def pair_score(gold: AttackEvent, pred: AttackEvent) -> float:
    """``1 + [dates equal] + Jaccard(place names) + [same role]``, between 1 and 4."""
    gold_places, pred_places = place_names(gold), place_names(pred)
    union = gold_places | pred_places
    jaccard = len(gold_places & pred_places) / len(union) if union else 0.0
    same_date = gold.date is not None and gold.date == pred.date
    return 1 + int(same_date) + jaccard + int(gold.role == pred.role)


def align_events(gold: Sequence[AttackEvent], pred: Sequence[AttackEvent]) -> list[tuple[int, int]]:
    """The one-to-one (gold index, predicted index) pairing of greatest summed pair score.

    Unpairable cells are 0 and every pairable score is at least 1: a zero cell
    the solver fills in adds nothing and is dropped, and any matching of
    pairable events extends to a full assignment with zero cells, so dropping
    them leaves the best matching of pairable events. The sum is maximised,
    not the number of pairs: one pair scoring 3 beats two scoring 1 each.
    """
    if not gold or not pred:
        return []
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    scores = np.zeros((len(gold), len(pred)))
    for i, gold_event in enumerate(gold):
        for j, pred_event in enumerate(pred):
            if is_pairable(gold_event, pred_event):
                scores[i, j] = pair_score(gold_event, pred_event)
    rows, cols = linear_sum_assignment(scores, maximize=True)
    return [(int(i), int(j)) for i, j in zip(rows, cols, strict=True) if scores[i, j] > 0]


@dataclass(frozen=True)
class Counts:
    """True positives, false positives and false negatives, and the rates they give.

    A zero denominator gives 0.0: a model that predicts nothing where gold has
    facts has precision 0.0. When all three counts are 0 there was nothing to
    score (no gold and no prediction), and precision, recall and F1 are None
    (JSON null) rather than 0.0, which would read as failure, or 1.0, which
    would claim success on no evidence.
    """

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    def _rate(self, numerator: int, denominator: int) -> float | None:
        if self.tp == self.fp == self.fn == 0:
            return None
        return numerator / denominator if denominator else 0.0

    @property
    def precision(self) -> float | None:
        return self._rate(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        return self._rate(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float | None:
        # 2PR/(P+R) written in counts, so that P = R = 0 needs no special case.
        return self._rate(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    def to_dict(self) -> dict[str, Any]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


@dataclass(frozen=True)
class FactEntry:
    """One fact of one event, with its Figure when the fact comes from one."""

    fact: Fact
    event: int  # index in the article's gold or predicted event list
    figure: Figure | None = None

    @property
    def kind(self) -> str:
        return str(self.fact[0])

    def to_dict(self) -> dict[str, Any]:
        figure = None if self.figure is None else self.figure.model_dump()
        return {"fact": list(self.fact), "event": self.event, "figure": figure}


FactPair = tuple[FactEntry, FactEntry]  # (gold, predicted)


@dataclass(frozen=True)
class ArticleDiff:
    """How one article's prediction differs from its gold, fact by fact.

    Every fact lands in exactly one list. A ``wrong_value`` pair is a gold and
    a predicted figure fact of paired events with the same kind and key but a
    different value (killed 3 vs 4); it counts as one false negative and one
    false positive and is not repeated in ``missed`` or ``extra``.
    """

    gold_events: int
    pred_events: int
    pairs: list[tuple[int, int]]
    matched: list[FactPair]
    missed: list[FactEntry]
    extra: list[FactEntry]
    wrong_value: list[FactPair]

    def event_counts(self) -> Counts:
        paired = len(self.pairs)
        return Counts(paired, self.pred_events - paired, self.gold_events - paired)

    def kind_counts(self) -> dict[str, Counts]:
        tp = Counter(gold.kind for gold, _ in self.matched)
        wrong = Counter(gold.kind for gold, _ in self.wrong_value)
        fp = Counter(entry.kind for entry in self.extra) + wrong
        fn = Counter(entry.kind for entry in self.missed) + wrong
        return {kind: Counts(tp[kind], fp[kind], fn[kind]) for kind in KINDS}

    def slot_counts(self) -> Counts:
        return sum(self.kind_counts().values(), Counts())

    def matched_figures(self) -> Iterator[tuple[Figure, Figure]]:
        for gold, pred in self.matched:
            if gold.figure is not None and pred.figure is not None:
                yield gold.figure, pred.figure

    def to_dict(self) -> dict[str, Any]:
        def pairs(entries: list[FactPair]) -> list[dict[str, Any]]:
            return [{"gold": g.to_dict(), "pred": p.to_dict()} for g, p in entries]

        return {
            "pairs": [list(pair) for pair in self.pairs],
            "matched": pairs(self.matched),
            "missed": [entry.to_dict() for entry in self.missed],
            "extra": [entry.to_dict() for entry in self.extra],
            "wrong_value": pairs(self.wrong_value),
        }


def diff_article(gold: Sequence[AttackEvent], pred: Sequence[AttackEvent]) -> ArticleDiff:
    """Align one article's events and sort every fact into matched, missed, extra or wrong."""
    gold_facts = [event_facts(event) for event in gold]
    pred_facts = [event_facts(event) for event in pred]
    pairs = align_events(gold, pred)
    matched: list[FactPair] = []
    missed: list[FactEntry] = []
    extra: list[FactEntry] = []
    wrong: list[FactPair] = []
    for g, p in pairs:
        gf, pf = gold_facts[g], pred_facts[p]
        matched += [(FactEntry(f, g, gf[f]), FactEntry(f, p, pf[f])) for f in gf if f in pf]
        gold_only = [FactEntry(f, g, figure) for f, figure in gf.items() if f not in pf]
        pred_only = [FactEntry(f, p, figure) for f, figure in pf.items() if f not in gf]
        pair_wrong, gold_only, pred_only = _pair_wrong_values(gold_only, pred_only)
        wrong += pair_wrong
        missed += gold_only
        extra += pred_only
    paired_gold, paired_pred = {g for g, _ in pairs}, {p for _, p in pairs}
    for g, facts in enumerate(gold_facts):
        if g not in paired_gold:
            missed += [FactEntry(f, g, figure) for f, figure in facts.items()]
    for p, facts in enumerate(pred_facts):
        if p not in paired_pred:
            extra += [FactEntry(f, p, figure) for f, figure in facts.items()]
    return ArticleDiff(len(gold), len(pred), pairs, matched, missed, extra, wrong)


def _pair_wrong_values(
    gold_only: list[FactEntry], pred_only: list[FactEntry]
) -> tuple[list[FactPair], list[FactEntry], list[FactEntry]]:
    """Pair gold-only and predicted-only figure facts that differ in value alone, in order."""
    wrong: list[FactPair] = []
    unused = list(pred_only)
    missed: list[FactEntry] = []
    for gold in gold_only:
        key = gold.fact[:-1]
        match = None
        if gold.kind in FIGURE_KINDS:
            match = next((pred for pred in unused if pred.fact[:-1] == key), None)
        if match is None:
            missed.append(gold)
        else:
            unused.remove(match)
            wrong.append((gold, match))
    return wrong, missed, unused


def qualifier_tally(diff: ArticleDiff) -> tuple[int, int]:
    """(matching figure facts whose qualifiers agree, matching figure facts)."""
    figures = list(diff.matched_figures())
    return sum(gold.qualifier == pred.qualifier for gold, pred in figures), len(figures)


def source_tally(diff: ArticleDiff) -> tuple[int, int]:
    """(of matching figure facts whose gold names a source, those whose sources agree, all)."""
    sourced = [(g, p) for g, p in diff.matched_figures() if g.source is not None]
    agree = sum(p.source is not None and source_key(p.source) == source_key(str(g.source)) for g, p in sourced)
    return agree, len(sourced)


def event_figures(events: Sequence[AttackEvent]) -> list[Figure]:
    """Every Figure of the events: their own, their weapons' and their places'."""
    return [slot.figure for event in events for slot in event.figures()]


def grounding_tally(events: Sequence[AttackEvent], is_grounded: Callable[[str], bool]) -> tuple[int, int]:
    """(evidence strings found in the article, evidence strings), over every Figure."""
    evidence = [figure.evidence for figure in event_figures(events)]
    return sum(is_grounded(text) for text in evidence), len(evidence)
