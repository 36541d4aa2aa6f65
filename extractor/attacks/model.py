"""The attack records: one real attack, the reports of it, and its figures resolved (docs/codebook.md, Attacks).

An ``Attack`` is what ``extractor attacks`` writes, one JSON line each. It
keeps every report's event as extracted (``Report.extracted``), so the file is
the whole state of the resolution: a later run adds reports to it without
the runs it was made from.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from extractor.schema import Attacker, AttackEvent, PlaceKind, Qualifier, Role, WeaponCategory

Joined = Literal["key", "match"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Reported(_Strict):
    """One value a report gave for a figure, and who gave it."""

    value: int
    qualifier: Qualifier
    source: str | None = None
    article_id: str
    evidence: str


class Resolved(_Strict):
    """A figure of the attack: the value that stands, where it came from, and every value reported."""

    value: int
    qualifier: Qualifier
    source: str | None = None
    evidence: str
    article_id: str = Field(description="The report the chosen figure came from.")
    reported: list[Reported]

    @property
    def disputed(self) -> bool:
        """Whether the reports disagree on the value."""
        return len({r.value for r in self.reported}) > 1


class Report(_Strict):
    """One article's event, as a report of the attack."""

    article_id: str
    event: int = Field(ge=0, description="The event's position in the article's record, from 0.")
    published: dt.date | None = None
    role: Role
    joined: Joined
    score: float | None = Field(default=None, ge=0, le=1)
    outlet: str | None = None
    url: str | None = None
    extracted: AttackEvent = Field(description="The event as extracted, so the attack can be resolved again.")

    @property
    def key(self) -> tuple[str, int]:
        return (self.article_id, self.event)


class AttackWeapon(_Strict):
    category: WeaponCategory
    model: str | None = None
    launched: Resolved | None = None
    intercepted: Resolved | None = None


class AttackPlace(_Strict):
    name: str
    kind: PlaceKind
    region: str | None = None
    killed: Resolved | None = None
    injured: Resolved | None = None


class Attack(_Strict):
    """One attack as it happened, however many articles report it."""

    attack_id: str
    role: Role
    attacker: Attacker
    target_country: str
    date: dt.date | None = None
    reports: list[Report]
    killed: Resolved | None = None
    injured: Resolved | None = None
    weapons: list[AttackWeapon] = Field(default_factory=list)
    places: list[AttackPlace] = Field(default_factory=list)
    damage: list[str] = Field(default_factory=list)
