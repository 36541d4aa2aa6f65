"""Reference tables of launched and intercepted counts per night: what ``reconcile`` holds attacks against.

Two shapes are read, told apart by their header:
- the public "Massive Missile Attacks on Ukraine" table (the Ukrainian Air
  Force's daily reports as digitised by Petro Ivaniuk): ``time_start,
  time_end, model, launched, destroyed, ..., source``; a night is dated by
  ``time_end``, the morning it ended, as the codebook dates an overnight
  wave; only the Air Force's national reports (``source`` naming kpszsu) are
  used when the table says where a row comes from;
- a plain ``date,weapon,launched,intercepted`` table.
Weapon names are mapped to the codebook's category and model ("X-101/X-555"
is two cruise missile models counted together: category ``cruise_missile``,
no model). Rows that cannot be read, weapons no mapping knows and rows left
out are counted, each kind with examples, never dropped in silence
(docs/reliability.md, item 35).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from extractor.errors import InputError
from extractor.vocabulary import canonical_model, model_category

# The table's own names -> (category, codebook model or None).
_NAMES: dict[str, tuple[str, str | None]] = {
    "shahed-136/131": ("drone", "Shahed"), "lancet": ("drone", "Lancet"), "gerbera": ("drone", "Gerbera"),
    "unknown uav": ("drone", None), "orlan-10": ("drone", "Orlan-10"), "orlan-30": ("drone", "Orlan-30"),
    "reconnaissance uav": ("drone", None), "supercam": ("drone", "Supercam"), "zala": ("drone", "ZALA"),
    "merlin-vr": ("drone", "Merlin-VR"), "молнія": ("drone", "Molniya"), "orion": ("drone", "Orion"),
    "mohajer-6": ("drone", "Mohajer-6"), "forpost": ("drone", "Forpost"), "eleron": ("drone", "Eleron"),
    "granat-4": ("drone", "Granat-4"), "фенікс": ("drone", "Feniks"), "картограф": ("drone", "Kartograf"),
    "привет-82": ("drone", "Privet-82"),
    "iskander-m": ("ballistic_missile", "Iskander-M"), "iskander-m/kn-23": ("ballistic_missile", "Iskander-M/KN-23"),
    "kn-23": ("ballistic_missile", "KN-23"), "x-47 kinzhal": ("ballistic_missile", "Kinzhal"),
    "ballistic missile": ("ballistic_missile", None), "intercontinental ballistic missile": ("ballistic_missile", None),
    "x-59": ("cruise_missile", "Kh-59"), "x-69": ("cruise_missile", "Kh-69"), "x-59/x-69": ("cruise_missile", None),
    "x-59mk2": ("cruise_missile", "Kh-59"), "x-101/x-555": ("cruise_missile", None), "kalibr": ("cruise_missile", "Kalibr"),
    "iskander-k": ("cruise_missile", "Iskander-K"), "x-22": ("cruise_missile", "Kh-22"),
    "x-32": ("cruise_missile", "Kh-32"), "3m22 zircon": ("cruise_missile", "Zircon"),
    "p-800 oniks": ("cruise_missile", "P-800 Oniks"), "x-35": ("cruise_missile", "Kh-35"),
    "c-300": ("missile", "S-300"), "c-400": ("missile", "S-400"), "c-300/c-400": ("missile", None),
    "x-31p": ("missile", "Kh-31P"), "x-31": ("missile", "Kh-31"), "x-31pd": ("missile", "Kh-31P"),
    "unknown missile": ("missile", None), "kub": ("missile", "Kub"),
    "gbu": ("guided_bomb", None), "aerial bomb": ("guided_bomb", None), "banderol": ("cruise_missile", "Banderol"),
}
CATEGORIES = ("drone", "cruise_missile", "ballistic_missile", "missile", "guided_bomb", "rocket", "artillery")
MISSILES = ("cruise_missile", "ballistic_missile", "missile")
EXAMPLES = 3


def weapon_of(name: str) -> tuple[str, str | None] | None:
    """A table's weapon name as (category, model); several joined by " and " count together; None if unknown."""
    parts = [part.strip() for part in name.split(" and ") if part.strip()]
    mapped = [_one(part) for part in parts]
    if not mapped or any(m is None for m in mapped):
        return None
    if len(mapped) == 1:
        return mapped[0]
    categories = {m[0] for m in mapped if m is not None}
    if len(categories) == 1:
        return (categories.pop(), None)
    # Missiles of several kinds counted together are missiles of no one kind; with drones, everything.
    return ("missile" if categories <= set(MISSILES) else "all", None)


def _one(name: str) -> tuple[str, str | None] | None:
    key = name.strip().lower()
    if key in _NAMES:
        return _NAMES[key]
    if key in CATEGORIES:
        return (key, None)
    model = canonical_model(name)
    category = model_category(model) if model else None
    return (category, model) if model and category else None


Counts = dict[tuple[str, str | None], list[int]]  # (category, model) -> [launched, intercepted]


