"""A plain (non-editable) install carries everything the package reads at run time."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import REPO

RUNTIME_FILES = [
    "extractor/prompts/default/system.md",
    "extractor/prompts/default/user.md",
    "extractor/prompts/brief/system.md",
    "extractor/data/vocabulary.json",
    "extractor/data/prices.json",
    "extractor/rules/data/gazetteer.json",
    "extractor/report/templates/report.html.j2",
    "extractor/report/templates/_articles.html.j2",
    "extractor/report/templates/report.css",
    "extractor/output/database.sql",
    "extractor/report/templates/view.html.j2",
    "extractor/report/templates/_view_article.html.j2",
    "extractor/report/templates/view.js",
    "extractor/datasets/seeds/gold.jsonl",
    "extractor/datasets/heldout2/articles.jsonl",
]


@pytest.mark.slow
def test_the_wheel_carries_prompts_data_and_templates(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("extractor-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [name for name in RUNTIME_FILES if name not in names]
    assert not missing, f"not in the wheel: {missing}"
    assert not any(name.startswith(("tests/", "evals/")) for name in names)
