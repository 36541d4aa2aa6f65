"""Attacks held against a reference table: does each resolved count agree with the official one?

Each resolved launched or intercepted figure of an attack on Ukraine is
compared with the reference's count for the same night and weapon: a model
with the reference's rows for that model, a category with the sum of its
models, ``missile`` (kind not said) with every missile, and ``all`` with
the night's total (every weapon, or every missile: the codebook's ``all``
covers either). A comparison is
- ``agrees``: equal, or consistent with the qualifier ("more than 100"
  against 127; "about" within 10%);
- ``differs``: with both values, the reports' source and quote;
- ``not_in_reference``: the attack states it, the reference has no count;
- ``not_reported``: the reference counts a category that night, the attack
  states nothing for it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from extractor.attacks.model import Attack, AttackWeapon, Resolved
from extractor.attacks.reference import CATEGORIES, MISSILES, Night, Reference, total
from extractor.output.records import defang
from extractor.vocabulary import model_key

Status = Literal["agrees", "differs", "not_reported", "not_in_reference"]
KINDS = ("launched", "intercepted")
COLUMNS = ["attack_id", "date", "category", "model", "kind", "reported", "qualifier", "reference", "status",
           "source", "quote", "article_id", "reference_weapons"]
APPROXIMATE = 0.10


@dataclass(frozen=True)
class Comparison:
    """One figure of one attack against the reference."""

    attack_id: str
    date: str
    category: str
    model: str | None
    kind: str
    reported: int | None
    qualifier: str | None
    reference: int | None
    status: Status
    source: str | None = None
    quote: str | None = None
    article_id: str | None = None
    reference_weapons: str = ""

    def values(self) -> dict[str, str | int | None]:
        return {name: getattr(self, name) for name in COLUMNS}

    def row(self) -> dict[str, str]:
        """A CSV row: empty for null, formulas defanged."""
        return {k: defang("" if v is None else str(v)) for k, v in self.values().items()}


def consistent(reported: int, qualifier: str, reference: int) -> bool:
    """Whether the reference's count is what the reported figure says, given its qualifier."""
    if qualifier == "at_least":
        return reference >= reported
    if qualifier == "more_than":
        return reference > reported
    if qualifier == "up_to":
        return reference <= reported
    if qualifier == "approximately":
        return abs(reference - reported) <= max(1, round(APPROXIMATE * reported))
    return reference == reported


def reconcile(attacks: Iterable[Attack], reference: Reference) -> list[Comparison]:
    """Every comparison of the attacks' counts with the reference, attack by attack."""
    found: list[Comparison] = []
    for attack in attacks:
        if attack.date is None or attack.attacker != "Russia" or attack.target_country != "Ukraine":
            continue
        night = reference.nights.get(attack.date)
        found.extend(_stated(attack, night))
        if night is not None:
            found.extend(_unreported(attack, night))
    return found


def _reference_counts(weapon: AttackWeapon, night: Night, kind: str) -> tuple[list[int], str]:
    """The reference counts a weapon can be held against, the night's sum first, and the reference's names.

    Each of the night's reports is a candidate too, and ``all`` has two readings (everything, or every missile).
    """
    index = KINDS.index(kind)
    found: list[int] = []
    for counts in night.every_count():
        if weapon.model:
            rows = [c for w, c in counts.items() if w[1] and model_key(w[1]) == model_key(weapon.model)]
            found += [sum(c[index] for c in rows)] if rows else []
            continue
        readings = [CATEGORIES, MISSILES] if weapon.category == "all" else [
            MISSILES if weapon.category == "missile" else (weapon.category,)]
        found += [t[index] for t in (total(counts, r) for r in readings) if t is not None]
    if weapon.model:
        names = ", ".join(n for w, ns in night.names.items() if w[1] and model_key(w[1]) == model_key(weapon.model)
                          for n in ns)
    else:
        names = ", ".join(sorted({n for w, ns in night.names.items() if _covers(weapon.category, w[0]) for n in ns}))
    return list(dict.fromkeys(found)), names


def _covers(category: str, reference_category: str) -> bool:
    if category == "all":
        return True
    if category == "missile":
        return reference_category in MISSILES
    return category == reference_category


def _stated(attack: Attack, night: Night | None) -> Iterator[Comparison]:
    assert attack.date is not None
    for weapon in attack.weapons:
        for kind in KINDS:
            figure: Resolved | None = getattr(weapon, kind)
            if figure is None:
                continue
            counts, names = _reference_counts(weapon, night, kind) if night is not None else ([], "")
            status: Status
            if not counts:
                status, reference = "not_in_reference", None
            else:
                agreeing = [c for c in counts if consistent(figure.value, figure.qualifier, c)]
                status = "agrees" if agreeing else "differs"
                reference = agreeing[0] if agreeing else counts[0]
            yield Comparison(attack.attack_id, attack.date.isoformat(), weapon.category, weapon.model, kind,
                             figure.value, figure.qualifier, reference, status, figure.source, figure.evidence,
                             figure.article_id, names)


def _unreported(attack: Attack, night: Night) -> Iterator[Comparison]:
    """The categories the reference counts that night for which the attack states no count."""
    assert attack.date is not None
    for category in CATEGORIES:
        total = night.total((category,))
        if total is None:
            continue
        for kind, value in zip(KINDS, total, strict=True):
            stated = any(getattr(w, kind) is not None and _covers(w.category, category) for w in attack.weapons)
            if not stated and value:
                names = ", ".join(sorted({n for w, ns in night.names.items() if w[0] == category for n in ns}))
                yield Comparison(attack.attack_id, attack.date.isoformat(), category, None, kind, None, None,
                                 value, "not_reported", reference_weapons=names)


def comparisons_csv(comparisons: list[Comparison]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(c.row() for c in comparisons)
    return buffer.getvalue()


def comparisons_table(comparisons: list[Comparison]) -> str:
    """A plain table for the terminal: one line a comparison."""
    header = ["attack", "date", "weapon", "kind", "reported", "reference", "status"]
    rows = [[c.attack_id, c.date, c.category + (f"/{c.model}" if c.model else ""), c.kind,
             "" if c.reported is None else f"{c.reported} {c.qualifier}", "" if c.reference is None else str(c.reference),
             c.status] for c in comparisons]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
                     for r in [header, *rows])
