"""The provider's files and batches endpoints, and the settings a state directory was made with.

Transport retries for these endpoints are the openai client's own (a few,
honouring Retry-After): nothing else retries these calls, so the retries do
not stack. Failures become the same ``ModelError`` a live call gets.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from extractor.batch.state import BatchState
from extractor.llm.failures import api_error
from extractor.settings import Settings, resolve_settings

API_RETRIES = 4
TRANSFER_TIMEOUT = 600.0


def state_settings(settings: Settings, prompt_version: str | None) -> dict[str, Any]:
    """What shaped the requests; never the key, which is read from the environment each time."""
    return {
        "model": settings.model, "base_url": settings.base_url, "mode": settings.mode, "prompt": settings.prompt,
        "prompt_version": prompt_version, "temperature": settings.temperature, "max_tokens": settings.max_tokens,
        "max_retries": settings.max_retries, "timeout": settings.timeout,
    }


def settings_for(state: BatchState, **overrides: Any) -> Settings:
    """The settings the batches were submitted with, the key from the environment.

    The base URL is the state's even when OPENAI_BASE_URL says otherwise:
    the batches live on the server that created them.
    """
    saved = state.settings
    settings = resolve_settings(
        model=saved["model"], base_url=saved["base_url"], mode=saved["mode"], prompt=saved["prompt"],
        temperature=saved["temperature"], max_tokens=saved["max_tokens"], max_retries=saved["max_retries"],
        timeout=saved["timeout"], **overrides,
    )
    return settings.with_(base_url=saved["base_url"])


def batch_client(settings: Settings) -> Any:
    """A synchronous openai client for the files and batches endpoints."""
    import openai

    return openai.OpenAI(api_key=settings.api_key or "no-key-needed", base_url=settings.base_url,
                         max_retries=API_RETRIES, timeout=settings.timeout)


@contextlib.contextmanager
def batch_api() -> Iterator[None]:
    """Turn an openai failure into our ModelError (a bad key is fatal, as for live calls)."""
    import openai

    try:
        yield
    except openai.APIError as exc:
        raise api_error(exc) from exc
