"""The bundled eval articles, as the benchmarks build their inputs from them (imported by the
scripts beside it: ``python benchmarks/NAME.py`` puts this folder on ``sys.path``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def bundled(*datasets: str) -> list[dict[str, Any]]:
    """The article records of the named bundled datasets (``seeds``, ``dev``, ``heldout2``), in order."""
    records = []
    for name in datasets:
        path = REPO / "evals" / "datasets" / name / "articles.jsonl"
        records += [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return records
