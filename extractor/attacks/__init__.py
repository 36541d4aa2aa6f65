"""Reports into attacks: the events of many articles grouped into the attacks they report.

records -> reports (``reports``) -> attacks (``grouping``, rules 1-4 of
docs/codebook.md, Attacks) -> resolved figures (``resolution``) -> files
(``store``, ``incremental``); and attacks held against an official count
(``reference``, ``reconcile``).
"""

from __future__ import annotations

from extractor.attacks.model import Attack, AttackPlace, AttackWeapon, Report, Reported, Resolved
from extractor.attacks.reports import Provenance, Resolution, resolve_attacks

__all__ = ["Attack", "AttackPlace", "AttackWeapon", "Provenance", "Report", "Reported", "Resolution", "Resolved",
           "resolve_attacks"]
