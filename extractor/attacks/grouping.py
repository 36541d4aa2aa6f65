"""Which reports are one attack (docs/codebook.md, Attacks rules 1-4), without comparing all pairs.

Reports are compared only with the attacks that could be theirs, found
through indexes: by (attacker, target, date) for dated reports (rule 1, and
the day before and after for rule 3), by (target, date) for an unknown
attacker, and by (attacker, target, place) or the days of the publication
window for undated ones (rule 2). Each attack's places, figures and models
are kept as sets as reports join, so a match costs the report's size, not
the attack's.

How well a report matches an attack is one number in [0, 1]: the share of
the report's places the attack has (weight 0.4), of its figures (kind, what
it counts, value) the attack has (0.4), of its weapon models the attack has
(0.1), and of the day its date words name ("Tuesday", "April 4": a date
without a year, or a weekday, that the codebook leaves unresolved) that the
attack's dates fit (0.4), averaged over the parts the report has. A report
joins by rule 2 or 3 only when that score is at least ``MATCH_THRESHOLD``
(and, for rule 2, they share a place or a figure; for rule 3, a place and a
count): otherwise it is an attack of its own. The undated reports of one
article are placed together, best matches first, so that two of them never
compete for one attack (rule 4).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from extractor.attacks.model import Report
from extractor.schema import AttackEvent
from extractor.vocabulary import model_key, place_key

MATCH_THRESHOLD = 0.5
#: At most this many candidates for a report with no date, no publication date, no month-day and no count:
#: the attacks sharing the most of its places (ties by id), so its cost does not grow with the run.
UNANCHORED_CANDIDATES = 200
#: An undated report's attack is at most this many days before its article's publication.
WINDOW_DAYS = 3
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
    weighted = [(_WEIGHTS[name], len(mine & theirs) / len(mine)) for name, (mine, theirs) in parts.items() if mine]
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


def founding_id(report: Report) -> str:
    """An attack's id, from the report that founded it: stable across runs, never reused."""
    digest = hashlib.sha256(f"{report.article_id}\x00{report.event}".encode()).hexdigest()
    return f"atk-{digest[:12]}"


