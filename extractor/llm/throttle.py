"""The pace of requests to a provider: as fast as its limits allow, and no faster.

Three brakes, all per run and shared by every article in flight:

- an adaptive cap on requests in flight (AIMD): halved on a 429, grown by
  one per cap's worth of successes, never above ``--concurrency``;
- a pause for everyone until a 429's ``Retry-After`` has passed, so the
  requests in flight do not each discover the limit on their own; and the
  ``x-ratelimit-remaining-requests`` header of a success lowers the cap
  before the limit is hit;
- optional token buckets for ``--rpm`` and ``--tpm`` (requests and tokens per
  minute), refilled continuously with one second's worth of burst.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from extractor.clock import REAL_CLOCK, Clock


class Bucket:
    """A token bucket refilled continuously at ``per_minute``; burst of one second."""

    def __init__(self, per_minute: float, clock: Clock = REAL_CLOCK) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate)
        self.tokens = self.capacity
        self.clock = clock
        self.stamp = clock.now()

    def wait_for(self, amount: float) -> float:
        """Seconds until ``amount`` is paid for; takes it now, into debt if need be."""
        now = self.clock.now()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        self.tokens -= amount  # a large request runs the bucket into debt, paid off in time
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


class Throttle:
    """Admits requests under the adaptive cap, the shared pause and the buckets."""

    def __init__(self, max_in_flight: int, rpm: float | None = None, tpm: float | None = None,
                 clock: Clock = REAL_CLOCK) -> None:
        self.clock = clock
        self.max_in_flight = max_in_flight
        self.cap = float(max_in_flight)
        self.in_flight = 0
        self.paused_until = 0.0
        self.requests = Bucket(rpm, clock) if rpm else None
        self.tokens = Bucket(tpm, clock) if tpm else None
        self.rate_limited = 0
        self._changed = asyncio.Condition()

    @asynccontextmanager
    async def slot(self, tokens: int = 0) -> AsyncIterator[None]:
        """Hold one request slot for the duration of a request."""
        await self._admit(tokens)
        try:
            yield
        finally:
            async with self._changed:
                self.in_flight -= 1
                self._changed.notify_all()

    async def _admit(self, tokens: int) -> None:
        async with self._changed:
            while self.in_flight >= max(1, int(self.cap)):
                await self._changed.wait()
            self.in_flight += 1
        delay = max(0.0, self.paused_until - self.clock.now())
        for bucket, amount in ((self.requests, 1.0), (self.tokens, float(tokens))):
            if bucket is not None:
                delay = max(delay, bucket.wait_for(amount))
        if delay > 0:
            await self.clock.sleep(delay)
        while (remaining := self.paused_until - self.clock.now()) > 0:
            await self.clock.sleep(remaining)

    def succeeded(self, headers: Mapping[str, str] | None = None) -> None:
        """Grow the cap additively; shrink it if the provider says little is left."""
        self.cap = min(float(self.max_in_flight), self.cap + 1.0 / max(1.0, self.cap))
        remaining = _int(headers, "x-ratelimit-remaining-requests") if headers else None
        if remaining is not None and remaining < self.in_flight:
            self.cap = max(1.0, float(remaining) + 1.0)

    def limited(self, retry_after: float | None) -> None:
        """A 429: halve the cap and pause everyone for the time the provider asked."""
        self.rate_limited += 1
        self.cap = max(1.0, self.cap / 2)
        wait = retry_after if retry_after is not None else 1.0
        self.paused_until = max(self.paused_until, self.clock.now() + wait)


def _int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return None if value is None else int(float(value))
    except ValueError:
        return None
