"""What a failed model call means: which failures to retry, and the error each becomes.

One classification serves the live client (openai's exceptions) and the batch
reader (a batch output line's status and body): a status code, the provider's
error code and its message make the same ``ModelError`` whichever way they
arrived. The server's own words reach the user (the first 200 characters),
because "server error (500)" alone does not say what to fix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from extractor.errors import (
    ContextLengthError,
    FatalModelError,
    InvalidOutputError,
    ModelError,
    Reason,
    RefusalError,
    TransportError,
    TruncatedError,
)
from extractor.usage import Usage

RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
MESSAGE_ROOM = 200
# A 5xx whose body says the request itself is wrong (local servers answer a
# request they cannot parse with 500): sending it again cannot help.
_INVALID_REQUEST = re.compile(
    r"input should be|validation error|extra inputs are not permitted|field required|not supported|"
    r"unsupported|invalid (request|value|type|parameter|argument)|unknown (field|parameter|argument)|"
    r"unrecognized|json_schema|response_format",
    re.IGNORECASE,
)


def error_code(exc: BaseException) -> str | None:
    """The provider's error code (``insufficient_quota``, ``context_length_exceeded``), if it gave one."""
    return _body_code(getattr(exc, "body", None)) or getattr(exc, "code", None)


def _body_code(body: Any) -> str | None:
    inner = body.get("error", body) if isinstance(body, Mapping) else None
    if isinstance(inner, Mapping):
        code = inner.get("code") or inner.get("type")
        return str(code) if code else None
    return None


def body_message(body: Any) -> str:
    """The provider's message in an error body (JSON or text), cut to MESSAGE_ROOM characters."""
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        text = inner.get("message") if isinstance(inner, Mapping) else inner
        if not isinstance(text, str):
            text = json.dumps(inner, ensure_ascii=False)
    else:
        text = "" if body is None else str(body)
    text = " ".join(text.split())
    return text if len(text) <= MESSAGE_ROOM else text[: MESSAGE_ROOM - 1] + "…"


def _exception_message(exc: BaseException) -> str:
    """What the server said in an openai status error: its body, else the response text."""
    message = body_message(getattr(exc, "body", None))
    if message:
        return message
    response = getattr(exc, "response", None)
    try:
        return body_message(response.text if response is not None else "")
    except Exception:  # a streamed or closed response has no text to give
        return ""


def retry_after_seconds(exc: BaseException) -> float | None:
    """The wait a 429/503 asks for, from ``retry-after-ms`` or ``Retry-After``."""
    headers = getattr(getattr(exc, "response", None), "headers", None)
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


def invalid_request(status: int, message: str) -> bool:
    """A server error that is really about the request: a retry would get the same answer."""
    return status >= 500 and bool(_INVALID_REQUEST.search(message))


def is_retryable(exc: BaseException) -> bool:
    """Whether a later identical request could succeed."""
    import openai

    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError)):
        return True
    if not isinstance(exc, openai.APIStatusError):
        return False
    if exc.response.headers.get("x-should-retry") == "false" or error_code(exc) == "insufficient_quota":
        return False
    if invalid_request(exc.status_code, _exception_message(exc)):
        return False
    return exc.status_code in RETRYABLE_STATUS or exc.status_code >= 500


def status_error(status: int, code: str | None, message: str, *, where: str = "") -> ModelError:
    """The error of an answer with HTTP ``status``: the one classification, live and batch.

    ``where`` says where it happened ("" for a live call, " in the batch").
    """
    said = f": {message}" if message else ""
    if status in (401, 403):
        return FatalModelError(f"the server refused the API key ({status}); check OPENAI_API_KEY", reason=Reason.AUTH)
    if code == "insufficient_quota":
        return FatalModelError(
            "the account has no quota left (429 insufficient_quota); add credit, then rerun "
            "with the same --output to resume", reason=Reason.QUOTA)
    if status == 404:
        return FatalModelError(f"the server has no such model or endpoint (404){said}", reason=Reason.NOT_FOUND)
    if code == "context_length_exceeded" or "context length" in message.lower() or "context window" in message.lower():
        return ContextLengthError(f"the article is longer than the model's context{said}")
    if status == 429:
        return TransportError(f"rate limited (429){where} after the retries{said}", reason=Reason.RATE_LIMITED)
    if invalid_request(status, message):
        return ModelError(f"the server rejected the request ({status}){where}{said}", reason=Reason.BAD_REQUEST)
    if status >= 500 or status in RETRYABLE_STATUS:
        return TransportError(f"server error ({status}){where} after the retries{said}", reason=Reason.SERVER_ERROR)
    return ModelError(f"the server rejected the request ({status}){where}{said or ': ' + (code or 'no message')}",
                      reason=Reason.BAD_REQUEST)


