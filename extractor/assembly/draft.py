"""The offline model's events as a figures answer: the draft a ``draft`` prompt asks the model to correct.

Shown in the same flat shape the model answers in, so correcting it is
copying what is right, fixing what is wrong and adding what is missing.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from extractor.schema import AttackEvent, Extraction, Figure


def draft_of(text: str, published: dt.date | None) -> str:
    """The offline model's reading of an article, as figures-answer JSON."""
    from extractor.assembly import offline_reading

    return render_draft(offline_reading(text, published))


def render_draft(extraction: Extraction) -> str:
    """The draft as compact JSON, empty and null fields left out: every token of it is read, and copied, on a CPU."""
    return json.dumps({"attacks": [_compact(_attack(event)) for event in extraction.events]}, ensure_ascii=False)


def _compact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items() if v not in (None, [], "")}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value


def _attack(event: AttackEvent) -> dict[str, Any]:
    figures = []
    for weapon in event.weapons:
        for kind, figure in (("launched", weapon.launched), ("intercepted", weapon.intercepted)):
            if figure is not None:
                figures.append(_line(kind, figure, weapon=weapon.category, model=weapon.model))
    for kind, figure in (("killed", event.killed), ("injured", event.injured)):
        if figure is not None:
            figures.append(_line(kind, figure))
    for place in event.places:
        for kind, figure in (("killed", place.killed), ("injured", place.injured)):
            if figure is not None:
                figures.append(_line(kind, figure, place=place.name))
    named = [w.model or w.category for w in event.weapons if w.launched is None and w.intercepted is None]
    return {"attacker": event.attacker, "target": event.target_country, "when": event.date_text,
            "role": event.role, "places": [p.name for p in event.places], "weapons": named,
            "figures": figures, "damage": list(event.damage)}


def _line(kind: str, figure: Figure, **where: str | None) -> dict[str, Any]:
    return {"kind": kind, "value": figure.value, "weapon": where.get("weapon"), "model": where.get("model"),
            "place": where.get("place"), "quote": figure.evidence}
