"""The one error root of extractor, the few children worth telling apart, and reason codes.

The CLI turns an ``ExtractorError`` into a one-line message and an exit code;
anything else is a bug and keeps its traceback. Per-article failures carry a
``Reason``: data from the place that raises to the output record (``errors``
starts with ``"<reason>: "``) and to the run guard, so a user can count
failures by cause and no code ever parses a message to find one.

::

    ExtractorError
    ├── ConfigError            settings that cannot work (no key, unknown prompt)
    ├── InputError             an article that cannot be read or has no text
    ├── ModelError             the model call did not give a usable answer
    │   ├── TransportError     timeouts, 408/429/5xx after the retries ran out
    │   ├── FatalModelError    401, insufficient quota: the whole run must stop
    │   ├── TruncatedError     finish_reason=length
    │   ├── RefusalError       the model declined
    │   ├── ContextLengthError the article does not fit the model's context
    │   └── InvalidOutputError still failing validation after the re-asks
    ├── OutputError            the output cannot be written (disk full, locked)
    └── BudgetExceeded         --max-cost reached; the run stops, resumable
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from extractor.usage import Usage


class Reason(StrEnum):
    """Why an article has no valid events: the first word of its record's error."""

    INPUT = "input"
    INPUT_TOO_LONG = "input_too_long"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    BAD_REQUEST = "bad_request"
    AUTH = "auth"
    QUOTA = "quota"
    NOT_FOUND = "not_found"
    TRUNCATED = "truncated"
    REFUSED = "refused"
    INVALID = "invalid"
    MODEL = "model"
    BATCH_ERROR = "batch_error"
    BATCH_EXPIRED = "batch_expired"
    BATCH_CANCELLED = "batch_cancelled"
    BUDGET = "budget"
    CONFIG = "config"
    OUTPUT = "output"

    @classmethod
    def of_provider_code(cls, code: str | None) -> Reason:
        """A provider's error code as a reason: one we know by name, else a batch error."""
        try:
            return cls(code) if code else cls.BATCH_ERROR
        except ValueError:
            return cls.BATCH_ERROR


class ExtractorError(Exception):
    """Root of every error extractor raises on purpose."""

    reason: Reason = Reason.MODEL
    exit_code = 1

    def describe(self) -> str:
        """The line an output record's ``errors`` carries: reason code, then message."""
        return f"{self.reason}: {self}"


class ConfigError(ExtractorError):
    """Settings that cannot work; fixing them is the user's move."""

    reason = Reason.CONFIG
    exit_code = 2


class InputError(ExtractorError):
    """An input that cannot become an article; the rest of a batch goes on.

    ``article_id`` is set when the input still names an article (an empty
    file, a record with a bad date), so that the article gets a record.
    """

    reason = Reason.INPUT
    exit_code = 2

    def __init__(self, message: str, *, article_id: str | None = None, reason: Reason = Reason.INPUT) -> None:
        super().__init__(message)
        self.article_id = article_id
        self.reason = reason


class ModelError(ExtractorError):
    """The model call failed for this article.

    ``usage`` holds the tokens spent before the failure, so that failed
    articles are still counted in cost.
    """

    def __init__(self, message: str, *, reason: Reason = Reason.MODEL, usage: Usage | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.usage = usage


class TransportError(ModelError):
    """Transport failures that outlived the retries (timeouts, 429, 5xx)."""

    def __init__(self, message: str, *, reason: Reason = Reason.SERVER_ERROR, usage: Usage | None = None) -> None:
        super().__init__(message, reason=reason, usage=usage)


class FatalModelError(ModelError):
    """A failure no other article can escape (bad key, no quota): stop the run."""

    exit_code = 3


class TruncatedError(ModelError):
    """The answer hit the token limit; a blind retry would hit it again."""

    def __init__(self, message: str, *, usage: Usage | None = None) -> None:
        super().__init__(message, reason=Reason.TRUNCATED, usage=usage)


class RefusalError(ModelError):
    """The model declined to answer, which is not the same as 'no events'."""

    def __init__(self, message: str, *, usage: Usage | None = None) -> None:
        super().__init__(message, reason=Reason.REFUSED, usage=usage)


class ContextLengthError(ModelError):
    """The article is longer than the model's context."""

    def __init__(self, message: str, *, usage: Usage | None = None) -> None:
        super().__init__(message, reason=Reason.INPUT_TOO_LONG, usage=usage)


class InvalidOutputError(ModelError):
    """The answer still failed validation after every re-ask."""

    def __init__(self, message: str, *, errors: list[str], raw: str | None = None, usage: Usage | None = None) -> None:
        super().__init__(message, reason=Reason.INVALID, usage=usage)
        self.errors = errors
        self.raw = raw


class OutputError(ExtractorError):
    """The run's output cannot be written: finished records are kept, the run stops."""

    reason = Reason.OUTPUT
    exit_code = 5


class BudgetExceeded(ExtractorError):
    """The estimated spend would pass --max-cost."""

    reason = Reason.BUDGET
    exit_code = 4
