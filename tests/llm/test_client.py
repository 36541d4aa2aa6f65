"""The model path against the local server: real openai client, real instructor.

Each answer form in its instructor mode, and what reaches the model. The
faults (retries, re-asks, refusals, ...) are in test_reliability.py.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from fakeserver import CHAT_PATH, FakeLLMServer, answer, rate_limited, refusal, truncated
from helpers import ARTICLE, event, extract_via, extraction, figure

from extractor import extract, extract_many

run = extract_via


@pytest.mark.parametrize(
    ("mode", "form"),
    [("tools", "tools"), ("json_schema", "json"), ("json", "json"), ("md_json", "markdown")],
)
def test_each_answer_form_parses_in_its_mode(llm_server: FakeLLMServer, mode: str, form: str) -> None:
    llm_server.enqueue(answer(extraction(event()), form=form))  # type: ignore[arg-type]
    result = run(llm_server, mode=mode)
    assert result.status == "ok", result.errors
    assert result.to_record().to_json()["events"] == [event()]
    assert llm_server.count(CHAT_PATH) == 1


def test_tools_mode_sends_the_schema_as_a_tool(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(answer(extraction()))
    run(llm_server, mode="tools")
    body = llm_server.requests[-1].body
    assert body["tools"][0]["function"]["name"] == "Extraction"
    assert body["temperature"] == 0.0
    assert body["model"] == "test-model"


def test_local_base_url_defaults_to_json_schema_mode(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(answer(extraction(event()), form="json"))
    assert run(llm_server).status == "ok"
    assert llm_server.requests[-1].body["response_format"]["type"] == "json_schema"


def test_article_text_reaches_the_model_literally(llm_server: FakeLLMServer) -> None:
    text = ARTICLE + " Odd text: {{ 7*7 }} {% if x %} $x ${y}"
    llm_server.enqueue(answer(extraction()))
    result = extract(text, base_url=llm_server.base_url, model="m", use_cache=False)
    assert result.status == "ok"
    user = llm_server.requests[-1].body["messages"][-1]["content"]
    assert "{{ 7*7 }} {% if x %} $x ${y}" in user
    assert "49" not in user


def test_publication_date_reaches_the_prompt(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(answer(extraction()))
    run(llm_server)
    assert "Publication date: 2024-11-19" in llm_server.requests[-1].body["messages"][-1]["content"]


@pytest.mark.slow
def test_a_long_retry_after_fails_its_article_without_stalling_the_others(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(rate_limited(retry_after=120))
    llm_server.responder = lambda body: answer(extraction(event()))
    started = time.monotonic()
    results = list(extract_many([ARTICLE, ARTICLE + " Second."], base_url=llm_server.base_url, model="m",
                                use_cache=False, concurrency=1, max_retry_wait=1.0))
    assert sorted(r.status for r in results) == ["error", "ok"]
    assert time.monotonic() - started < 10


def test_tokens_of_refusals_and_truncations_are_counted(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(answer({"events": [{"role": "x"}]}, usage=(100, 10)), refusal())
    refused = extract_via(llm_server)
    assert refused.errors[0].startswith("refused")
    assert refused.usage.prompt_tokens > 100  # the invalid answer and the refusal both cost
    llm_server.enqueue(truncated(extraction(event())))
    cut = extract_via(llm_server)
    assert cut.errors[0].startswith("truncated") and cut.usage.completion_tokens > 0


def test_instructions_cannot_leak_through_a_figures_source(llm_server: FakeLLMServer) -> None:
    seen: dict[str, str] = {}

    def leaky_then_clean(body: dict[str, Any]) -> Any:
        seen.setdefault("system", body["messages"][0]["content"])
        if llm_server.count(CHAT_PATH) == 1:
            return answer(extraction(event(killed=figure(2, "Two people were killed in Kharkiv", source=seen["system"][:300]))))
        return answer(extraction(event()))

    llm_server.responder = leaky_then_clean
    result = extract_via(llm_server)
    assert result.status == "ok" and llm_server.count(CHAT_PATH) == 2
    assert seen["system"][:80] not in result.to_record().line()
