"""Readings grouped into codebook events, with figures chosen as the codebook says.

An event is one attacker's strikes on one country on one date. Sentences with
no date of their own join their side's main attack (the first dated one);
sentences dated otherwise form events of their own, ``background`` when the
article marks them as context. Among several figures for the same thing the
precise beats the vague ("63" over "more than 60"), and tolls take the
largest, because articles update tolls upward as the day goes on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from extractor.rules.casualties import KILLED, Casualty
from extractor.rules.evidence import clause_around
from extractor.rules.places import PlaceMention
from extractor.rules.readings import Reading
from extractor.rules.sides import RUSSIA_ON_UKRAINE, Side, side_of_hint
from extractor.rules.weapons import WeaponFigure
from extractor.schema import AttackEvent, Figure, Place, Weapon

WeaponKey = tuple[str, str | None]
# (side, date, the words of a date too vague to resolve: "last October").
_GroupKey = tuple[Side, dt.date | None, str | None]
_MISSILES = {"missile", "cruise_missile", "ballistic_missile"}


@dataclass
class _Group:
    side: Side
    date: dt.date | None
    date_text: str | None = None
    background: bool = True
    main_date: dt.date | None = None
    figures: dict[tuple[str, str | None, str], list[tuple[WeaponFigure, Reading]]] = field(default_factory=dict)
    named: list[WeaponKey] = field(default_factory=list)
    places: dict[tuple[str, str], PlaceMention] = field(default_factory=dict)
    event_tolls: dict[str, list[tuple[Casualty, Reading]]] = field(default_factory=dict)
    place_tolls: dict[tuple[str, str], list[tuple[Casualty, Reading]]] = field(default_factory=dict)
    damage: list[str] = field(default_factory=list)
    named_attacker: bool = False


def main_dates(readings: list[Reading]) -> dict[Side, tuple[dt.date | None, str | None]]:
    """Each side's main attack date: its first dated, non-background attack sentence."""
    mains: dict[Side, tuple[dt.date | None, str | None]] = {}
    for reading in readings:
        if reading.side in mains or reading.background or reading.same_as_main or not reading.explicit:
            continue
        if reading.attack or reading.weapons or reading.casualties:
            mains[reading.side] = (reading.date, reading.date_text)
    return mains


def group_readings(readings: list[Reading]) -> list[_Group]:
    """Sentences gathered into events keyed by (side, date)."""
    mains = main_dates(readings)
    groups: dict[_GroupKey, _Group] = {}
    for reading in readings:
        if reading.background and not reading.explicit:
            continue
        group = _group_for(reading, reading.side, mains, groups)
        _add_reading(group, reading)
        for figure in reading.weapons:
            side = side_of_hint(figure.attacker_hint) or reading.side
            target = group if side == reading.side else _group_for(reading, side, mains, groups)
            target.figures.setdefault((figure.category, figure.model, str(figure.field)), []).append((figure, reading))
            target.named_attacker = target.named_attacker or figure.attacker_hint is not None
    return list(groups.values())


def _group_for(
    reading: Reading,
    side: Side,
    mains: dict[Side, tuple[dt.date | None, str | None]],
    groups: dict[_GroupKey, _Group],
) -> _Group:
    main_date, main_text = mains.get(side, (None, None))
    date, text = main_date, main_text
    if reading.same_as_main:
        date, text = mains.get(RUSSIA_ON_UKRAINE, (main_date, main_text))
    elif reading.explicit and (reading.date is not None or reading.vague) and side == reading.side:
        date, text = reading.date, reading.date_text
    vague = text if reading.vague and side == reading.side else None
    group = groups.setdefault((side, date, vague), _Group(side, date, text, main_date=main_date))
    if not reading.background:
        group.background = False
    if group.date_text is None:
        group.date_text = text
    return group


def _add_reading(group: _Group, reading: Reading) -> None:
    group.named_attacker = group.named_attacker or reading.names_attacker
    for weapon in reading.named:
        if (weapon.category, weapon.model) not in group.named:
            group.named.append((weapon.category, weapon.model))
    for place in reading.places:
        if _fits(place, group.side):
            group.places.setdefault((place.name, place.kind), place)
    for casualty in reading.casualties:
        _add_casualty(group, reading, casualty)
    if reading.attack:
        group.damage += [d for d in reading.damage if d not in group.damage]


def _fits(place: PlaceMention, side: Side) -> bool:
    return place.country in {side[1], "occupied", "unknown"}


