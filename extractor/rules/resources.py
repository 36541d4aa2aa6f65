"""The rules model's data files, read once.

Word lists, the gazetteer and boilerplate patterns live in ``data/*.json`` so
that widening a rule means editing data, not code.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any


@cache
def load(name: str) -> dict[str, Any]:
    """The parsed JSON data file ``data/<name>.json``."""
    text = resources.files("extractor.rules").joinpath(f"data/{name}.json").read_text("utf-8")
    return dict(json.loads(text))


@cache
def cue_pattern(name: str) -> re.Pattern[str]:
    """One case-insensitive alternation of the cue list ``name`` in cues.json."""
    return re.compile("|".join(f"(?:{p})" for p in load("cues")[name]), re.IGNORECASE)
