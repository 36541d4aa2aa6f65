"""The real local model, end to end: a short article with clear figures through local:qwen2.5-coder-1.5b.

Its default strategy (``ask``) sends only the counts the offline model leaves unread; the article has one
("the number of wounded ... had reached 7"), so the model is really asked.

Needs the local extra and the pulled model (``.ci/run`` installs both):
``pip install -e ".[local]" && extractor models pull qwen2.5-coder-1.5b``.
The full real-model evals are a benchmark (``benchmarks/real_model_evals.py``), not a test.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import missing

from extractor.grounding import evidence_checker
from extractor.llm.catalogue import CATALOGUE, installed_path

MODEL = "qwen2.5-coder-1.5b"
ARTICLE = (
    "KYIV, March 3 - Russia launched 48 Shahed drones and two ballistic missiles at Ukraine overnight, "
    "the Ukrainian Air Force said on Monday. Air defences shot down 40 of the drones. "
    "Three people were killed in Odesa, where a residential building was hit, "
    "regional governor Oleh Kiper said. By the evening the number of wounded in Odesa had reached 7."
)


def servers() -> set[int]:
    found = subprocess.run(["pgrep", "-f", "llama_cpp.server"], capture_output=True, text=True, check=False)
    return {int(pid) for pid in found.stdout.split()}


@pytest.mark.real_model
@pytest.mark.slow
def test_the_local_model_extracts_grounded_figures_and_stops_its_server(tmp_path: Path) -> None:
    if installed_path(CATALOGUE[MODEL]) is None or importlib.util.find_spec("llama_cpp") is None:
        missing(f"the real-model test needs the local extra and the model: pip install -e '.[local]' && "
                f"extractor models pull {MODEL}")
    article = tmp_path / "article.jsonl"
    article.write_text(json.dumps({"id": "odesa", "text": ARTICLE, "published": "2025-03-03"}) + "\n")
    out = tmp_path / "out.jsonl"
    before = servers()
    done = subprocess.run([sys.executable, "-m", "extractor", "extract", str(article), "--model", f"local:{MODEL}",
                           "-o", str(out), "--cache-dir", str(tmp_path / "cache")],
                          capture_output=True, text=True, timeout=1500, check=False)
    assert out.exists(), done.stderr[-2000:]
    (record,) = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert record["status"] == "ok", (record["errors"], done.stderr[-2000:])
    assert record["usage"]["prompt_tokens"] > 0 and record["usage"]["completion_tokens"] > 0, "the model was asked"
    is_grounded = evidence_checker(ARTICLE)
    figures = [f for event in record["events"] for f in _figures(event)]
    assert figures and all(is_grounded(f["evidence"]) for f in figures), record["events"]
    assert servers() == before  # the server it started is gone
    assert done.returncode == 0, done.stderr[-2000:]


def _figures(event: dict[str, object]) -> list[dict[str, object]]:
    found = [event.get("killed"), event.get("injured")]
    found += [w.get(k) for w in event.get("weapons") or [] for k in ("launched", "intercepted")]  # type: ignore[union-attr]
    found += [p.get(k) for p in event.get("places") or [] for k in ("killed", "injured")]  # type: ignore[union-attr]
    return [f for f in found if isinstance(f, dict)]
