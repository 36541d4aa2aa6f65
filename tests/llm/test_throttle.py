"""The request pacer: halves on a 429, pauses everyone, grows back, heeds remaining-requests."""

from __future__ import annotations

import asyncio
import time

import pytest

from extractor.llm.throttle import Bucket, Throttle


def test_a_429_halves_the_cap_and_pauses_every_request() -> None:
    throttle = Throttle(max_in_flight=8)
    throttle.limited(retry_after=0.3)
    assert throttle.cap == 4.0

    async def one_request() -> float:
        started = time.monotonic()
        async with throttle.slot():
            return time.monotonic() - started

    waits = asyncio.run(_gather(one_request, 3))
    assert all(wait >= 0.25 for wait in waits)  # none went before the asked wait


def test_successes_grow_the_cap_back_but_not_past_the_maximum() -> None:
    throttle = Throttle(max_in_flight=4)
    throttle.limited(retry_after=0.0)
    throttle.limited(retry_after=0.0)
    assert throttle.cap == 1.0
    for _ in range(50):
        throttle.succeeded({})
    assert throttle.cap == 4.0


def test_few_remaining_requests_lower_the_cap_before_the_limit_is_hit() -> None:
    throttle = Throttle(max_in_flight=16)
    throttle.in_flight = 10
    throttle.succeeded({"x-ratelimit-remaining-requests": "2"})
    assert throttle.cap == 3.0


def test_the_cap_bounds_requests_in_flight() -> None:
    throttle = Throttle(max_in_flight=2)
    peak = 0

    async def one_request() -> float:
        nonlocal peak
        async with throttle.slot():
            peak = max(peak, throttle.in_flight)
            await asyncio.sleep(0.02)
        return 0.0

    asyncio.run(_gather(one_request, 6))
    assert peak == 2


async def _gather(make, count: int) -> list[float]:  # type: ignore[no-untyped-def]
    return list(await asyncio.gather(*(make() for _ in range(count))))


def test_the_token_bucket_charges_a_large_request_in_full() -> None:
    bucket = Bucket(per_minute=60_000)  # 1,000 tokens a second
    assert bucket.wait_for(1_000) == 0.0
    assert bucket.wait_for(5_000) == pytest.approx(5.0, abs=0.05)