def _add_casualty(group: _Group, reading: Reading, casualty: Casualty) -> None:
    place = None if reading.national else _place_for(reading, casualty)
    if place is None:
        group.event_tolls.setdefault(casualty.kind, []).append((casualty, reading))
        return
    if (place.name, place.kind) not in group.places:
        if casualty.count.value == 0 or not _fits(place, group.side):
            return
        group.places[(place.name, place.kind)] = place
    group.place_tolls.setdefault((place.name, casualty.kind), []).append((casualty, reading))


def _place_for(reading: Reading, casualty: Casualty) -> PlaceMention | None:
    places = [p for p in reading.places if p.kind != "region" or len(reading.places) == 1]
    if places:
        before = [p for p in places if p.start <= casualty.end]
        return before[-1] if before else places[0]
    if reading.places:
        return reading.places[0]
    return reading.context_place


def build_event(group: _Group) -> AttackEvent | None:
    """The codebook event of one group, or None when it holds no figure or place."""
    weapons = _weapons(group)
    killed = _toll(group.event_tolls.get(KILLED, []))
    injured = _toll(group.event_tolls.get("injured", []))
    places = _places(group)
    top = [p for p in places if p.kind != "district" or p.region not in {q.name for q in places}]
    if len(top) == 1:
        killed, injured = _share_single_place(top[0], places, killed, injured)
    killed = _not_below_places(killed, [p.killed for p in places])
    injured = _not_below_places(injured, [p.injured for p in places])
    if not places and killed is None and injured is None and not any(w.launched or w.intercepted for w in weapons):
        return None
    attacker, target = group.side
    background = _is_background(group)
    if background and target == "Russia" and not group.named_attacker:
        attacker = "unknown"
    return AttackEvent(
        role="background" if background else "main",
        attacker=attacker,  # type: ignore[arg-type]
        target_country=target,
        date=group.date.isoformat() if group.date else None,
        date_text=group.date_text,
        weapons=weapons,
        killed=killed,
        injured=injured,
        places=places,
        damage=group.damage,  # type: ignore[arg-type]
        summary=_summary(attacker, target, group.date, places, killed, injured),
    )


def _is_background(group: _Group) -> bool:
    """Context the article gives: marked so, or dated before its side's main attack."""
    if group.background:
        return True
    return group.date is not None and group.main_date is not None and group.date < group.main_date


def _highest(figures: list[Figure | None]) -> Figure | None:
    stated = [f for f in figures if f is not None]
    return max(stated, key=lambda f: f.value) if stated else None


def _not_below_places(event: Figure | None, places: list[Figure | None]) -> Figure | None:
    """An event toll below one of its places' is an older count: take the place's."""
    stated = [f for f in places if f is not None]
    if event is None or not stated:
        return event
    highest = max(stated, key=lambda f: f.value)
    return highest if highest.value > event.value else event


def _share_single_place(
    place: Place, places: list[Place], killed: Figure | None, injured: Figure | None
) -> tuple[Figure | None, Figure | None]:
    """One place hit: a toll given for it (or its districts) is the event's, and back."""
    killed = killed or place.killed or _highest([p.killed for p in places])
    injured = injured or place.injured or _highest([p.injured for p in places])
    place.killed = place.killed or killed
    place.injured = place.injured or injured
    return killed, injured


def _figure(value: int, qualifier: str, reading: Reading, start: int, end: int) -> Figure:
    return Figure(
        value=value,
        qualifier=qualifier,  # type: ignore[arg-type]
        source=reading.source,
        evidence=clause_around(reading.sentence.text, start, end),
    )


def _toll(candidates: list[tuple[Casualty, Reading]]) -> Figure | None:
    """The largest stated toll: tolls are updated upward, so the largest is the latest."""
    if not candidates:
        return None
    best = max(
        candidates,
        key=lambda c: (c[0].count.value, c[0].count.qualifier == "exact", not c[1].sentence.heading),
    )
    casualty, reading = best
    return _figure(casualty.count.value, casualty.count.qualifier, reading, casualty.start, casualty.end)


def _places(group: _Group) -> list[Place]:
    places: list[Place] = []
    for (name, kind), mention in group.places.items():
        places.append(
            Place(
                name=name,
                kind=kind,  # type: ignore[arg-type]
                region=mention.region,
                killed=_toll(group.place_tolls.get((name, KILLED), [])),
                injured=_toll(group.place_tolls.get((name, "injured"), [])),
            )
        )
    return places