class AttackIndex:
    """Attacks being built, and the indexes that find a report's candidates."""

    def __init__(self) -> None:
        self.groups: dict[str, Group] = {}
        self.changed: set[str] = set()
        self.retired: set[str] = set()
        self._by_key: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        self._by_target_date: dict[tuple[str, str], set[str]] = defaultdict(set)
        self._by_place: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        # For undated reports: attacks with no date yet by place (and by their reports' publication date, so
        # that a report's candidates are those published near it, not every undated one of the years);
        # dated ones by month-day and by count.
        self._undated_by_place: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        self._undated_near: dict[tuple[str, str, str, str], set[str]] = defaultdict(set)
        self._by_day: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        self._by_count: dict[tuple[str, str, Fact], set[str]] = defaultdict(set)

    def restore(self, attack_id: str, reports: Iterable[Report]) -> None:
        """An attack already resolved, kept under its id and not marked changed."""
        group = self.groups[attack_id] = Group(attack_id)
        for report in reports:
            self._put(group, report, Features.of(report.extracted))

    def place(self, report: Report) -> Report:
        """Put a new dated report into its attack (an existing one, or a new one); returns it as placed."""
        features = Features.of(report.extracted)
        event = report.extracted
        found = self._key_match(event, report, features) if event.date else None
        if found is not None:
            return self._join(found, report, features, None)
        best = self._adjacent_day(event, report, features) if event.date else None
        if best is None:
            return self._join(self._new_group(report), report, features, None)
        return self._join(best[0], report, features, best[1])

    def place_undated(self, reports: list[Report]) -> list[Report]:
        """Rule 2 for one article's undated reports together: best matches first, one report an attack."""
        features = {r.key: Features.of(r.extracted) for r in reports}
        # Best score first; on a tie the later attack (nearer the publication), then the report and the id.
        options = sorted(((score, report.key, group.attack_id) for report in reports
                          for group, score in self._undated_matches(report, features[report.key])),
                         key=lambda o: (-o[0], -_latest_day(self.groups[o[2]]), o[2], o[1]))
        chosen: dict[tuple[str, int], tuple[str, float]] = {}
        taken: set[str] = set()
        for score, key, attack_id in options:
            if key not in chosen and attack_id not in taken:
                chosen[key] = (attack_id, score)
                taken.add(attack_id)
        placed = []
        for report in reports:
            if report.key in chosen:
                attack_id, score = chosen[report.key]
                placed.append(self._join(self.groups[attack_id], report, features[report.key], score))
            else:
                placed.append(self._join(self._new_group(report), report, features[report.key], None))
        return placed

    def _join(self, group: Group, report: Report, features: Features, score: float | None) -> Report:
        placed = report.model_copy(update={"joined": "key" if score is None else "match", "score": score})
        self._put(group, placed, features)
        self.changed.add(group.attack_id)
        return placed

    def remove_article(self, article_id: str) -> None:
        """Take every report of an article out (it was extracted again); attacks left empty go, their ids
        retired (never given to another attack), and the indexes forget what the reports taken out said."""
        for group in [g for g in self.groups.values() if article_id in g.articles]:
            for report in group.reports:
                self._index(group.attack_id, report, Features.of(report.extracted), add=False)
            group.reports = [r for r in group.reports if r.article_id != article_id]
            group.rebuild()
            for report in group.reports:
                self._index(group.attack_id, report, Features.of(report.extracted))
            self.changed.add(group.attack_id)
            if not group.reports:
                del self.groups[group.attack_id]
                self.retired.add(group.attack_id)

    def _new_group(self, report: Report) -> Group:
        attack_id, n = founding_id(report), 1
        while attack_id in self.groups or attack_id in self.retired:
            n += 1
            attack_id = f"{founding_id(report)}-{n}"
        group = self.groups[attack_id] = Group(attack_id)
        return group

    def _put(self, group: Group, report: Report, features: Features) -> None:
        group.add(report, features)
        self._index(group.attack_id, report, features)

    def _index(self, attack_id: str, report: Report, features: Features, add: bool = True) -> None:
        """Enter (or, with ``add`` false, take out) what a report says into every index of candidates."""
        event = report.extracted
        sides = (event.attacker, event.target_country)
        keys: list[tuple[dict[Any, set[str]], Any]] = []
        if event.date:
            keys += [(self._by_key, (*sides, event.date)), (self._by_target_date, (event.target_country, event.date))]
            keys += [(self._by_day, (*sides, day)) for day in days_of(event.date)]
        for name in features.places:
            keys.append((self._by_place, (*sides, name)))
            if not event.date:
                published = report.published.isoformat() if report.published else ""
                keys += [(self._undated_by_place, (*sides, name)), (self._undated_near, (*sides, name, published))]
        keys += [(self._by_count, (*sides, fact)) for fact in features.counts]
        for index, key in keys:
            if add:
                index[key].add(attack_id)
            else:
                index[key].discard(attack_id)

    def _live(self, ids: Iterable[str], report: Report) -> list[Group]:
        """The candidate attacks still there, without those that hold a report of the same article (rule 4)."""
        groups = (self.groups.get(i) for i in sorted(ids))
        return [g for g in groups if g is not None and report.article_id not in g.articles]

    def _key_match(self, event: AttackEvent, report: Report, features: Features) -> Group | None:
        """Rule 1: the attack of the same attacker, target and date (an unknown attacker: sharing a place)."""
        assert event.date is not None
        same_day = self._live(self._by_target_date[(event.target_country, event.date)], report)

        def same_attack(group: Group) -> bool:
            # One side's reports are one attack; an unknown attacker's joins only where a place is shared,
            # whichever of the two came first.
            if event.date not in group.dates:
                return False
            if event.attacker == "unknown" or group.attackers == {"unknown"}:
                return bool(group.places & features.places)
            return event.attacker in group.attackers

        candidates = [g for g in same_day if same_attack(g)]
        if not candidates:
            return None
        return _best([(g, match_score(features, g)) for g in candidates])[0]

    def _undated_matches(self, report: Report, features: Features) -> list[tuple[Group, float]]:
        """Rule 2: the attacks an undated report matches well enough, with their scores."""
        candidates = self._undated_candidates(report.extracted, report, features)
        windowed = report.published is not None
        scored = [(g, match_score(features, g, windowed)) for g in candidates
                  if (g.places & features.places) or (g.figures & features.figures)]
        return [(g, s) for g, s in scored if s >= MATCH_THRESHOLD]

    def _adjacent_day(self, event: AttackEvent, report: Report, features: Features) -> tuple[Group, float] | None:
        """Rule 3: an attack a day before or after, sharing a place and an equal launched or intercepted count."""
        assert event.date is not None
        day = dt.date.fromisoformat(event.date)
        ids: set[str] = set()
        for offset in (-1, 1):
            ids |= self._by_key[(event.attacker, event.target_country, (day + dt.timedelta(offset)).isoformat())]
        joinable = [g for g in self._live(ids, report) if g.places & features.places and shares_count(features, g)]
        if not joinable:
            return None
        best, score = _best([(g, match_score(features, g)) for g in joinable])
        return (best, score) if score >= MATCH_THRESHOLD else None

    def _undated_candidates(self, event: AttackEvent, report: Report, features: Features) -> list[Group]:
        """Rule 2's candidates, never all attacks of a place over the years: same sides, and
        - with a publication date: the attacks of the window's days, and attacks with no date yet whose
          reports were published within 3 days of it, by place;
        - without one: the attacks on the day the date words name ("April 4", "Tuesday"), else those with an
          equal launched or intercepted count, else those of its places; and attacks with no date yet."""
        sides = (event.attacker, event.target_country)
        ids: set[str] = set()
        if report.published is not None:
            # An attack with no date is a candidate when one of its reports was published within the window's
            # reach; one known from no date at all (no date, no publication date) is too unanchored to match.
            near = [(report.published + dt.timedelta(days)).isoformat()
                    for days in range(-WINDOW_DAYS, WINDOW_DAYS + 1)]
            ids |= {i for name in features.places for day in near for i in self._undated_near[(*sides, name, day)]}
            window = {(report.published - dt.timedelta(days)).isoformat() for days in range(WINDOW_DAYS + 1)}
            ids |= {i for day in window for i in self._by_key[(*sides, day)]}
            return [g for g in self._live(ids, report) if _in_window(g, window)]
        # Unanchored in time, it could be any attack of the run: the candidates are those with the most in
        # common (a month and day it names, equal counts, places; a weekday alone names a seventh of all
        # attacks, so it only scores), at most UNANCHORED_CANDIDATES of them, so its cost stays flat.
        shared: Counter[str] = Counter()
        for day in (d for d in features.when if d.startswith("md:")):
            shared.update(self._by_day[(*sides, day)])
        for fact in features.counts:
            shared.update(self._by_count[(*sides, fact)])
        for name in features.places:
            shared.update(self._by_place[(*sides, name)])  # attacks with no date yet among them
        ids |= set(sorted(shared, key=lambda i: (-shared[i], i))[:UNANCHORED_CANDIDATES])
        return self._live(ids, report)


def _best(scored: list[tuple[Group, float]]) -> tuple[Group, float]:
    """The best-scoring attack; on a tie the later one (nearer the report's publication), then the smaller id."""
    return min(scored, key=lambda pair: (-pair[1], -_latest_day(pair[0]), pair[0].attack_id))


def _latest_day(group: Group) -> int:
    return dt.date.fromisoformat(max(group.dates)).toordinal() if group.dates else 0


def _in_window(group: Group, window: set[str]) -> bool:
    """An attack with no date yet may match; a dated one only within the window."""
    return not group.dates or bool(group.dates & window)
