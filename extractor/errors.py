"""The one error root of extractor, and the few children worth telling apart.

The CLI turns an ``ExtractorError`` into a one-line message and an exit code;
anything else is a bug and keeps its traceback. Per-article failures carry a
short ``reason`` code that lands in the output record's ``errors`` list, so a
user can count failures by cause without parsing prose.

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
    └── BudgetExceeded         --max-cost reached; the run stops, resumable
"""

from __future__ import annotations


class ExtractorError(Exception):
    """Root of every error extractor raises on purpose."""

    reason = "error"
    exit_code = 1


class ConfigError(ExtractorError):
    """Settings that cannot work; fixing them is the user's move."""

    reason = "config"
    exit_code = 2


class InputError(ExtractorError):
    """An input that cannot become an article; the rest of a batch goes on.

    ``article_id`` is set when the input still names an article (an empty
    file, a record with a bad date), so that the article gets a record.
    """

    reason = "input"
    exit_code = 2

    def __init__(self, message: str, *, article_id: str | None = None) -> None:
        super().__init__(message)
        self.article_id = article_id


class ModelError(ExtractorError):
    """The model call failed for this article.

    ``usage`` holds the tokens spent before the failure (an ``llm.Usage``),
    so that failed articles are still counted in cost.
    """

    reason = "model"
    usage: object | None = None


class TransportError(ModelError):
    """Transport failures that outlived the retries (timeouts, 429, 5xx)."""

    reason = "transport"

    def __init__(self, message: str, *, reason: str = "transport", attempts: int = 1) -> None:
        super().__init__(message)
        self.reason = reason
        self.attempts = attempts


class FatalModelError(ModelError):
    """A failure no other article can escape (bad key, no quota): stop the run."""

    reason = "fatal"
    exit_code = 3

    def __init__(self, message: str, *, reason: str = "fatal") -> None:
        super().__init__(message)
        self.reason = reason


class TruncatedError(ModelError):
    """The answer hit the token limit; a blind retry would hit it again."""

    reason = "truncated"


class RefusalError(ModelError):
    """The model declined to answer, which is not the same as 'no events'."""

    reason = "refused"


class ContextLengthError(ModelError):
    """The article is longer than the model's context."""

    reason = "input_too_long"


class InvalidOutputError(ModelError):
    """The answer still failed validation after every re-ask."""

    reason = "invalid"

    def __init__(self, message: str, *, errors: list[str], raw: str | None = None) -> None:
        super().__init__(message)
        self.errors = errors
        self.raw = raw


class BudgetExceeded(ExtractorError):
    """The estimated spend would pass --max-cost."""

    reason = "budget"
    exit_code = 4
