"""Which reports are one attack (docs/codebook.md, Attacks rules 1-4), without comparing all pairs.

Reports are compared only with the attacks that could be theirs, found
through indexes: by (attacker, target, date) for dated reports (rule 1, and
the day before and after for rule 3), by (target, date) for an unknown
attacker, and for undated ones (rule 2) by the days of the publication
window, or, with no publication date, by what they have in common. A report
joins by rule 2 or 3 only when its score (``matching.match_score``) is at
least ``MATCH_THRESHOLD`` (and, for rule 2, they share a place or a figure;
for rule 3, a place and a count): otherwise it is an attack of its own. The
undated reports of one article are placed together, best matches first, so
that two of them never compete for one attack (rule 4).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from extractor.attacks.matching import MATCH_THRESHOLD, Fact, Features, Group, days_of, match_score, shares_count
from extractor.attacks.model import Report
from extractor.schema import AttackEvent

#: At most this many candidates for a report with no date, no publication date, no month-day and no count:
#: the attacks sharing the most of its places (ties by id), so its cost does not grow with the run.
UNANCHORED_CANDIDATES = 200
#: An undated report's attack is at most this many days before its article's publication.
WINDOW_DAYS = 3


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
