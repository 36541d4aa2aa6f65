"""The one place that talks to a language model, through instructor and openai.

Each failure has one owner, so retries never stack:

- transport failures (timeouts, dropped connections, 408, 429, 5xx) are
  retried here by tenacity, with exponential backoff and jitter, honouring
  ``Retry-After``, bounded in attempts and in total wait; the openai client's
  own retries are off (``max_retries=0``);
- answers that fail validation (schema, or evidence not in the article) are
  re-asked by instructor, at most ``max_retries`` times, with the error text;
- a truncated answer, a refusal, a bad key or an exhausted quota are not
  retried at all: they are their own errors.
"""

from __future__ import annotations

import json
import logging
import random
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from extractor.errors import (
    ContextLengthError,
    FatalModelError,
    InvalidOutputError,
    ModelError,
    RefusalError,
    TransportError,
    TruncatedError,
)
from extractor.grounding import evidence_checked_against
from extractor.schema import Extraction
from extractor.throttle import Throttle

if TYPE_CHECKING:
    from tenacity import RetryCallState

    from extractor.settings import Settings

log = logging.getLogger(__name__)
RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})


@dataclass
class Usage:
    """Tokens spent on one article, summed over every attempt."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, usage: Any) -> None:
        if usage is not None:
            self.prompt_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
            self.completion_tokens += int(getattr(usage, "completion_tokens", 0) or 0)

    def to_dict(self) -> dict[str, int]:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens}


#: Tokens of every answered request for the article being asked in this task:
#: counted at the HTTP layer, so refusals, truncations and re-asks all count.
_SPENT: ContextVar[Usage | None] = ContextVar("extractor_spent", default=None)


@dataclass
class ModelAnswer:
    """A validated answer with the JSON the model gave and what it cost."""

    extraction: Extraction
    answer: dict[str, Any]
    usage: Usage = field(default_factory=Usage)


def retry_after_seconds(exc: BaseException) -> float | None:
    """The wait a 429/503 asks for, from ``retry-after-ms`` or ``Retry-After``."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is not None:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                continue
    return None


def _error_code(exc: BaseException) -> str | None:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            return inner.get("code") or inner.get("type")
    return getattr(exc, "code", None)


def is_retryable(exc: BaseException) -> bool:
    """Whether a later identical request could succeed."""
    import openai

    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError)):
        return True
    if not isinstance(exc, openai.APIStatusError):
        return False
    if exc.response.headers.get("x-should-retry") == "false":
        return False
    if _error_code(exc) == "insufficient_quota":
        return False
    return exc.status_code in RETRYABLE_STATUS or exc.status_code >= 500


