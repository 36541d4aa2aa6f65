"""Canonical names of the codebook and the spellings that map to them.

The rules model writes canonical names, the scorer compares normalised ones,
and validation checks that a named model carries its category; all three read
the same table (``data/vocabulary.json``) so none can drift from the others.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache, lru_cache
from importlib import resources
from typing import Any

# Words the codebook drops before comparing names ("Kharkiv Oblast" == "Kharkiv").
_GENERIC_WORDS = frozenset({"oblast", "region", "krai", "province", "city", "district", "raion"})
_NOT_WORD = re.compile(r"[^\w\s]|_")


@cache
def _table() -> dict[str, Any]:
    text = resources.files("extractor").joinpath("data/vocabulary.json").read_text("utf-8")
    return dict(json.loads(text))


@lru_cache(maxsize=1 << 16)  # names repeat (every report of an attack names its places): resolution's hot spot
def normalise(name: str) -> str:
    """Case-fold, strip accents, drop punctuation, hyphens and generic words."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = _NOT_WORD.sub("", bare.replace("'", "")).split()
    return " ".join(w for w in words if w not in _GENERIC_WORDS)


def _alias_map(section: str) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for canonical, entry in _table()[section].items():
        aliases = entry["aliases"] if isinstance(entry, dict) else entry
        for spelling in [canonical, *aliases]:
            mapping[normalise(spelling)] = canonical
    return mapping


@cache
def _maps() -> dict[str, dict[str, str]]:
    return {section: _alias_map(section) for section in ("models", "places", "sources")}


@lru_cache(maxsize=1 << 16)
def _key(section: str, name: str) -> str:
    key = normalise(name)
    return normalise(_maps()[section].get(key, key))


def place_key(name: str) -> str:
    """Comparison key of a place name (aliases such as Kiev -> Kyiv mapped)."""
    return _key("places", name)


def model_key(name: str) -> str:
    """Comparison key of a weapon model (Geran -> Shahed, X-101 -> Kh-101)."""
    key = normalise(name)
    if key.startswith("x") and key[1:2].isdigit():
        key = "kh" + key[1:]
    return normalise(_maps()["models"].get(key, key))


def source_key(name: str) -> str:
    """Comparison key of a figure's source (the three common speakers unified)."""
    return _key("sources", name)


def canonical_model(name: str) -> str | None:
    """The codebook's spelling of a listed model, or None if it is not listed."""
    key = normalise(name)
    if key.startswith("x") and key[1:2].isdigit():
        key = "kh" + key[1:]
    return _maps()["models"].get(key)


def model_category(model: str) -> str | None:
    """The category a listed model fixes, or None for an unlisted model."""
    canonical = canonical_model(model)
    return None if canonical is None else str(_table()["models"][canonical]["category"])


def canonical_place(name: str) -> str:
    """The codebook's spelling of a place when it has a known alias, else as given."""
    return _maps()["places"].get(normalise(name), name)


def canonical_source(name: str) -> str:
    """The canonical name of a common speaker, else the name as given."""
    return _maps()["sources"].get(normalise(name), name)
