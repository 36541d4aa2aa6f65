"""How well a report matches an attack: what each can be matched on, and one score in [0, 1].

The score is the share of the report's places the attack has (weight 0.4),
of its figures (kind, what it counts, value) the attack has (0.4), of its
weapon models the attack has (0.1, and only when the attack names a model:
outlets that say "drones" where others say "Shaheds" do not contradict them), and of the day its date words name
("Tuesday", "April 4": a date without a year, or a weekday, that the codebook
leaves unresolved) that the attack's dates fit, or the attack lying in the
report's publication window (0.4), averaged over the parts the report has.
An attack's features are kept as sets as reports join (``Group``), so a
match costs the report's size, not the attack's.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from extractor.attacks.model import Report
from extractor.schema import AttackEvent
from extractor.vocabulary import model_key, place_key

MATCH_THRESHOLD = 0.5
_WEIGHTS = {"places": 0.4, "figures": 0.4, "models": 0.1, "when": 0.4}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_MONTH_DAY = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})\b|\b(\d{{1,2}})\s+{_MONTH}", re.IGNORECASE)

Fact = tuple[str, str, int]  # (kind, what it counts, value)


@dataclass(frozen=True)
class Features:
    """What a report or an attack can be matched on."""

    places: frozenset[str]
    figures: frozenset[Fact]
    counts: frozenset[Fact]  # launched and intercepted only: rule 3 joins on these, never on tolls
    models: frozenset[str]
    when: frozenset[str] = frozenset()

    @classmethod
    def of(cls, event: AttackEvent) -> Features:
        figures: set[Fact] = set()
        for slot in event.figures():
            # A count is matched by its weapon's category: outlets name the model or not ("810 drones", "810 Shaheds").
            what = (slot.weapon.category if slot.weapon is not None
                    else place_key(slot.place.name) if slot.place is not None else "")
            figures.add((slot.kind, what, slot.figure.value))
        return cls(frozenset(place_key(p.name) for p in event.places), frozenset(figures),
                   frozenset(f for f in figures if f[0] in ("launched", "intercepted")),
                   frozenset(model_key(w.model) for w in event.weapons if w.model),
                   frozenset() if event.date else days_named(event.date_text or ""))


def days_named(words: str) -> frozenset[str]:
    """The days that date words name without a full date: weekdays ("wd:1") and month-days ("md:04-04")."""
    lowered = words.lower()
    found = {f"wd:{n}" for n, name in enumerate(_WEEKDAYS) if re.search(rf"\b{name}\b", lowered)}
    for match in _MONTH_DAY.finditer(lowered):
        month = (match.group(1) or match.group(4))[:3]
        day = int(match.group(2) or match.group(3))
        number = next(n for n, name in enumerate(_MONTHS, 1) if name.startswith(month))
        found.add(f"md:{number:02d}-{day:02d}")
    return frozenset(found)


def days_of(date: str) -> set[str]:
    """What a date is called without its year: its weekday and its month-day."""
    day = dt.date.fromisoformat(date)
    return {f"wd:{day.weekday()}", f"md:{day.month:02d}-{day.day:02d}"}


def match_score(report: Features, group: Group, in_window: bool = False) -> float:
    """How well a report matches an attack, in [0, 1] (see the module's docstring).

    ``in_window``: the attack lies in the report's publication window, which counts as its date words do.
    """
    parts: dict[str, tuple[frozenset[Any], set[Any]]] = {
        "places": (report.places, group.places), "figures": (report.figures, group.figures),
        "models": (report.models, group.models)}
    if group.days and (report.when or in_window):
        window = frozenset({"window"} if in_window else ())
        parts["when"] = (report.when | window, group.days | window)
    weighted = [(_WEIGHTS[name], len(mine & theirs) / len(mine)) for name, (mine, theirs) in parts.items()
                if mine and (theirs or name != "models")]
    total = sum(w for w, _ in weighted)
    return round(sum(w * share for w, share in weighted) / total, 3) if total else 0.0


def shares_count(report: Features, group: Group) -> bool:
    """Rule 3: an equal launched or intercepted count of the same weapon category (a model fixes its category)."""
    return bool(report.counts & group.counts)


@dataclass
class Group:
    """An attack being built: its reports and the union of their features."""

    attack_id: str
    reports: list[Report] = field(default_factory=list)
    articles: set[str] = field(default_factory=set)
    places: set[str] = field(default_factory=set)
    figures: set[Fact] = field(default_factory=set)
    counts: set[Fact] = field(default_factory=set)
    models: set[str] = field(default_factory=set)
    days: set[str] = field(default_factory=set)
    dates: set[str] = field(default_factory=set)
    attackers: set[str] = field(default_factory=set)

    def add(self, report: Report, features: Features) -> None:
        self.reports.append(report)
        self.articles.add(report.article_id)
        self.places |= features.places
        self.figures |= features.figures
        self.counts |= features.counts
        self.models |= features.models
        self.attackers.add(report.extracted.attacker)
        if report.extracted.date:
            self.days |= days_of(report.extracted.date)
            self.dates.add(report.extracted.date)

    def rebuild(self) -> None:
        """The features again from the reports left, after some were taken out."""
        reports, self.reports = self.reports, []
        self.articles, self.places, self.figures, self.counts = set(), set(), set(), set()
        self.models, self.days, self.dates, self.attackers = set(), set(), set(), set()
        for report in reports:
            self.add(report, Features.of(report.extracted))
