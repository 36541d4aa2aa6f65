"""extractor: news articles about missile and drone strikes in, validated events out.

The public API is the names in ``__all__``; they are imported on first use,
so that ``import extractor`` (and ``extractor --help``) stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from extractor.api import aextract, aextract_many, extract, extract_many
    from extractor.articles import Article
    from extractor.attacks import Attack, resolve_attacks
    from extractor.errors import ExtractorError
    from extractor.pipeline import ExtractionResult
    from extractor.record import Record
    from extractor.schema import AttackEvent, Extraction, Figure, Place, Weapon
    from extractor.settings import Settings

__all__ = [
    "Article",
    "Attack",
    "AttackEvent",
    "Extraction",
    "ExtractionResult",
    "ExtractorError",
    "Figure",
    "Place",
    "Record",
    "Settings",
    "Weapon",
    "aextract",
    "aextract_many",
    "extract",
    "extract_many",
    "resolve_attacks",
]

_HOMES = {
    "aextract": "extractor.api",
    "aextract_many": "extractor.api",
    "extract": "extractor.api",
    "extract_many": "extractor.api",
    "Article": "extractor.articles",
    "Attack": "extractor.attacks",
    "resolve_attacks": "extractor.attacks",
    "Record": "extractor.record",
    "ExtractorError": "extractor.errors",
    "ExtractionResult": "extractor.pipeline",
    "AttackEvent": "extractor.schema",
    "Extraction": "extractor.schema",
    "Figure": "extractor.schema",
    "Place": "extractor.schema",
    "Weapon": "extractor.schema",
    "Settings": "extractor.settings",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'extractor' has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