def total(counts: Counts, categories: tuple[str, ...]) -> tuple[int, int] | None:
    """Launched and intercepted summed over the categories (``all`` rows only in the total of everything)."""
    chosen = [c for (category, _), c in counts.items()
              if category in categories or (category == "all" and categories == CATEGORIES)]
    if not chosen:
        return None
    return sum(c[0] for c in chosen), sum(c[1] for c in chosen)


@dataclass
class Night:
    """One night's counts per (category, model), summed over the night's reports and kept per report.

    The Air Force sometimes reports one night in two posts (the night's drones,
    then a morning missile wave); an article may give either one's count.
    """

    counts: Counts = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    periods: dict[str, Counts] = field(default_factory=dict)
    names: dict[tuple[str, str | None], list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, weapon: tuple[str, str | None], launched: int, intercepted: int, name: str, period: str) -> None:
        for counts in (self.counts, self.periods.setdefault(period, defaultdict(lambda: [0, 0]))):
            counts[weapon][0] += launched
            counts[weapon][1] += intercepted
        if name not in self.names[weapon]:
            self.names[weapon].append(name)

    def every_count(self) -> list[Counts]:
        """The night's sum first, then each report of it when there are several."""
        return [self.counts, *self.periods.values()] if len(self.periods) > 1 else [self.counts]

    def total(self, categories: tuple[str, ...]) -> tuple[int, int] | None:
        return total(self.counts, categories)


@dataclass
class Reference:
    """A reference table read: nights by date, and what could not be used, each kind with examples."""

    path: Path
    nights: dict[dt.date, Night] = field(default_factory=lambda: defaultdict(Night))
    malformed: list[int] = field(default_factory=list)
    unknown: dict[str, int] = field(default_factory=dict)
    not_national: int = 0
    rows: int = 0

    def problems(self) -> list[str]:
        """One line per kind of row not compared, with its count and examples."""
        lines = []
        if self.malformed:
            shown = ", ".join(str(n) for n in self.malformed[:EXAMPLES])
            lines.append(f"{self.path}: {len(self.malformed)} malformed rows left out (lines {shown}"
                         f"{', ...' if len(self.malformed) > EXAMPLES else ''}): a date or count that does not read")
        if self.unknown:
            names = ", ".join(f"{name!r} ({n})" for name, n in list(self.unknown.items())[:EXAMPLES])
            lines.append(f"{self.path}: {sum(self.unknown.values())} rows with {len(self.unknown)} unknown weapon "
                         f"names left out: {names}{', ...' if len(self.unknown) > EXAMPLES else ''}")
        if self.not_national:
            lines.append(f"{self.path}: {self.not_national} rows from regional or other sources left out "
                         "(only the Air Force's national reports are compared)")
        return lines


def read_reference(path: Path) -> Reference:
    """A reference table in either shape; an unreadable file is one error naming it."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc}); check the path") from None
    with handle:
        try:
            return _read_rows(path, csv.DictReader(handle))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InputError(f"{path}: not a reference table ({exc}); give a UTF-8 CSV file") from None


def _read_rows(path: Path, reader: csv.DictReader[str]) -> Reference:
    header = set(reader.fieldnames or [])
    if {"time_end", "model", "launched", "destroyed"} <= header:
        read_row = _massive_row
    elif {"date", "weapon", "launched", "intercepted"} <= header:
        read_row = _plain_row
    else:
        raise InputError(f"{path}: not a reference table (header {sorted(header)}); give the Massive Missile "
                         "Attacks table (time_end, model, launched, destroyed) or date,weapon,launched,intercepted")
    reference = Reference(path)
    for row in reader:
        reference.rows += 1
        if None in row or None in row.values():  # fewer or more fields than the header: not to be guessed at
            reference.malformed.append(reader.line_num)
            continue
        read_row(reference, reader.line_num, row)
    return reference


def _count(value: str | None) -> int:
    if value is None or value.strip() in ("", "nan", "NaN"):
        return 0
    number = float(value)
    if number < 0 or number != int(number):
        raise ValueError(value)
    return int(number)


def _add(reference: Reference, number: int, day: str | None, name: str | None, launched: str | None,
         intercepted: str | None, period: str = "") -> None:
    try:
        night = dt.date.fromisoformat((day or "").strip()[:10])
        counts = (_count(launched), _count(intercepted))
    except ValueError:
        reference.malformed.append(number)
        return
    weapon = weapon_of(name or "")
    if weapon is None:
        key = (name or "").strip() or "(empty)"
        reference.unknown[key] = reference.unknown.get(key, 0) + 1
        return
    reference.nights[night].add(weapon, *counts, (name or "").strip(), period)


def _massive_row(reference: Reference, number: int, row: dict[str, str]) -> None:
    source = row.get("source")
    if source is not None and "kpszsu" not in source:
        reference.not_national += 1
        return
    _add(reference, number, row.get("time_end"), row.get("model"), row.get("launched"), row.get("destroyed"),
         f"{row.get('time_start')}/{row.get('time_end')}")


def _plain_row(reference: Reference, number: int, row: dict[str, str]) -> None:
    _add(reference, number, row.get("date"), row.get("weapon"), row.get("launched"), row.get("intercepted"))