def _root_cause(exc: BaseException) -> str:
    """The first line of the deepest cause: "Connection refused", not "Connection error"."""
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


def api_error(exc: BaseException) -> ModelError:
    """Our error for an openai exception; the key never appears in the message."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return TransportError("the request timed out after the retries; raise --timeout", reason=Reason.TIMEOUT)
    if isinstance(exc, openai.APIConnectionError):
        return TransportError(
            f"could not reach the model server after the retries ({_root_cause(exc)})", reason=Reason.CONNECTION)
    if not isinstance(exc, openai.APIStatusError):
        return ModelError(str(exc))
    return status_error(exc.status_code, error_code(exc), _exception_message(exc))


def batch_line_error(line: Mapping[str, Any]) -> ModelError:
    """The error of a batch output line that holds no answer, classified as a live call's would be."""
    failure = line.get("error")
    if isinstance(failure, Mapping):
        code = str(failure.get("code") or "batch_error")
        return ModelError(f"the batch request failed: {failure.get('message') or code}",
                          reason=Reason.of_provider_code(code))
    response = line.get("response") or {}
    body = response.get("body")
    return status_error(int(response.get("status_code") or 0), _body_code(body), body_message(body),
                        where=" in the batch")


def truncation_error(usage: Usage | None = None) -> TruncatedError:
    return TruncatedError(
        "the answer was cut off at the token limit (finish_reason=length); raise --max-tokens or shorten the article",
        usage=usage,
    )


def refusal_error(completion: Any) -> RefusalError | None:
    """A refusal is its own error, not "invalid output": checked before instructor parses,
    because in JSON modes instructor would read the empty content and re-ask."""
    message = completion.choices[0].message if completion.choices else None
    if message is None or not getattr(message, "refusal", None):
        return None
    return RefusalError(f"the model refused: {message.refusal}", usage=Usage.of(getattr(completion, "usage", None)))


def validation_messages(exc: BaseException) -> list[str]:
    """One line per validation problem, as a user would want to read them."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        return [
            f"{'.'.join(str(p) for p in err['loc']) or 'answer'}: {err['msg']}"
            for err in exc.errors(include_url=False)
        ]
    return [f"{type(exc).__name__}: {exc}"]


def last_answer(exc: Any) -> str | None:
    """What the model said last (its message, or its tool call's arguments), from instructor's retry error."""
    completion = getattr(exc, "last_completion", None)
    choices = getattr(completion, "choices", None) or []
    message = getattr(choices[0], "message", None) if choices else None
    if message is None:
        return None
    calls = getattr(message, "tool_calls", None) or []
    if calls:
        return str(getattr(calls[0].function, "arguments", "") or "") or None
    content = getattr(message, "content", None)
    return str(content) if content else None


def translate_failure(exc: Any, usage: Usage) -> ModelError:
    """Our error for what instructor gave up on: invalid output or a transport failure.

    ``usage`` is what the article cost, counted where responses arrive; it is
    the one count, so the error carries it whatever instructor summed.
    """
    import openai
    from pydantic import ValidationError

    cause = exc.__cause__ or exc
    if isinstance(cause, ModelError):
        error = cause
    elif isinstance(cause, (ValidationError, json.JSONDecodeError)) or (
        getattr(exc, "failed_attempts", None) and not isinstance(cause, openai.APIError)
    ):
        attempts = getattr(exc, "n_attempts", None) or 1
        error = InvalidOutputError(f"the answer failed validation after {attempts} attempts",
                                   errors=validation_messages(cause), raw=last_answer(exc))
    elif isinstance(cause, openai.APIError):
        error = api_error(cause)
    else:
        error = ModelError(f"{type(cause).__name__}: {cause}")
    error.usage = usage
    return error
