"""The model path against the local server: real openai client, real instructor.

Each answer form in its instructor mode, and what reaches the model. The
faults (retries, re-asks, refusals, ...) are in test_reliability.py.
"""

from __future__ import annotations

import pytest
from fakeserver import CHAT_PATH, FakeLLMServer, answer
from helpers import ARTICLE, event, extract_via, extraction

from extractor import extract

run = extract_via


@pytest.mark.parametrize(
    ("mode", "form"),
    [("tools", "tools"), ("json_schema", "json"), ("json", "json"), ("md_json", "markdown")],
)
def test_each_answer_form_parses_in_its_mode(llm_server: FakeLLMServer, mode: str, form: str) -> None:
    llm_server.enqueue(answer(extraction(event()), form=form))  # type: ignore[arg-type]
    result = run(llm_server, mode=mode)
    assert result.status == "ok", result.errors
    assert result.to_record()["events"] == [event()]
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
