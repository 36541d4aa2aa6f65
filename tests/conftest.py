"""Shared fixtures: the local OpenAI-compatible server, and a hermetic environment.

The environment fixture is autouse so that no test, however written, can pass
from a warm cache or reach a real endpoint with a key left in the shell.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakeserver import FakeLLMServer


@pytest.fixture(autouse=True)
def hermetic_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Give each test its own empty cache directory and no OpenAI credentials or URL.

    Every OPENAI_* and EXTRACTOR_* variable goes, not only the key and base URL:
    a shell's EXTRACTOR_MODEL or OPENAI_ORG_ID would otherwise change what a test sees.
    """
    for name in list(os.environ):
        if name.startswith(("OPENAI_", "EXTRACTOR_")):
            monkeypatch.delenv(name)
    cache_dir = tmp_path / "extractor-cache"
    monkeypatch.setenv("EXTRACTOR_CACHE_DIR", str(cache_dir))
    return cache_dir


@pytest.fixture
def llm_server() -> Iterator[FakeLLMServer]:
    """A started FakeLLMServer for one test; see tests/fakeserver.py for scripting it."""
    with FakeLLMServer() as server:
        yield server
