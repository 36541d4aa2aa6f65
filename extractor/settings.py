"""Run settings, frozen, resolved once per run.

Precedence, for every setting: an explicit argument (CLI option or keyword)
beats the environment, which beats the default. The environment is read when
``resolve_settings`` is called, never at import, so tests and long-lived
processes see the values in force at the time.

| setting      | argument      | environment          | default                     |
|--------------|---------------|----------------------|-----------------------------|
| model        | model         | EXTRACTOR_MODEL      | gpt-4.1-mini, or ``rules``  |
|              |               |                      | when no key and no base URL |
| base_url     | base_url      | OPENAI_BASE_URL      | None (OpenAI)               |
| api_key      | (never)       | OPENAI_API_KEY       | None                        |
| cache_dir    | cache_dir     | EXTRACTOR_CACHE_DIR  | the user cache directory    |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from extractor.errors import ConfigError

RULES_MODEL = "rules"
DEFAULT_LLM = "gpt-4.1-mini"
MODES = ("tools", "json_schema", "json", "md_json")
# Hosts known to speak OpenAI tool calling; anything else is assumed to be a
# local server whose structured output is most reliable through JSON schema.
_TOOL_CALLING_HOSTS = ("api.openai.com", "openai.azure.com", "openrouter.ai")


@dataclass(frozen=True)
class Settings:
    """Everything that shapes a run. ``api_key`` never appears in a repr."""

    model: str = DEFAULT_LLM
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    mode: str = "tools"
    prompt: str = "default"
    temperature: float = 0.0
    max_tokens: int = 4096
    max_retries: int = 2
    timeout: float = 60.0
    transport_attempts: int = 5
    max_retry_wait: float = 60.0
    max_total_wait: float = 300.0
    cache_dir: Path = Path(".")
    use_cache: bool = True
    concurrency: int = 4
    rpm: float | None = None
    tpm: float | None = None
    max_cost: float | None = None
    prices_path: Path | None = None
    max_input_tokens: int = 120_000
    model_defaulted: bool = False

    @property
    def is_rules(self) -> bool:
        return self.model == RULES_MODEL

    def with_(self, **changes: Any) -> Settings:
        """A copy with some settings changed (settings are frozen)."""
        return replace(self, **changes)


def default_cache_dir() -> Path:
    """The cache directory when neither argument nor environment names one."""
    env = os.environ.get("EXTRACTOR_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("extractor", appauthor=False))


def choose_mode(base_url: str | None) -> str:
    """Tool calling for OpenAI-hosted endpoints, JSON schema for local servers."""
    if base_url is None or any(host in base_url for host in _TOOL_CALLING_HOSTS):
        return "tools"
    return "json_schema"


def resolve_settings(
    *,
    model: str | None = None,
    base_url: str | None = None,
    mode: str | None = None,
    cache_dir: str | Path | None = None,
    **overrides: Any,
) -> Settings:
    """Settings from arguments, then the environment, then defaults."""
    base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
    api_key = os.environ.get("OPENAI_API_KEY") or None
    chosen = model or os.environ.get("EXTRACTOR_MODEL") or None
    defaulted = chosen is None and api_key is None and base_url is None
    if chosen is None:
        chosen = RULES_MODEL if defaulted else DEFAULT_LLM
    if mode is not None and mode not in MODES:
        raise ConfigError(f"--mode {mode!r} is not one of {', '.join(MODES)}")
    settings = Settings(
        model=chosen,
        base_url=base_url,
        api_key=api_key,
        mode=mode or choose_mode(base_url),
        cache_dir=Path(cache_dir).expanduser() if cache_dir else default_cache_dir(),
        model_defaulted=defaulted,
        **{k: v for k, v in overrides.items() if v is not None},
    )
    check_settings(settings)
    return settings


def check_settings(settings: Settings) -> None:
    """A ConfigError for settings that cannot work, before any article is read."""
    if settings.concurrency < 1:
        raise ConfigError("--concurrency must be at least 1")
    if settings.max_retries < 0:
        raise ConfigError("--max-retries must be 0 or more")
    if not settings.is_rules and settings.api_key is None and settings.base_url is None:
        raise ConfigError(
            f"no API key for model {settings.model!r}: set OPENAI_API_KEY, or point "
            "--base-url / OPENAI_BASE_URL at an OpenAI-compatible server (Ollama, vLLM, "
            "llama.cpp), or run offline with --model rules"
        )
