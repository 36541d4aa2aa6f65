"""The transport retry policy: which failures to send again, how long to wait, when to stop.

Transport failures (timeouts, dropped connections, 408, 429, 5xx) are
retried here by tenacity, with exponential backoff and jitter, honouring
``Retry-After``, bounded in attempts and in total wait; the openai client's
own retries are off and instructor only re-asks invalid answers, so retries
never stack.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from extractor.clock import REAL_CLOCK, Clock
from extractor.llm.failures import is_retryable, retry_after_seconds

if TYPE_CHECKING:
    from tenacity import RetryCallState

    from extractor.settings import Settings


class TransportRetry:
    """Tenacity policy for transport failures, waiting on a replaceable clock."""

    def __init__(self, settings: Settings, clock: Clock = REAL_CLOCK) -> None:
        self.settings = settings
        self.clock = clock

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
        """A fresh AsyncRetrying for one request, its total wait measured on the clock."""
        from tenacity import AsyncRetrying, stop_after_attempt

        return AsyncRetrying(
            retry=self.should_retry,
            wait=self.wait,
            stop=stop_after_attempt(self.settings.transport_attempts) | _out_of_time(self.clock, self.settings),
            sleep=self.clock.sleep,
            reraise=True,
        )


def _out_of_time(clock: Clock, settings: Settings) -> Any:
    """Stop before a wait would take the request past ``max_total_wait`` on ``clock``."""
    from tenacity.stop import stop_base

    class OutOfTime(stop_base):  # type: ignore[misc]
        def __init__(self) -> None:
            self.started = clock.now()

        def __call__(self, state: RetryCallState) -> bool:
            return clock.now() - self.started + state.upcoming_sleep >= settings.max_total_wait

    return OutOfTime()
