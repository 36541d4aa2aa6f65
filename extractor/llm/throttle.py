"""The pace of requests to a provider: as fast as its limits allow, and no faster.

Four brakes, all per run and shared by every article in flight:

- a request window: at most rpm/60 requests in any one second, the way
  providers quantize a per-minute limit, sent evenly spaced. Its rate is ``--rpm`` when given,
  else learned from the provider's ``x-ratelimit-limit-requests`` header on
  the first answer that carries it: pacing to a stated limit beats finding
  it by 429s;
- an adaptive cap on requests in flight: it starts at ``INITIAL_CAP`` (a
  burst of 32 at a provider whose limit is unknown would earn a volley of
  429s), grows by one per success until the first 429 (slow start), then by
  one per cap's worth of successes, and halves on every 429; it never goes
  above ``--concurrency``, which it reaches at once when the rate is known,
  since the request window then does the pacing;
- a pause for everyone until a 429's ``Retry-After`` has passed, so the
  requests in flight do not each discover the limit on their own; without a
  window, the ``x-ratelimit-remaining-requests`` header of a success lowers
  the cap before the limit is hit;
- an optional token bucket for ``--tpm``, refilled continuously with one
  second's worth of burst.
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


class Window:
    """At most rpm/60 requests in any one second (one per ``60/rpm`` seconds below 60 rpm), spaced evenly.

    Sends go out one ``interval`` apart rather than in a burst of rpm/60 at
    each second's start: a burst leaves the client as a queue (each request
    is built and written in turn), so its last requests arrive late, and a
    provider counting arrivals in a sliding second then sees the next burst's
    first requests inside the same second (measured: 5-7% of requests
    answered 429 at 1,200 rpm). Evenly spaced, a request's arrival would have
    to slip by ``rpm/60 * (MARGIN - 1)`` intervals' worth before two seconds'
    requests overlapped. Each admission reserves its moment, so concurrent
    waiters take successive slots instead of all waking at once.
    """

    # Sends are spaced a little wider than the limit, so that arrival jitter on
    # the way to the provider does not put rpm/60 + 1 into one of its seconds.
    MARGIN = 1.02

    def __init__(self, per_minute: float, clock: Clock = REAL_CLOCK) -> None:
        self.per_minute = per_minute
        self.interval = 60.0 / per_minute * self.MARGIN
        self.clock = clock
        self.next_free = clock.now()

    def wait_for(self) -> float:
        """Seconds until the next request may go; its slot is taken now."""
        now = self.clock.now()
        start = max(now, self.next_free)
        self.next_free = start + self.interval
        return start - now


INITIAL_CAP = 4


class Throttle:
    """Admits requests under the adaptive cap, the shared pause, the request window and the token bucket."""

    def __init__(self, max_in_flight: int, rpm: float | None = None, tpm: float | None = None,
                 clock: Clock = REAL_CLOCK) -> None:
        self.clock = clock
        self.max_in_flight = max_in_flight
        self.cap = float(max_in_flight if rpm else min(max_in_flight, INITIAL_CAP))
        self.slow_start = True
        self.in_flight = 0
        self.paused_until = 0.0
        self.requests = Window(rpm, clock) if rpm else None
        self.learns_rate = rpm is None
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
            await self._release()

    async def _release(self) -> None:
        async with self._changed:
            self.in_flight -= 1
            self._changed.notify_all()

    async def _admit(self, tokens: int) -> None:
        async with self._changed:
            while self.in_flight >= max(1, int(self.cap)):
                await self._changed.wait()
            self.in_flight += 1
        try:
            await self._wait_for_turn(tokens)
        except BaseException:  # cancelled while waiting: the slot was never used
            await self._release()
            raise

    async def _wait_for_turn(self, tokens: int) -> None:
        """Wait out pauses, the request window and the token bucket."""
        delay = self.tokens.wait_for(float(tokens)) if self.tokens is not None else 0.0
        while True:
            await self._wait_out_pause()
            seen = self.rate_limited
            if self.requests is not None:
                delay = max(delay, self.requests.wait_for())
            if delay > 0:
                await self.clock.sleep(delay)
            if self.rate_limited == seen or self.paused_until <= self.clock.now():
                return
            delay = 0.0  # a 429 came while this request waited for its slot: take a new one after the pause

    async def _wait_out_pause(self) -> None:
        while (remaining := self.paused_until - self.clock.now()) > 0:
            await self.clock.sleep(remaining)

    def succeeded(self, headers: Mapping[str, str] | None = None) -> None:
        """Grow the cap; learn the stated rate; without a window, shrink the cap if little is left."""
        step = 1.0 if self.slow_start else 1.0 / max(1.0, self.cap)
        self.cap = min(float(self.max_in_flight), self.cap + step)
        self.learn(headers)
        remaining = _int(headers, "x-ratelimit-remaining-requests") if headers else None
        if self.requests is None and remaining is not None and remaining < self.in_flight:
            self.cap = max(1.0, float(remaining) + 1.0)

    def learn(self, headers: Mapping[str, str] | None) -> None:
        """Pace to the provider's stated requests-per-minute limit, once it states one."""
        limit = _int(headers, "x-ratelimit-limit-requests") if headers else None
        if self.learns_rate and limit and (self.requests is None or self.requests.per_minute != limit):
            window = Window(float(limit), self.clock)
            if self.requests is not None:  # slots already promised to waiters stay promised
                window.next_free = max(window.next_free, self.requests.next_free)
            self.requests = window
            if self.slow_start:
                self.cap = float(self.max_in_flight)

    def limited(self, retry_after: float | None, headers: Mapping[str, str] | None = None) -> None:
        """A 429: halve the cap and pause everyone for the time the provider asked."""
        self.rate_limited += 1
        self.slow_start = False
        self.learn(headers)
        self.cap = max(1.0, self.cap / 2)
        wait = retry_after if retry_after is not None else 1.0
        self.paused_until = max(self.paused_until, self.clock.now() + wait)
        if self.requests is not None:  # the schedule resumes after the pause, not with a burst of missed slots
            self.requests.next_free = max(self.requests.next_free, self.paused_until)


def _int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return None if value is None else int(float(value))
    except ValueError:
        return None
