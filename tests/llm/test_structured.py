"""The instructor boundary: what is sent, how answers are checked, how re-asks behave."""

from __future__ import annotations

import json

import pytest
from fakeserver import CHAT_PATH, FakeLLMServer, answer
from helpers import ARTICLE, event, extract_via, extraction, figure, ungrounded_event

from extractor.grounding import ArticleChecks, validate_extraction
from extractor.llm.client import REASK_TEMPERATURE
from extractor.llm.structured import CheckedExtraction, request_body
from extractor.schema import Extraction
from extractor.settings import resolve_settings


def test_the_model_sees_the_schema_of_extraction_itself() -> None:
    assert CheckedExtraction.model_json_schema() == Extraction.model_json_schema()


def test_request_body_is_what_a_live_call_sends(llm_server: FakeLLMServer) -> None:
    import datetime as dt

    from extractor.articles import Article
    from extractor.prompting import load_prompt, render_messages

    messages = render_messages(load_prompt("default"), Article(id="article", text=ARTICLE, published=dt.date(2024, 11, 19)))
    for mode in ("tools", "json_schema", "json", "md_json"):
        llm_server.reset()
        llm_server.enqueue(answer(extraction(event())))
        assert extract_via(llm_server, mode=mode).status == "ok"
        sent = llm_server.requests[-1].body
        settings = resolve_settings(model="test-model", base_url=llm_server.base_url, mode=mode)
        assert request_body(settings, messages) == sent, mode


def test_checks_are_an_argument_and_an_article_with_braces_is_sent_literally(llm_server: FakeLLMServer) -> None:
    text = ARTICLE + " {{ secret }} {% if x %}literal{% endif %}"
    llm_server.enqueue(answer(extraction(event())))
    from extractor import extract

    result = extract(text, published="2024-11-19", base_url=llm_server.base_url, model="m", use_cache=False)
    assert result.status == "ok"
    assert "{{ secret }} {% if x %}literal{% endif %}" in json.dumps(llm_server.requests[-1].body, ensure_ascii=False)
    checks = ArticleChecks.of(ARTICLE)
    assert validate_extraction(extraction(event()), checks).events[0].killed is not None


def test_the_leak_check_runs_on_cached_answers_too() -> None:
    instructions = "You extract attack events from news articles following a fixed codebook carefully and well."
    leaked = event(killed=figure(2, "Two people were killed in Kharkiv", source=instructions))
    import pytest
    from pydantic import ValidationError

    validate_extraction(extraction(leaked), ArticleChecks.of(ARTICLE))  # no instructions given: no leak check
    with pytest.raises(ValidationError, match="repeats the extraction instructions"):
        validate_extraction(extraction(leaked), ArticleChecks.of(ARTICLE, instructions))


def test_a_reask_answered_with_the_same_answer_is_asked_again_warmer(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(*[answer(extraction(ungrounded_event()))] * 3)
    result = extract_via(llm_server, max_retries=2)
    assert result.status == "invalid" and llm_server.count(CHAT_PATH) == 3
    temperatures = [r.body["temperature"] for r in llm_server.requests if r.path == CHAT_PATH]
    assert temperatures == [0.0, 0.0, REASK_TEMPERATURE]


def test_a_reask_that_gets_a_new_answer_stays_at_the_set_temperature(llm_server: FakeLLMServer) -> None:
    llm_server.enqueue(answer(extraction(ungrounded_event())), answer(extraction(event(injured=None, killed=None))),
                       answer(extraction(event())))
    assert extract_via(llm_server, max_retries=2).status == "ok"
    temperatures = [r.body["temperature"] for r in llm_server.requests if r.path == CHAT_PATH]
    assert temperatures == [0.0, 0.0] and llm_server.take_unplayed() == 1


def test_the_checked_schema_is_built_once_and_handed_out_as_a_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    import instructor
    from pydantic import BaseModel

    from extractor.llm import structured
    from extractor.schema import Extraction

    assert issubclass(structured.CheckedExtraction, instructor.OpenAISchema)  # used as is, no class per call
    monkeypatch.setattr(structured, "_SCHEMAS", {})
    built = []
    real = BaseModel.model_json_schema.__func__  # type: ignore[attr-defined]

    def counting(cls: type[BaseModel], *args: object, **kwargs: object) -> dict[str, object]:
        built.append(cls)
        return dict(real(cls, *args, **kwargs))

    monkeypatch.setattr(BaseModel, "model_json_schema", classmethod(counting))
    first = structured.CheckedExtraction.model_json_schema()
    first["properties"].clear()
    second = structured.CheckedExtraction.model_json_schema()
    assert built == [structured.CheckedExtraction]  # built once, not on every call
    monkeypatch.undo()
    assert second == Extraction.model_json_schema()  # and the caller's change did not reach the cache
