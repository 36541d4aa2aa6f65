"""A real model's answers, replayed: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M) behind llama-cpp-python's server.

Unlike ``test_cassettes.py`` (scripted answers from the project's own
server), these exchanges were recorded from the real model, so the tests
replay what a small model really says: llama.cpp refusing ``json_schema``
with a 500 and the mode falling back, quotes that are slightly off and get
snapped, figures assembled into codebook events, and an answer that loops
until the token limit cuts it. Each cassette's metadata
names the model, its quantization and the server's version. To re-record,
start the server by hand and point the tests at it::

    python -m llama_cpp.server --model qwen2.5-coder-1.5b.gguf --model_alias qwen2.5-coder-1.5b \\
        --n_ctx 16384 --n_threads 2 --logits_all False --port 8765 &
    EXTRACTOR_RECORD_REAL=http://127.0.0.1:8765/v1 python -m pytest tests/test_real_model_cassettes.py

(A rerecorded answer may differ: llama.cpp at temperature 0 is not bit-for-bit
repeatable across server states, and the assertions say what these recordings hold.)
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import DATASETS, REPO, read_jsonl, seed_articles

from extractor import extract
from extractor.evaluation.datasets import Prediction
from extractor.evaluation.scorecard import score_dataset
from extractor.grounding import evidence_checker

RECORD_URL = os.environ.get("EXTRACTOR_RECORD_REAL")
CASSETTES = REPO / "cassettes" / "test_real_model_cassettes"
REPLAY_URL = "http://127.0.0.1:9/v1"
MODEL = "qwen2.5-coder-1.5b"
METADATA = {
    "made": "recorded by tests/test_real_model_cassettes.py from a real model",
    "live_model": True,
    "model": "Qwen2.5-Coder-1.5B-Instruct",
    "quantization": "Q4_K_M GGUF, 1,117,320,768 bytes, sha256 cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    "server": "llama-cpp-python 0.3.36 server (llama_cpp.server), n_ctx 16384, 2 threads, CPU",
    "client": "openai 3.3.0 (httpx2) + instructor 1.17.0",
}


@pytest.fixture
def vcr(request: pytest.FixtureRequest) -> Iterator[Any]:
    import vcr as vcrpy

    recorder = vcrpy.VCR(cassette_library_dir=str(CASSETTES), record_mode="all" if RECORD_URL else "none",
                         match_on=["method", "scheme", "host", "path", "body"],
                         filter_headers=["authorization", "api-key", "cookie"])
    with recorder.use_cassette(f"{request.node.name}.yaml", allow_playback_repeats=False) as cassette:
        if RECORD_URL:
            cassette.get_metadata("how_made", {**METADATA, "recorded_on": dt.date.today().isoformat()})
        yield cassette


def seed(index: int) -> dict[str, Any]:
    return seed_articles()[index]


def gold(article_id: str) -> list[Any]:
    return next(g["events"] for g in read_jsonl(DATASETS / "seeds" / "gold.jsonl") if g["id"] == article_id)


def figures_of(record: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for event in record["events"]:
        found += [event[k] for k in ("killed", "injured") if event[k]]
        found += [w[k] for w in event["weapons"] for k in ("launched", "intercepted") if w[k]]
        found += [p[k] for p in event["places"] for k in ("killed", "injured") if p[k]]
    return found


def run_seed(index: int) -> dict[str, Any]:
    article = seed(index)
    result = extract(article["text"], published=article["published"], id=article["id"], model=MODEL,
                     base_url=RECORD_URL or REPLAY_URL, prompt="figures", use_cache=False)
    return result.to_record().to_json()


def test_figures_from_a_real_answer_are_grounded_and_scored(vcr: Any) -> None:
    article = seed(2)
    record = run_seed(2)
    assert record["status"] == "ok", record["errors"]
    assert record["mode"] == "json"  # llama.cpp refused json_schema (its real 500 is in the cassette)
    figures = figures_of(record)
    is_grounded = evidence_checker(article["text"])
    assert len(figures) >= 2 and all(is_grounded(f["evidence"]) for f in figures)
    scored = score_dataset({article["id"]: _events(gold(article["id"]))},
                           {article["id"]: Prediction.model_validate(record)})
    assert scored.events.tp >= 1 and (scored.slots.f1 or 0) >= 0.35
    assert vcr.play_count == (0 if RECORD_URL else 2)


def test_a_real_answer_caught_in_a_loop_is_cut_and_recorded_as_truncated(vcr: Any) -> None:
    """At temperature 0 the model fell into repeating itself on this article: the answer room
    for a local server (2,048 tokens) cut it, and the record says so, with what it cost."""
    record = run_seed(4)
    assert record["status"] == "error" and record["errors"][0].startswith("truncated: ")
    assert record["usage"]["completion_tokens"] == 2048
    assert vcr.play_count == (0 if RECORD_URL else 2)


def _events(events: list[dict[str, Any]]) -> list[Any]:
    from extractor.schema import AttackEvent

    return [AttackEvent.model_validate(e) for e in events]
