"""The request pacer: halves on a 429, pauses everyone, grows back, heeds remaining-requests."""

from __future__ import annotations

import asyncio
import time

import pytest
from helpers import FakeClock

from extractor.llm.throttle import Bucket, Throttle, Window


def test_a_429_halves_the_cap_and_pauses_every_request() -> None:
    throttle = Throttle(max_in_flight=8)
    assert throttle.cap == 4.0  # slow start: a provider's limit is unknown until it says
    throttle.limited(retry_after=0.3)
    assert throttle.cap == 2.0

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


def test_slow_start_grows_by_one_a_success_until_the_first_429() -> None:
    throttle = Throttle(max_in_flight=32)
    for _ in range(10):
        throttle.succeeded({})
    assert throttle.cap == 14.0
    throttle.limited(retry_after=0.0)
    throttle.succeeded({})
    assert throttle.cap == pytest.approx(7.0 + 1 / 7)


def test_a_stated_limit_sets_the_window_and_opens_the_cap() -> None:
    clock = FakeClock()
    throttle = Throttle(max_in_flight=32, clock=clock)
    throttle.succeeded({"x-ratelimit-limit-requests": "1200", "x-ratelimit-remaining-requests": "0"})
    assert throttle.requests is not None and throttle.requests.per_minute == 1200 and throttle.cap == 32.0
    waits = [throttle.requests.wait_for() for _ in range(41)]
    assert waits[0] == 0.0  # then one every 51 ms: 20 a second less the margin
    assert waits[20] == pytest.approx(1.02) and waits[40] == pytest.approx(2.04)


def test_an_rpm_window_never_lets_more_than_rpm_over_60_into_a_second() -> None:
    clock = FakeClock()
    window = Window(1200, clock)
    sends = []
    for _ in range(200):
        sends.append(clock.now() + window.wait_for())
        clock.time += 0.013  # requests keep coming faster than the limit
    for index, sent in enumerate(sends):
        assert sum(1 for other in sends if sent <= other < sent + 1.0) <= 20, index
    assert min(b - a for a, b in zip(sends, sends[1:], strict=False)) == pytest.approx(0.051)  # evenly spaced, not bursts
    slow = Window(30, clock)  # below 60 rpm: one every two seconds
    assert [slow.wait_for(), slow.wait_for()] == pytest.approx([0.0, 2.04])


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


def test_a_request_cancelled_while_it_waits_for_its_slot_gives_the_slot_back() -> None:
    async def scenario() -> int:
        throttle = Throttle(max_in_flight=2, rpm=60)  # one a second: the second request waits
        async with throttle.slot():
            waiting = asyncio.ensure_future(throttle.slot().__aenter__())
            await asyncio.sleep(0.05)
            assert throttle.in_flight == 2
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
        return throttle.in_flight

    assert asyncio.run(scenario()) == 0


def test_a_newly_stated_limit_keeps_the_slots_already_promised() -> None:
    clock = FakeClock()
    throttle = Throttle(max_in_flight=8, rpm=None, clock=clock)
    throttle.learn({"x-ratelimit-limit-requests": "60"})
    assert throttle.requests is not None
    promised = [throttle.requests.wait_for() for _ in range(3)]  # 0, 1.02, 2.04 s from now
    throttle.learn({"x-ratelimit-limit-requests": "120"})
    assert promised == pytest.approx([0.0, 1.02, 2.04])
    assert throttle.requests.wait_for() == pytest.approx(3.06)  # after the last promised slot, not on it


def test_a_429_moves_the_request_window_past_its_pause() -> None:
    clock = FakeClock()
    throttle = Throttle(max_in_flight=8, rpm=1200, clock=clock)
    assert throttle.requests is not None and throttle.requests.wait_for() == 0.0
    throttle.limited(retry_after=0.5)
    assert throttle.requests.wait_for() == pytest.approx(0.5)  # the schedule resumes after the pause
    assert throttle.requests.wait_for() == pytest.approx(0.551)  # and goes on evenly from there
