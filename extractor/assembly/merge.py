"""The ``merge`` assembler: the offline model's events, completed with the figures a small model found.

The offline model reads places, dates and damage well and misses figures
(tolls tied to a place, intercept counts); a 1.5B model lists figures but
names places and dates badly. Merged, each fills the other's gaps: the
offline model's events are kept as they are, and a figure the model quoted
from the article is added where the offline event has none (a weapon count
it lacks, a toll of a place it names or of one it missed). An attack the
offline model did not see at all is added when the model gives it a figure.
Nothing the offline model stated is overwritten, so the merge can only add.
"""

from __future__ import annotations

from typing import Any

from extractor.articles import Article
from extractor.assembly import offline_reading
from extractor.assembly.figures import Figures, assemble

Event = dict[str, Any]


def merge_into_rules(answer: Figures, article: Article) -> dict[str, Any]:
    """The offline model's events with the figures answer's additions, as codebook JSON."""
    events = [e.model_dump(mode="json") for e in offline_reading(article.text, article.published).events]
    for found in assemble(answer, article)["events"]:
        target = _counterpart(events, found)
        if target is not None:
            _complete(target, found)
        elif _has_figure(found):
            events.append(found)
    return {"events": events}


def _counterpart(events: list[Event], found: Event) -> Event | None:
    """The offline event for the same attack: same sides and date, or same sides and a shared place."""
    sides = [e for e in events if (e["attacker"], e["target_country"]) == (found["attacker"], found["target_country"])]
    for event in sides:
        if event["date"] is not None and event["date"] == found["date"]:
            return event
    names = {p["name"] for p in found["places"]}
    for event in sides:
        if names & {p["name"] for p in event["places"]}:
            return event
    undated = [e for e in sides if e["date"] is None or found["date"] is None]
    return undated[0] if undated else None


def _complete(target: Event, found: Event) -> None:
    """Add to ``target`` what ``found`` states and it lacks; change nothing it has."""
    for kind in ("killed", "injured"):
        target[kind] = target[kind] or found[kind]
    weapons = {(w["category"], w["model"]): w for w in target["weapons"]}
    for weapon in found["weapons"]:
        have = weapons.get((weapon["category"], weapon["model"]))
        if have is None:
            target["weapons"].append(weapon)
            continue
        for kind in ("launched", "intercepted"):
            have[kind] = have[kind] or weapon[kind]
    places = {p["name"]: p for p in target["places"]}
    for place in found["places"]:
        have = places.get(place["name"])
        if have is None:
            if place["killed"] or place["injured"]:
                target["places"].append(place)
            continue
        for kind in ("killed", "injured"):
            have[kind] = have[kind] or place[kind]


def _has_figure(event: Event) -> bool:
    figures = [event["killed"], event["injured"]]
    figures += [w[k] for w in event["weapons"] for k in ("launched", "intercepted")]
    figures += [p[k] for p in event["places"] for k in ("killed", "injured")]
    return any(figures)
