"""Attacks as data for view.html: a timeline of the nights, and a card per attack with its reports side by side.

An analyst looks first at the nights (how many drones and missiles, how many
shot down, and what the Air Force said beside it), then at an attack's card,
where every report's value of every figure stands in its own column, the
value that stands marked and disagreements flagged, each report leading to
its article and the words its figures came from. Templates:
``_view_attacks.html.j2`` and ``_timeline.svg.j2``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from extractor.attacks.model import Attack, Report, Resolved
from extractor.attacks.reconcile import Comparison
from extractor.attacks.reference import MISSILES, Reference
from extractor.attacks.resolution import weapon_key
from extractor.report.format import QUALIFIER_WORDS, fmt_count, weapon_name
from extractor.report.html import render_template
from extractor.schema import AttackEvent, Figure
from extractor.vocabulary import place_key

#: The timeline's series: what a night's bar counts.
SERIES = (("drones", "launched"), ("drones", "intercepted"), ("missiles", "launched"), ("missiles", "intercepted"))
BAR, GAP, HEIGHT, TOP, BOTTOM, LEFT = 9, 14, 240, 16, 58, 44


@dataclass(frozen=True)
class ReportColumn:
    """One report of an attack: its article and where it is on the page."""

    report: Report
    title: str
    article_anchor: str | None  # the article's section on the page; None when the run is not on the page
    event_anchor: str | None


@dataclass(frozen=True)
class SlotRow:
    """One figure slot of an attack: each report's value, the resolved one marked."""

    name: str
    cells: list[Figure | None]  # per report column
    resolved: Resolved
    chosen: int | None  # the column the resolved value came from

    @property
    def disputed(self) -> bool:
        return self.resolved.disputed


@dataclass(frozen=True)
class AttackCard:
    anchor: str
    attack: Attack
    columns: list[ReportColumn]
    rows: list[SlotRow]
    comparisons: list[Comparison]

    @property
    def disputed(self) -> int:
        return sum(row.disputed for row in self.rows)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    height: float
    value: int
    series: str
    href: str
    title: str
    reference: int | None
    reference_y: float | None


@dataclass(frozen=True)
class Timeline:
    width: float
    height: float
    bars: list[Bar]
    labels: list[tuple[float, str]]  # (x, night)
    scale: list[tuple[float, int]]  # (y, value) gridlines


def attack_cards(attacks: Sequence[Attack], anchors: dict[str, str], titles: dict[str, str],
                 comparisons: Sequence[Comparison] = ()) -> list[AttackCard]:
    """A card per attack; ``anchors`` and ``titles`` are the page's article sections by article id."""
    by_attack: dict[str, list[Comparison]] = {}
    for comparison in comparisons:
        by_attack.setdefault(comparison.attack_id, []).append(comparison)
    return [attack_card(a, anchors, titles, by_attack.get(a.attack_id, [])) for a in attacks]


def attack_card(attack: Attack, anchors: dict[str, str], titles: dict[str, str],
                comparisons: list[Comparison]) -> AttackCard:
    columns = []
    for report in attack.reports:
        article = anchors.get(report.article_id)
        columns.append(ReportColumn(report, titles.get(report.article_id) or report.outlet or report.article_id,
                                    article, f"{article}-e{report.event + 1}" if article else None))
    return AttackCard(f"attack-{attack.attack_id}", attack, columns, slot_rows(attack), comparisons)


def slot_rows(attack: Attack) -> list[SlotRow]:
    """Every resolved slot with each report's own figure for it (the report's event read again)."""
    events = [r.extracted for r in attack.reports]
    rows = [_row("killed", attack.killed, attack, [e.killed for e in events]),
            _row("injured", attack.injured, attack, [e.injured for e in events])]
    for weapon in attack.weapons:
        key = weapon_key(weapon.category, weapon.model)
        for kind in ("launched", "intercepted"):
            cells = [_weapon_figure(e, key, kind) for e in events]
            rows.append(_row(f"{weapon_name(weapon.category, weapon.model)} {kind}", getattr(weapon, kind), attack,
                             cells))
    for place in attack.places:
        for kind in ("killed", "injured"):
            cells = [_place_figure(e, place_key(place.name), kind) for e in events]
            rows.append(_row(f"{kind} in {place.name}", getattr(place, kind), attack, cells))
    return [row for row in rows if row is not None]


def _row(name: str, resolved: Resolved | None, attack: Attack, cells: list[Figure | None]) -> SlotRow | None:
    if resolved is None:
        return None
    chosen = next((n for n, r in enumerate(attack.reports) if r.article_id == resolved.article_id
                   and cells[n] is not None and cells[n].value == resolved.value), None)  # type: ignore[union-attr]
    return SlotRow(name, cells, resolved, chosen)


def _weapon_figure(event: AttackEvent, key: str, kind: str) -> Figure | None:
    weapon = next((w for w in event.weapons if weapon_key(w.category, w.model) == key), None)
    return getattr(weapon, kind) if weapon is not None else None


def _place_figure(event: AttackEvent, key: str, kind: str) -> Figure | None:
    place = next((p for p in event.places if place_key(p.name) == key), None)
    return getattr(place, kind) if place is not None else None


def in_words(value: int, qualifier: str) -> str:
    return f"{QUALIFIER_WORDS.get(qualifier, '')}{value}"


