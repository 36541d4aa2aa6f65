"""The codebook's schema (``docs/codebook.md``, schema v2: its events are v1's, unchanged) as pydantic models.

Field names, types and allowed values are the codebook's, exactly; unknown
fields are rejected so that a model cannot smuggle extra keys past the
validator. Validation against the article (every figure's evidence must be in
the text, no free-text field may repeat the instructions) is switched on by a
pydantic validation context holding the checks (``grounding.ArticleChecks``);
without one the models check the shape alone. This module imports nothing of
extractor's own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

SCHEMA_VERSION = 1

Role = Literal["main", "background"]
Attacker = Literal["Russia", "Ukraine", "unknown"]
Qualifier = Literal["exact", "approximately", "at_least", "more_than", "up_to"]
WeaponCategory = Literal[
    "drone",
    "cruise_missile",
    "ballistic_missile",
    "missile",
    "guided_bomb",
    "rocket",
    "artillery",
    "all",
]
PlaceKind = Literal["region", "settlement", "district"]
DamageCategory = Literal[
    "residential",
    "energy",
    "heating",
    "water",
    "transport",
    "medical",
    "education",
    "diplomatic",
    "government",
    "military",
    "industrial",
    "commercial",
    "fuel",
    "nuclear",
    "cultural",
    "other",
]

NonEmpty = Annotated[str, Field(min_length=1)]

#: The validation context's keys: each a test of one string, given by the caller.
EVIDENCE_CHECK = "evidence_check"
EVIDENCE_SNAP = "evidence_snap"
LEAK_CHECK = "leak_check"


def _check(info: ValidationInfo, name: str) -> Callable[[str], Any] | None:
    context = info.context
    return context.get(name) if isinstance(context, Mapping) else None


def snapped(evidence: str, info: ValidationInfo) -> str:
    """``evidence`` as the article words it: the article's words for a near miss, else unchanged."""
    check, snap = _check(info, EVIDENCE_CHECK), _check(info, EVIDENCE_SNAP)
    if check is None or check(evidence) or snap is None:
        return evidence
    return str(snap(evidence) or evidence)


def grounded(evidence: str, info: ValidationInfo) -> str:
    """``evidence`` if the article holds it, else the article's words for a near miss, else a ValueError.

    Without checks in the validation context the evidence is taken as it is.
    """
    check = _check(info, EVIDENCE_CHECK)
    if check is None or check(evidence):
        return evidence
    snap = _check(info, EVIDENCE_SNAP)
    snapped = snap(evidence) if snap is not None else None
    if snapped:
        return str(snapped)
    raise ValueError(
        f"evidence {evidence!r} is not in the article; copy the clause that states the number character for character"
    )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Figure(_Strict):
    """A number the article states, with who states it and the words it uses."""

    value: int = Field(ge=0, description="The number stated; words become numbers.")
    qualifier: Qualifier = Field(description="exact unless the article hedges the number.")
    source: str | None = Field(
        default=None, description="Who the article attributes the figure to; null if its own voice."
    )
    evidence: NonEmpty = Field(
        description="Verbatim span of the article (the clause) that states the figure."
    )

    @field_validator("evidence")
    @classmethod
    def _evidence_in_article(cls, evidence: str, info: ValidationInfo) -> str:
        return grounded(evidence, info)


class Weapon(_Strict):
    """One (category, model) of weapon used in an event, with its counts."""

    category: WeaponCategory
    model: str | None = Field(default=None, description="Canonical model name, or null.")
    launched: Figure | None = None
    intercepted: Figure | None = None


class Place(_Strict):
    """A place the attack struck, where debris fell or harm was done."""

    name: NonEmpty = Field(description="Canonical English name.")
    kind: PlaceKind
    region: str | None = Field(
        default=None, description="Region a settlement or district lies in, from the article."
    )
    killed: Figure | None = None
    injured: Figure | None = None


class AttackEvent(_Strict):
    """The strikes of one attacking side on one target country on one date."""

    role: Role
    attacker: Attacker
    target_country: NonEmpty = Field(
        description='"Ukraine", "Russia" or the English name of another country.'
    )
    date: str | None = Field(default=None, description="YYYY-MM-DD, or null.")
    date_text: str | None = Field(default=None, description="The article's own date words.")
    weapons: list[Weapon] = Field(default_factory=list)
    killed: Figure | None = None
    injured: Figure | None = None
    places: list[Place] = Field(default_factory=list)
    damage: list[DamageCategory] = Field(default_factory=list)
    summary: str = Field(description="One plain sentence.")

    @field_validator("date")
    @classmethod
    def _date_parses(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            parsed = dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"date {value!r} is not a calendar date written YYYY-MM-DD") from None
        if parsed.isoformat() != value:
            raise ValueError(f"date {value!r} must be written YYYY-MM-DD")
        return value

    @field_validator("damage")
    @classmethod
    def _distinct_damage(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _no_instructions_repeated(self, info: ValidationInfo) -> AttackEvent:
        leaks = _check(info, LEAK_CHECK)
        if leaks is not None:
            for text in self._free_texts():
                if leaks(text):
                    raise ValueError(
                        "a field repeats the extraction instructions; describe only what the article says"
                    )
        return self

    def _free_texts(self) -> list[str]:
        texts = [self.summary, self.date_text or "", self.target_country]
        texts += [p.name for p in self.places] + [p.region or "" for p in self.places]
        texts += [w.model or "" for w in self.weapons]
        texts += [slot.figure.source or "" for slot in self.figures()]
        return [t for t in texts if t]

    def figures(self) -> Iterator[FigureSlot]:
        """Every figure the event states, with what it counts: the one walk over an event's figures."""
        tolls: tuple[tuple[FigureKind, Figure | None], ...] = (("killed", self.killed), ("injured", self.injured))
        for kind, figure in tolls:
            if figure is not None:
                yield FigureSlot(kind, figure)
        for index, weapon in enumerate(self.weapons):
            counts: tuple[tuple[FigureKind, Figure | None], ...] = (
                ("launched", weapon.launched), ("intercepted", weapon.intercepted))
            for kind, figure in counts:
                if figure is not None:
                    yield FigureSlot(kind, figure, weapon=weapon, index=index)
        for index, place in enumerate(self.places):
            for kind, figure in (("killed", place.killed), ("injured", place.injured)):
                if figure is not None:
                    yield FigureSlot(kind, figure, place=place, index=index)  # type: ignore[arg-type]


FigureKind = Literal["killed", "injured", "launched", "intercepted"]


@dataclass(frozen=True)
class FigureSlot:
    """One figure of an event and what it counts: a toll of the event or of a place, or a weapon's count."""

    kind: FigureKind
    figure: Figure
    weapon: Weapon | None = None
    place: Place | None = None
    index: int = 0  # the weapon's or place's position in the event's list

    @property
    def owner(self) -> Literal["event", "weapon", "place"]:
        return "weapon" if self.weapon is not None else "place" if self.place is not None else "event"


class Extraction(_Strict):
    """Every attack event one article describes; empty when it describes none."""

    events: list[AttackEvent] = Field(default_factory=list)


def extraction_json_schema() -> dict[str, Any]:
    """The JSON schema sent to models and folded into the cache key."""
    return Extraction.model_json_schema()
