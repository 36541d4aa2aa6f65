"""Transport retries on a fake clock: the waits are asserted, not waited for."""

from __future__ import annotations

from fakeserver import CHAT_PATH, FakeLLMServer, answer, rate_limited, server_error
from helpers import FakeClock, event, extract_with_clock, extraction


def test_backoff_grows_exponentially_with_jitter(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(*[server_error()] * 4, answer(extraction(event())))
    clock = FakeClock()
    assert extract_with_clock(llm_server, clock).status == "ok"
    assert llm_server.count(CHAT_PATH) == 5
    assert len(clock.slept) == 4  # one wait before each resend: the loop below cannot pass on none
    for attempt, wait in enumerate(clock.slept, start=1):
        backoff = 0.5 * 2 ** (attempt - 1)
        assert backoff / 2 <= wait <= backoff


def test_attempts_are_bounded(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(*[server_error()] * 9)
    clock = FakeClock()
    result = extract_with_clock(llm_server, clock)
    assert result.status == "error" and result.errors[0].startswith("server_error: ")
    assert llm_server.count(CHAT_PATH) == 5 and len(clock.slept) == 4 and llm_server.take_unplayed() == 4


def test_total_wait_is_bounded_on_the_clock(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(*[rate_limited(retry_after=20, with_ms=False)] * 9)
    clock = FakeClock()
    result = extract_with_clock(llm_server, clock, max_total_wait=50.0)
    assert result.status == "error" and result.errors[0].startswith("rate_limited: ")
    # two waits of 20 s fit in 50 s; a third would pass it, so the third failure is final
    assert llm_server.count(CHAT_PATH) == 3 and llm_server.take_unplayed() == 6


def test_a_retry_after_longer_than_allowed_is_not_waited_for(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(rate_limited(retry_after=600, with_ms=False), answer(extraction(event())))
    clock = FakeClock()
    result = extract_with_clock(llm_server, clock, max_retry_wait=60.0)
    assert result.status == "error" and llm_server.count(CHAT_PATH) == 1 and llm_server.take_unplayed() == 1
    assert max(clock.slept, default=0.0) <= 60.0
