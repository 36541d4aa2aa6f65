"""An attack's figures resolved from its reports, by the codebook's rules (docs/codebook.md, Resolved figures).

Nothing is computed: every resolved figure is one value a report stated,
chosen by a rule, with every value reported kept beside it.
- Tolls (killed, injured; of the attack or of a place): the highest value
  stated ``exact``, ``at_least`` or ``more_than``, since tolls rise as the
  dead are found; where all are vague, the highest of those.
- Launched and intercepted: the count of the side that counts its own air
  defence (the Ukrainian Air Force over Ukraine, the Russian Defence Ministry
  over Russia), the highest where it gives several; otherwise the value most
  reports give, the lowest on a tie.
Ties go to the first report in publication order (undated last).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from extractor.attacks.model import Attack, AttackPlace, AttackWeapon, Report, Reported, Resolved
from extractor.schema import Figure, FigureSlot
from extractor.vocabulary import model_key, place_key, source_key

FIRM = frozenset({"exact", "at_least", "more_than"})
OWN_AIR_DEFENCE = {"Ukraine": "Ukrainian Air Force", "Russia": "Russian Defence Ministry"}


@dataclass(frozen=True)
class Stated:
    """A figure as one report states it."""

    figure: Figure
    report: Report


def publication_order(reports: Iterable[Report]) -> list[Report]:
    """Reports in publication order, undated last; ties by article and event, so the order is stable."""
    return sorted(reports, key=lambda r: (r.published is None, r.published or dt.date.min, r.article_id, r.event))


def attack_date(reports: Sequence[Report]) -> dt.date | None:
    """The date most dated reports give, the earlier on a tie; None when none has one."""
    counts = Counter(r.extracted.date for r in reports if r.extracted.date)
    if not counts:
        return None
    best = max(counts.values())
    return dt.date.fromisoformat(min(day for day, n in counts.items() if n == best))


def resolve(attack_id: str, reports: Sequence[Report]) -> Attack:
    """The attack its reports describe, every figure resolved."""
    ordered = publication_order(reports)
    first = ordered[0].extracted
    attacker = next((r.extracted.attacker for r in ordered if r.extracted.attacker != "unknown"), first.attacker)
    slots = _slots(ordered)
    return Attack(
        attack_id=attack_id,
        role="main" if any(r.role == "main" for r in ordered) else "background",
        attacker=attacker, target_country=first.target_country, date=attack_date(ordered), reports=ordered,
        killed=resolve_toll(slots.get(("event", "killed", ""), [])),
        injured=resolve_toll(slots.get(("event", "injured", ""), [])),
        weapons=_weapons(ordered, slots, first.target_country),
        places=_places(ordered, slots),
        damage=list(dict.fromkeys(c for r in ordered for c in r.extracted.damage)),
    )


Slots = dict[tuple[str, str, str], list[Stated]]  # (owner, kind, what it counts) -> its figures, in order


def _slots(ordered: list[Report]) -> Slots:
    """Every figure of the reports by slot, in publication order: grouped once, read per slot."""
    found: Slots = {}
    for report in ordered:
        for slot in report.extracted.figures():
            found.setdefault((slot.owner, slot.kind, _owner_key(slot)), []).append(Stated(slot.figure, report))
    return found


def _owner_key(slot: FigureSlot) -> str:
    if slot.weapon is not None:
        return weapon_key(slot.weapon.category, slot.weapon.model)
    return place_key(slot.place.name) if slot.place is not None else ""


def weapon_key(category: str, model: str | None) -> str:
    """A weapon's identity across reports: its category and its model's normalised name."""
    return f"{category}|{model_key(model) if model else ''}"


def resolve_toll(stated: list[Stated]) -> Resolved | None:
    """Killed or injured: the highest firm value, else the highest vague one; the first report on a tie."""
    if not stated:
        return None
    firm = [s for s in stated if s.figure.qualifier in FIRM] or stated
    top = max(s.figure.value for s in firm)
    return _resolved(next(s for s in firm if s.figure.value == top), stated)


def resolve_count(stated: list[Stated], target_country: str) -> Resolved | None:
    """Launched or intercepted: the defending side's own count, else the most reported value, lowest on a tie."""
    if not stated:
        return None
    own = OWN_AIR_DEFENCE.get(target_country)
    official = [s for s in stated if own and s.figure.source and source_key(s.figure.source) == source_key(own)]
    if official:
        top = max(s.figure.value for s in official)
        return _resolved(next(s for s in official if s.figure.value == top), stated)
    counts = Counter(s.figure.value for s in stated)
    most = max(counts.values())
    value = min(v for v, n in counts.items() if n == most)
    return _resolved(next(s for s in stated if s.figure.value == value), stated)


def _resolved(chosen: Stated, stated: list[Stated]) -> Resolved:
    f = chosen.figure
    return Resolved(value=f.value, qualifier=f.qualifier, source=f.source, evidence=f.evidence,
                    article_id=chosen.report.article_id,
                    reported=[Reported(value=s.figure.value, qualifier=s.figure.qualifier, source=s.figure.source,
                                       article_id=s.report.article_id, evidence=s.figure.evidence) for s in stated])


def _weapons(ordered: list[Report], slots: Slots, target: str) -> list[AttackWeapon]:
    found: dict[str, AttackWeapon] = {}
    for report in ordered:
        for weapon in report.extracted.weapons:
            key = weapon_key(weapon.category, weapon.model)
            if key not in found:
                found[key] = AttackWeapon(
                    category=weapon.category, model=weapon.model,
                    launched=resolve_count(slots.get(("weapon", "launched", key), []), target),
                    intercepted=resolve_count(slots.get(("weapon", "intercepted", key), []), target))
    return list(found.values())


def _places(ordered: list[Report], slots: Slots) -> list[AttackPlace]:
    found: dict[str, AttackPlace] = {}
    for report in ordered:
        for place in report.extracted.places:
            key = place_key(place.name)
            if key not in found:
                found[key] = AttackPlace(
                    name=place.name, kind=place.kind, region=place.region,
                    killed=resolve_toll(slots.get(("place", "killed", key), [])),
                    injured=resolve_toll(slots.get(("place", "injured", key), [])))
    return list(found.values())