class TransportRetry:
    """Tenacity policy for transport failures: which, how long to wait, when to stop."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def should_retry(self, state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        if exc is None or not is_retryable(exc):
            return False
        asked = retry_after_seconds(exc)
        return asked is None or asked <= self.settings.max_retry_wait

    def wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = retry_after_seconds(exc) if exc else None
        if asked is not None:
            return asked
        backoff = min(30.0, 0.5 * 2 ** (state.attempt_number - 1))
        return backoff / 2 + random.uniform(0, backoff / 2)

    def retrying(self) -> Any:
        from tenacity import AsyncRetrying, stop_after_attempt, stop_before_delay

        return AsyncRetrying(
            retry=self.should_retry,
            wait=self.wait,
            stop=stop_after_attempt(self.settings.transport_attempts)
            | stop_before_delay(self.settings.max_total_wait),
            reraise=True,
        )


def instructor_mode(name: str) -> Any:
    import instructor

    return {
        "tools": instructor.Mode.TOOLS,
        "json_schema": instructor.Mode.JSON_SCHEMA,
        "json": instructor.Mode.JSON,
        "md_json": instructor.Mode.MD_JSON,
    }[name]


class ModelClient:
    """An openai client patched by instructor, for the life of one run."""

    def __init__(self, settings: Settings) -> None:
        import instructor
        import openai

        self.settings = settings
        self._client = openai.AsyncOpenAI(
            # Local servers take any key; the openai client insists on one.
            api_key=settings.api_key or "no-key-needed",
            base_url=settings.base_url,
            max_retries=0,
            timeout=settings.timeout,
        )
        self._policy = TransportRetry(settings)
        self._create: Any = instructor.patch(create=self._send, mode=instructor_mode(settings.mode))
        self.throttle = Throttle(settings.concurrency, settings.rpm, settings.tpm)
        self.requests = 0

    async def close(self) -> None:
        await self._client.close()

    async def _send(self, **kwargs: Any) -> Any:
        """One chat completion, with transport retries; refusals stop here."""
        async for attempt in self._policy.retrying():
            with attempt:
                response = await self._request(kwargs)
        refused = refusal_error(response)
        if refused is not None:
            raise refused
        return response

    async def _request(self, kwargs: dict[str, Any]) -> Any:
        """One HTTP request, paced by the throttle, which learns from its outcome."""
        import openai

        self.requests += 1
        async with self.throttle.slot(estimated_tokens(kwargs)):
            try:
                raw = await self._client.chat.completions.with_raw_response.create(**kwargs)
            except openai.RateLimitError as exc:
                if _error_code(exc) != "insufficient_quota":
                    # Never hold the whole run longer than one request may wait: a
                    # daily-quota Retry-After fails this article, not the run.
                    asked = retry_after_seconds(exc)
                    self.throttle.limited(None if asked is None else min(asked, self.settings.max_retry_wait))
                raise
        self.throttle.succeeded(raw.headers)
        response = raw.parse()
        spent = _SPENT.get()
        if spent is not None:
            spent.add(getattr(response, "usage", None))
        return response

    async def ask(self, messages: list[dict[str, str]], article_text: str) -> ModelAnswer:
        """A validated extraction for one article, or a ModelError saying why not."""
        import instructor

        spent = Usage()
        token = _SPENT.set(spent)
        try:
            with evidence_checked_against(article_text, instructions=messages[0]["content"]):
                parsed = await self._create(
                    model=self.settings.model,
                    messages=messages,
                    response_model=Extraction,
                    max_retries=self.settings.max_retries,
                    temperature=self.settings.temperature,
                    max_tokens=self.settings.max_tokens,
                )
        except instructor.core.exceptions.IncompleteOutputException as exc:
            raise _costing(truncation_error(), spent) from exc
        except instructor.core.exceptions.InstructorRetryException as exc:
            raise _costing(translate_failure(exc), spent) from exc
        finally:
            _SPENT.reset(token)
        return ModelAnswer(parsed, parsed.model_dump(mode="json"), spent)


def _costing(error: ModelError, spent: Usage) -> ModelError:
    """The error, carrying every token the article cost before it."""
    error.usage = spent
    return error


def refusal_error(completion: Any) -> RefusalError | None:
    """A refusal is its own error, not "invalid output": checked before instructor parses,
    because in JSON modes instructor would read the empty content and re-ask."""
    message = completion.choices[0].message if completion.choices else None
    if message is None or not getattr(message, "refusal", None):
        return None
    error = RefusalError(f"the model refused: {message.refusal}")
    error.usage = Usage()
    error.usage.add(getattr(completion, "usage", None))
    return error


def truncation_error() -> TruncatedError:
    return TruncatedError(
        "the answer was cut off at the token limit (finish_reason=length); raise --max-tokens or shorten the article"
    )


def approx_tokens(chars: int) -> int:
    """Tokens in a text of ``chars`` characters, at about four characters a token.

    The one place this rule of thumb lives: budget reservations, the input
    length check and --tpm pacing all estimate with it.
    """
    return chars // 4


def estimated_tokens(kwargs: dict[str, Any]) -> int:
    """What a request counts against a tokens-per-minute limit: prompt plus room."""
    prompt_chars = sum(len(str(m.get("content", ""))) for m in kwargs.get("messages", []))
    return approx_tokens(prompt_chars) + int(kwargs.get("max_tokens") or 0)


def translate_failure(exc: Any) -> ModelError:
    """Our error for what instructor gave up on: invalid output or a transport failure."""
    cause = exc.__cause__ or exc
    usage = Usage()
    usage.add(getattr(exc, "total_usage", None))
    error = _model_error(cause, exc)
    error.usage = usage
    return error


def _model_error(cause: BaseException, exc: Any) -> ModelError:
    import openai
    from pydantic import ValidationError

    if isinstance(cause, ModelError):
        return cause
    if isinstance(cause, (ValidationError, json.JSONDecodeError)) or (
        getattr(exc, "failed_attempts", None) and not isinstance(cause, openai.APIError)
    ):
        errors = validation_messages(cause)
        return InvalidOutputError(
            f"the answer failed validation after {exc.n_attempts} attempts", errors=errors
        )
    if isinstance(cause, openai.APIError):
        return api_error(cause)
    return ModelError(f"{type(cause).__name__}: {cause}")


def validation_messages(exc: BaseException) -> list[str]:
    """One line per validation problem, as a user would want to read them."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        return [
            f"{'.'.join(str(p) for p in err['loc']) or 'answer'}: {err['msg']}"
            for err in exc.errors(include_url=False)
        ]
    return [f"{type(exc).__name__}: {exc}"]


def _root_cause(exc: BaseException) -> str:
    """The first line of the deepest cause: "Connection refused", not "Connection error"."""
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


def api_error(exc: BaseException) -> ModelError:
    """Our error for an openai exception; the key never appears in the message."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return TransportError("the request timed out after the retries", reason="timeout")
    if isinstance(exc, openai.APIConnectionError):
        return TransportError(
            f"could not reach the model server after the retries ({_root_cause(exc)})", reason="connection"
        )
    if not isinstance(exc, openai.APIStatusError):
        return ModelError(str(exc))
    status, code = exc.status_code, _error_code(exc)
    if status in (401, 403):
        return FatalModelError(
            f"the server refused the API key ({status}); check OPENAI_API_KEY", reason="auth"
        )
    if code == "insufficient_quota":
        return FatalModelError(
            "the account has no quota left (429 insufficient_quota); add credit, then rerun "
            "with the same --output to resume",
            reason="quota",
        )
    if status == 404:
        return FatalModelError(f"the server has no such model or endpoint (404): {code or ''}".strip(), reason="not_found")
    if code == "context_length_exceeded" or "context length" in str(exc).lower():
        return ContextLengthError("the article is longer than the model's context")
    if status == 429:
        return TransportError("rate limited (429) after the retries", reason="rate_limited")
    if status >= 500 or status in RETRYABLE_STATUS:
        return TransportError(f"server error ({status}) after the retries", reason="server_error")
    return ModelError(f"the server rejected the request ({status}): {code or exc.message}")
