"""Small builders shared by the tests: codebook-valid events and articles."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DATASETS = REPO / "evals" / "datasets"

ARTICLE = (
    "KYIV, Nov. 19 - Russia launched 120 drones and three missiles at Ukraine overnight, "
    "the Ukrainian Air Force said. Air defences shot down 100 drones. Two people were "
    "killed in Kharkiv, where a residential building was hit."
)


def figure(value: int, evidence: str, qualifier: str = "exact", source: str | None = None) -> dict[str, Any]:
    return {"value": value, "qualifier": qualifier, "source": source, "evidence": evidence}


def event(**changes: Any) -> dict[str, Any]:
    """One codebook-valid event grounded in ARTICLE; keyword changes replace fields."""
    base: dict[str, Any] = {
        "role": "main",
        "attacker": "Russia",
        "target_country": "Ukraine",
        "date": "2024-11-19",
        "date_text": "overnight",
        "weapons": [
            {
                "category": "drone",
                "model": None,
                "launched": figure(120, "Russia launched 120 drones", source="Ukrainian Air Force"),
                "intercepted": figure(100, "Air defences shot down 100 drones"),
            },
            {"category": "missile", "model": None, "launched": figure(3, "three missiles"), "intercepted": None},
        ],
        "killed": figure(2, "Two people were killed in Kharkiv"),
        "injured": None,
        "places": [
            {
                "name": "Kharkiv",
                "kind": "settlement",
                "region": None,
                "killed": figure(2, "Two people were killed in Kharkiv"),
                "injured": None,
            }
        ],
        "damage": ["residential"],
        "summary": "Russia attacked Ukraine with drones and missiles overnight.",
    }
    base.update(copy.deepcopy(changes))
    return base


def extraction(*events: dict[str, Any]) -> dict[str, Any]:
    return {"events": list(events)}


def ungrounded_event() -> dict[str, Any]:
    """An event whose killed figure quotes words that are not in ARTICLE."""
    return event(killed=figure(2, "two civilians died in the blast"))


def seed_articles() -> list[dict[str, Any]]:
    lines = (DATASETS / "seeds" / "articles.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def extract_via(server: Any, **options: Any) -> Any:
    """ARTICLE through the library against ``server``, uncached unless asked."""
    from extractor import extract

    options.setdefault("use_cache", False)
    options.setdefault("model", "test-model")
    return extract(ARTICLE, published="2024-11-19", base_url=server.base_url, **options)


class FakeClock:
    """A clock whose sleeps return at once and advance a virtual time: backoff is asserted, not waited.

    Passed where extractor takes a ``Clock`` (``Extractor``, ``extract_stream``,
    ``run_articles``); ``slept`` lists every wait asked for, in order.
    """

    def __init__(self) -> None:
        self.time = 1000.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.time

    async def sleep(self, seconds: float) -> None:
        import asyncio

        self.slept.append(seconds)
        self.time += max(0.0, seconds)
        await asyncio.sleep(0)


def extract_with_clock(server: Any, clock: FakeClock, text: str = ARTICLE, **options: Any) -> Any:
    """One article through the pipeline against ``server``, waiting on ``clock``."""
    import asyncio

    from extractor.api import as_article, settings_for
    from extractor.pipeline import Extractor

    options.setdefault("use_cache", False)
    options.setdefault("model", "test-model")
    extractor = Extractor(settings_for(None, base_url=server.base_url, **options), clock=clock)

    async def one() -> Any:
        try:
            return await extractor.extract(as_article({"id": "article", "text": text, "published": "2024-11-19"}))
        finally:
            await extractor.close()

    return asyncio.run(one())


def ctrl_c_enabled() -> None:
    """``preexec_fn`` for a child the test will send SIGINT: give it the default SIGINT action.

    A shell without job control starts background commands with SIGINT ignored
    (``cmd &`` in a script, CI runners), children inherit that, and Python then
    installs no KeyboardInterrupt handler: the test's Ctrl-C would be lost.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def write_corpus(path: Path, copies: int) -> int:
    """``copies`` copies of the seed articles as JSONL, each with its own id and text; returns the count."""
    with path.open("w", encoding="utf-8") as handle:
        for copy in range(copies):
            for a in seed_articles():
                handle.write(json.dumps({**a, "id": f"{a['id']}-{copy}", "text": f"Copy {copy}. {a['text']}"}) + "\n")
    return copies * len(seed_articles())


def missing(reason: str) -> None:
    """A test whose dependency is absent: a failure in CI (``CI`` set, as .ci/run runs), a skip elsewhere.

    A contributor's plain ``pytest`` without Chromium or the 1.1 GB model skips those tests with the
    reason in one line; CI, which installs both, must never skip them.
    """
    import os

    import pytest

    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def chromium() -> str:
    """The headless Chromium the browser tests drive (missing: see ``missing``)."""
    import shutil

    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found is None:
        missing("headless Chromium is needed for the browser test: run `apt-get install -y chromium`")
    assert found is not None
    return found


def column_table(text: str) -> list[tuple[str | None, ...]]:
    """Rows of a table as the sqlite3 shell prints it in -column mode (blank cells are NULL)."""
    header, dashes, *rows = text.splitlines()
    spans = [(m.start(), m.end()) for m in re.finditer(r"-+", dashes)]
    return [tuple(row[a:b].strip() or None for a, b in spans) for row in rows]