def night_counts(attack: Attack) -> dict[tuple[str, str], int]:
    """An attack's drones and missiles launched and intercepted, as resolved (never summed across reports).

    A category's own count where a report gives one, else the sum of its models'; missiles are the larger of
    the count for missiles of unstated kind and the sum of the cruise and ballistic counts (the codebook
    records both when an article gives both, and adding them would count twice).
    """
    found: dict[tuple[str, str], int] = {}
    for kind in ("launched", "intercepted"):
        totals = {c: _category_total(attack, c, kind) for c in ("drone", *MISSILES)}
        if totals["drone"] is not None:
            found[("drones", kind)] = totals["drone"]
        kinds = [totals["cruise_missile"], totals["ballistic_missile"]]
        summed = sum(t for t in kinds if t is not None) if any(t is not None for t in kinds) else None
        missiles = [t for t in (totals["missile"], summed) if t is not None]
        if missiles:
            found[("missiles", kind)] = max(missiles)
    return found


def _category_total(attack: Attack, category: str, kind: str) -> int | None:
    own = [getattr(w, kind) for w in attack.weapons if w.category == category and w.model is None]
    if own and own[0] is not None:
        return int(own[0].value)
    models = [getattr(w, kind) for w in attack.weapons if w.category == category and w.model is not None]
    values = [f.value for f in models if f is not None]
    return sum(values) if values else None


def timelines(attacks: Sequence[Attack], reference: Reference | None = None) -> list[tuple[str, Timeline]]:
    """A timeline for each attacking side and target with counts; the reference beside Russia's on Ukraine."""
    sides = sorted({(a.attacker, a.target_country) for a in attacks}, key=lambda s: (s != ("Russia", "Ukraine"), s))
    found = []
    for attacker, target in sides:
        chosen = [a for a in attacks if (a.attacker, a.target_country) == (attacker, target)]
        line = timeline(chosen, reference if (attacker, target) == ("Russia", "Ukraine") else None)
        if line is not None:
            found.append((f"{attacker} on {target}", line))
    return found


def timeline(attacks: Sequence[Attack], reference: Reference | None = None) -> Timeline | None:
    """Bars per night for the dated attacks with counts; the reference's count beside each where known."""
    nights: dict[str, dict[tuple[str, str], tuple[int, str]]] = {}
    for attack in attacks:
        if attack.date is None:
            continue
        for series, value in night_counts(attack).items():
            counts = nights.setdefault(attack.date.isoformat(), {})
            if value > counts.get(series, (-1, ""))[0]:  # two attacks of one side one night: the larger
                counts[series] = (value, attack.attack_id)
    if not nights:
        return None
    official = _official(reference, sorted(nights))
    top = max([v for n in nights.values() for v, _ in n.values()] + [v for v in official.values()] + [1])
    group = len(SERIES) * BAR + GAP
    scale = (HEIGHT - TOP - BOTTOM) / top
    bars, labels = [], []
    for index, night in enumerate(sorted(nights)):
        x0 = LEFT + index * group
        labels.append((x0 + len(SERIES) * BAR / 2, night))
        for n, series in enumerate(SERIES):
            if series not in nights[night]:
                continue
            value, attack_id = nights[night][series]
            known = official.get((night, *series))
            bars.append(Bar(x0 + n * BAR, HEIGHT - BOTTOM - value * scale, value * scale, value, f"{series[0]}-{series[1]}",
                            f"#attack-{attack_id}", f"{night}: {series[0]} {series[1]} {value}"
                            + (f"; Air Force {known}" if known is not None else ""),
                            known, None if known is None else HEIGHT - BOTTOM - known * scale))
    step = _nice_step(top)
    gridlines = [(HEIGHT - BOTTOM - v * scale, v) for v in range(0, top + 1, step)]
    return Timeline(LEFT + len(nights) * group + GAP, HEIGHT, bars, labels, gridlines)


def _official(reference: Reference | None, nights: list[str]) -> dict[tuple[str, str, str], int]:
    if reference is None:
        return {}
    import datetime as dt

    found: dict[tuple[str, str, str], int] = {}
    for night in nights:
        counts = reference.nights.get(dt.date.fromisoformat(night))
        if counts is None:
            continue
        for name, categories in (("drones", ("drone",)), ("missiles", MISSILES)):
            total = counts.total(categories)
            if total is not None:
                found[(night, name, "launched")], found[(night, name, "intercepted")] = total
    return found


def _nice_step(top: int) -> int:
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if top / step <= 5:
            return step
    return max(1, top // 5)


def attacks_section(articles: dict[str, tuple[str, str]], path: Path, reference_path: Path | None,
                    required: bool) -> str:
    """The attacks' HTML for a run's page: from an attacks file, or the run's own database; "" when none.

    ``articles``: the page's (anchor, title) of each article id, for the reports' links.
    """
    from extractor.attacks.incremental import load_attacks
    from extractor.attacks.reconcile import reconcile
    from extractor.attacks.reference import read_reference
    from extractor.output.sqlite import is_database

    if not required and not (is_database(path) and _holds_attacks(path)):
        return ""
    attacks = load_attacks(path)
    reference = read_reference(reference_path) if reference_path is not None else None
    comparisons = reconcile(attacks, reference) if reference is not None else []
    anchors = {key: anchor for key, (anchor, _) in articles.items()}
    titles = {key: title for key, (_, title) in articles.items()}
    cards = attack_cards(attacks, anchors, titles, comparisons)
    return render_template("_view_attacks.html.j2", cards=cards, timelines=timelines(attacks, reference),
                           has_reference=reference is not None, reports=sum(len(a.reports) for a in attacks),
                           fmt_count=fmt_count, in_words=in_words)


def _holds_attacks(path: Path) -> bool:
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        return connection.execute("SELECT count(*) FROM sqlite_master WHERE name = 'attacks'").fetchone()[0] > 0