def _weapons(group: _Group) -> list[Weapon]:
    entries: dict[WeaponKey, Weapon] = {}
    for (category, model, field_name), candidates in group.figures.items():
        figure, reading = _preferred(candidates)
        if figure.count is None:
            continue
        weapon = entries.setdefault((category, model), Weapon(category=category, model=model))  # type: ignore[arg-type]
        setattr(
            weapon, field_name, _figure(figure.count.value, figure.count.qualifier, reading, figure.start, figure.end)
        )
        for covered in figure.covers:
            entries.setdefault(covered, Weapon(category=covered[0], model=covered[1]))  # type: ignore[arg-type]
    _merge_complementary(entries)
    _drop_repeated_counts(entries)
    for category, model in group.named:
        if _named_is_new(entries, category, model):
            entries[(category, model)] = Weapon(category=category, model=model)  # type: ignore[arg-type]
    return list(entries.values())


def _preferred(candidates: list[tuple[WeaponFigure, Reading]]) -> tuple[WeaponFigure, Reading]:
    """The first figure stated, unless it is vague and a precise one near it follows.

    A headline repeats the body's figure without its speaker, so the body's comes first.
    """
    first = candidates[0]
    if first[1].sentence.heading and first[0].count is not None:
        value = first[0].count.value
        body = [c for c in candidates if not c[1].sentence.heading and c[0].count and c[0].count.value == value]
        first = body[0] if body else first
    vague = first[0].count
    if vague is None or vague.qualifier == "exact":
        return first
    for figure, reading in candidates[1:]:
        if (
            figure.count
            and figure.count.qualifier == "exact"
            and abs(figure.count.value - vague.value) <= 0.2 * vague.value
        ):
            return figure, reading
    return first


def _named_is_new(entries: dict[WeaponKey, Weapon], category: str, model: str | None) -> bool:
    if (category, model) in entries:
        return False
    if model is not None:
        return True
    present = {c for c, _ in entries}
    if category == "missile":
        return not present & _MISSILES
    return category not in present


def _merge_complementary(entries: dict[WeaponKey, Weapon]) -> None:
    """ "29 Shahed drones" launched and "22 drones" shot down are the same drones.

    So are "eight Kalibr cruise missiles" launched and "six of the missiles" shot
    down: a bare "missiles" refers back to the one kind of missile counted.
    """
    for (category, model), generic in list(entries.items()):
        if model is not None:
            continue
        models = [w for (c, m), w in entries.items() if c == category and m is not None]
        if len(models) == 1:
            specific = models[0]
        elif category == "missile" and generic.intercepted and not generic.launched:
            kinds = [w for (c, m), w in entries.items() if c in _MISSILES and (c, m) != (category, model)]
            counted = [w for w in kinds if w.launched and not w.intercepted]
            if len(counted) != 1:
                continue
            specific = counted[0]
        else:
            continue
        if generic.launched and not generic.intercepted and specific.intercepted and not specific.launched:
            specific.launched = generic.launched
        elif generic.intercepted and not generic.launched and specific.launched and not specific.intercepted:
            specific.intercepted = generic.intercepted
        else:
            continue
        del entries[(category, model)]


def _drop_repeated_counts(entries: dict[WeaponKey, Weapon]) -> None:
    """ "Two ballistic missiles" and "two Iskander-M missiles" are one count said twice."""
    for (category, model), generic in list(entries.items()):
        if model is not None or generic.launched is None:
            continue
        for (other_category, other_model), specific in entries.items():
            if other_category != category or other_model is None or specific.launched is None:
                continue
            same_intercepts = generic.intercepted is None or (
                specific.intercepted is not None and specific.intercepted.value == generic.intercepted.value
            )
            if specific.launched.value == generic.launched.value and same_intercepts:
                del entries[(category, model)]
                break


def _summary(
    attacker: str, target: str, date: dt.date | None, places: list[Place], killed: Figure | None, injured: Figure | None
) -> str:
    where = ", ".join(p.name for p in places[:4]) or target
    when = f" on {date.isoformat()}" if date else ""
    harm = []
    if killed is not None:
        harm.append(f"{killed.value} killed")
    if injured is not None:
        harm.append(f"{injured.value} injured")
    tail = f", with {' and '.join(harm)}" if harm else ""
    return f"{attacker} struck {where} in {target}{when}{tail}."
