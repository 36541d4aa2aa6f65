"""From run records to reports, and reports into attacks: the resolution as one call.

``resolve_attacks`` takes the records of one or more runs (and the attacks
already resolved, for an incremental run) and gives every attack, with the
ones that changed marked. An article seen before with the same events adds
nothing (docs/reliability.md, item 34); seen with other events (extracted
again), its old reports leave their attacks and the new ones are placed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from extractor.attacks.grouping import AttackIndex
from extractor.attacks.model import Attack, Report
from extractor.attacks.resolution import publication_order, resolve
from extractor.record import Record


@dataclass(frozen=True)
class Provenance:
    """What a run's record may lack about its article, from ``--articles`` (older runs)."""

    published: dt.date | None = None
    outlet: str | None = None
    url: str | None = None


@dataclass
class Resolution:
    """Every attack after a resolution, which of them changed, and what was read."""

    attacks: list[Attack]
    changed: set[str] = field(default_factory=set)
    reports_added: int = 0
    articles_unchanged: int = 0
    articles_replaced: int = 0
    articles_failed: int = 0


def reports_of(record: Record, provenance: Provenance | None = None) -> list[Report]:
    """One report per event of an ``ok`` record, in the record's order; the article's provenance on each."""
    extra = provenance or Provenance()
    published = record.published or extra.published
    return [Report(article_id=record.id, event=index, published=published, role=event.role, joined="key",
                   outlet=record.source or extra.outlet, url=record.url or extra.url, extracted=event)
            for index, event in enumerate(record.events)]


def resolve_attacks(
    records: Iterable[Record],
    existing: Iterable[Attack] = (),
    provenance: Mapping[str, Provenance] | None = None,
) -> Resolution:
    """Attacks from the records' events, added to ``existing`` ones; their ids never change.

    Records whose status is not ``ok`` are counted and left out (they carry no events).
    """
    index = AttackIndex()
    known: dict[str, list[Report]] = {}
    for attack in existing:
        index.restore(attack.attack_id, attack.reports)
        for report in attack.reports:
            known.setdefault(report.article_id, []).append(report)
    kept = {attack.attack_id: attack for attack in existing}
    resolution = Resolution([])
    incoming = _latest(records, resolution)
    new_reports: list[Report] = []
    for record in incoming.values():
        reports = reports_of(record, (provenance or {}).get(record.id))
        before = known.get(record.id)
        if before is not None and _same_events(before, reports):
            resolution.articles_unchanged += 1
            continue
        if before is not None:
            index.remove_article(record.id)
            resolution.articles_replaced += 1
        new_reports.extend(reports)
    dated = sorted((r for r in new_reports if r.extracted.date),
                   key=lambda r: (r.extracted.date, r.published or dt.date.max, r.article_id, r.event))
    for report in dated:  # rules 1 and 3 build the attacks, in date order
        index.place(report)
    for reports in _by_article(r for r in new_reports if not r.extracted.date):  # then rule 2
        index.place_undated(reports)
    resolution.reports_added = len(new_reports)
    resolution.changed = {i for i in index.changed if i in index.groups}
    resolution.attacks = [resolve(i, g.reports) if i in resolution.changed or i not in kept else kept[i]
                          for i, g in index.groups.items()]
    resolution.attacks.sort(key=_attack_order)
    return resolution


def _latest(records: Iterable[Record], resolution: Resolution) -> dict[str, Record]:
    """Each article's last ``ok`` record (a rerun appends; the last ok one stands, as it does incrementally)."""
    latest: dict[str, Record] = {}
    for record in records:
        if record.status != "ok":
            resolution.articles_failed += 1
            continue
        latest[record.id] = record
    return latest


def _same_events(before: list[Report], after: list[Report]) -> bool:
    ordered = sorted(before, key=lambda r: r.event)
    return [r.extracted for r in ordered] == [r.extracted for r in after]


def _by_article(reports: Iterable[Report]) -> list[list[Report]]:
    """Undated reports grouped by article, articles in publication order."""
    grouped: dict[str, list[Report]] = {}
    for report in publication_order(reports):
        grouped.setdefault(report.article_id, []).append(report)
    return list(grouped.values())


def _attack_order(attack: Attack) -> tuple[bool, str, str]:
    return (attack.date is None, attack.date.isoformat() if attack.date else "", attack.attack_id)
