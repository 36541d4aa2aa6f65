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

Where the model runs sets some defaults (``server_defaults``): against a
provider's cloud, 4 requests in flight and a 60 s timeout; against a local
server (any other base URL, or a ``local:``/``gguf:`` model), one at a time
and 900 s, since a CPU server answers one request at a time and a first call
can take minutes.
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
LOCAL_PREFIXES = ("local:", "gguf:")
# Hosts known to speak OpenAI tool calling; anything else is assumed to be a
# local server whose structured output is most reliable through JSON schema.
_TOOL_CALLING_HOSTS = ("api.openai.com", "openai.azure.com", "openrouter.ai")
# A local CPU server answers one request at a time and may take minutes over one:
# one in flight, and a timeout that only a hung server reaches.
LOCAL_TIMEOUT = 900.0
LOCAL_INPUT_TOKENS = 10_000  # what fits the managed llama.cpp server's 16k context beside the answer
# The longest article a local model reads at all, in parts of LOCAL_INPUT_TOKENS (about 400 KB of text).
LOCAL_ARTICLE_TOKENS = 100_000
# At 10 tokens a second an answer of 4,096 tokens takes 7 minutes: on a CPU server a
# small model that falls into repeating itself is cut off at 2,048 (about 3 minutes).
LOCAL_ANSWER_TOKENS = 2048
# The best local strategy measured (README, "A local model"): as good as the offline model alone and the fastest.
LOCAL_PROMPT = "ask"


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
    # Not the working directory: a library user's Settings() must not leave a cache wherever they run.
    cache_dir: Path = field(default_factory=lambda: default_cache_dir())
    use_cache: bool = True
    concurrency: int = 4
    rpm: float | None = None
    tpm: float | None = None
    max_cost: float | None = None
    prices_path: Path | None = None
    max_input_tokens: int = 120_000
    # A prompt longer than this is read in parts (extractor.chunks); None: max_input_tokens (so only a
    # local model, whose window is far below the longest article it reads, splits by default); 0: never.
    chunk_tokens: int | None = None
    model_defaulted: bool = False
    explicit: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    @property
    def is_rules(self) -> bool:
        return self.model == RULES_MODEL

    @property
    def is_local(self) -> bool:
        """A GGUF model that extractor serves itself (``local:NAME`` or ``gguf:PATH``)."""
        return self.model.startswith(LOCAL_PREFIXES)

    @property
    def chunk_window(self) -> int:
        """The most prompt tokens one request takes: a longer article is read in parts; 0: never split."""
        if self.is_rules or self.chunk_tokens == 0:
            return 0
        return min(self.chunk_tokens or self.max_input_tokens, self.max_input_tokens)

    def with_model(self, model: str, **changes: Any) -> Settings:
        """A copy for another model, its server-dependent defaults re-derived unless they were given."""
        defaults = server_defaults(model, self.base_url)
        kept = {k: v for k, v in defaults.items() if k not in self.explicit}
        return replace(self, model=model, **{**kept, **changes})

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
    return "tools" if is_hosted(base_url) else "json_schema"


def is_hosted(base_url: str | None) -> bool:
    return base_url is None or any(host in base_url for host in _TOOL_CALLING_HOSTS)


def server_defaults(model: str, base_url: str | None) -> dict[str, Any]:
    """The settings that depend on where the model runs: a provider's cloud, or a local CPU server.

    A managed llama.cpp server is asked in JSON mode (it refuses json_schema);
    any other local server starts with json_schema and falls back if refused.
    """
    local = {"timeout": LOCAL_TIMEOUT, "concurrency": 1, "max_tokens": LOCAL_ANSWER_TOKENS}
    if model.startswith(LOCAL_PREFIXES):
        # A small model on a CPU answers the codebook's schema with empty events; "ask" asks it closed questions.
        return {"mode": "json", "max_input_tokens": LOCAL_ARTICLE_TOKENS, "chunk_tokens": LOCAL_INPUT_TOKENS,
                "prompt": LOCAL_PROMPT, **local}
    if model == RULES_MODEL or is_hosted(base_url):
        return {"mode": choose_mode(base_url), "timeout": 60.0, "concurrency": 4, "max_input_tokens": 120_000,
                "max_tokens": 4096}
    return {"mode": "json_schema", "max_input_tokens": 120_000, **local}


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
    given = {k: v for k, v in overrides.items() if v is not None} | ({"mode": mode} if mode else {})
    settings = Settings(
        model=chosen,
        base_url=base_url,
        api_key=api_key,
        cache_dir=Path(cache_dir).expanduser() if cache_dir else default_cache_dir(),
        model_defaulted=defaulted,
        explicit=frozenset(given),
        **{**server_defaults(chosen, base_url), **given},
    )
    check_settings(settings)
    return settings


def with_environment(settings: Settings) -> Settings:
    """A hand-built Settings with the key and server the environment names where it names none.

    Precedence stays argument > environment > default: only fields left at None are filled.
    """
    key = settings.api_key or os.environ.get("OPENAI_API_KEY") or None
    base_url = settings.base_url or os.environ.get("OPENAI_BASE_URL") or None
    return settings if (key, base_url) == (settings.api_key, settings.base_url) else replace(
        settings, api_key=key, base_url=base_url)


def check_settings(settings: Settings) -> None:
    """A ConfigError for settings that cannot work, before any article is read."""
    if settings.concurrency < 1:
        raise ConfigError("--concurrency must be at least 1")
    if settings.max_retries < 0:
        raise ConfigError("--max-retries must be 0 or more")
    if settings.chunk_tokens is not None and settings.chunk_tokens < 0:
        raise ConfigError("--chunk-tokens must be 0 (never split) or more")
    if not settings.is_rules and not settings.is_local and settings.api_key is None and settings.base_url is None:
        raise ConfigError(
            f"no API key for model {settings.model!r}: set OPENAI_API_KEY, or point "
            "--base-url / OPENAI_BASE_URL at an OpenAI-compatible server (Ollama, vLLM, "
            "llama.cpp), or run offline with --model rules"
        )
