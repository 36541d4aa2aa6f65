"""Long articles read in parts: the split, the merge of the parts' events, and the pipeline around them."""

from __future__ import annotations

from typing import Any

import pytest
from fakeserver import FakeLLMServer, answer
from helpers import event, extraction, figure

from extractor import extract
from extractor.chunks import merge_events, split_text
from extractor.errors import ConfigError
from extractor.grounding import EvidenceLocator
from extractor.schema import AttackEvent

NIGHTS = [
    ("Monday", "2024-11-18", "Odesa", 40, 31),
    ("Tuesday", "2024-11-19", "Kharkiv", 52, 47),
    ("Wednesday", "2024-11-20", "Dnipro", 65, 60),
]


def blog() -> str:
    """A live blog of three nights, each night's entry followed by filler paragraphs."""
    filler = "Officials said the work of the emergency services went on through the day in every district. "
    entries = []
    for day, _, city, launched, shot in NIGHTS:
        entries.append(f"{day}: Russia launched {launched} drones at Ukraine overnight into {day}, the Air Force "
                       f"said. Air defences shot down {shot} of them. Debris fell in {city}.")
        entries += [filler * 4] * 3
    return "Live: Russia's drone attacks on Ukraine\n\n" + "\n\n".join(entries)


def night(day: str, date: str, city: str, launched: int, shot: int) -> dict[str, Any]:
    return event(date=date, date_text=f"overnight into {day}", killed=None, injured=None, damage=[],
                 weapons=[{"category": "drone", "model": None,
                           "launched": figure(launched, f"Russia launched {launched} drones"),
                           "intercepted": figure(shot, f"Air defences shot down {shot} of them")}],
                 places=[{"name": city, "kind": "settlement", "region": None, "killed": None, "injured": None}])


def test_parts_cover_the_text_in_order_overlap_and_keep_sentences_whole() -> None:
    text = blog()
    parts = split_text(text, 1200)
    assert len(parts) > 3 and all(len(p.text) <= 1200 for p in parts)
    assert parts[0].start == 0 and parts[-1].end == len(text)
    for before, after in zip(parts, parts[1:], strict=False):
        assert after.start < before.end, "consecutive parts overlap"
        assert after.start > before.start and after.end > before.end, "each part reads something new"
        assert text[after.start - 1].isspace() and text[before.end - 1] in ".!?", "parts begin and end at sentences"
    assert all(text[p.start:p.end] == p.text for p in parts)


def test_a_paragraph_longer_than_a_part_is_cut_at_sentences_and_a_sentence_longer_than_one_at_words() -> None:
    paragraph = " ".join(f"Sentence {n} says little of note here." for n in range(60))
    parts = split_text(paragraph, 300)
    assert all(len(p.text) <= 300 for p in parts)
    assert all(p.text.startswith("Sentence") for p in parts)
    words = "word " * 400
    assert all(len(p.text) <= 100 for p in split_text(words, 100))


def test_a_long_sentence_after_short_ones_does_not_make_parts_that_repeat_each_other() -> None:
    text = " ".join(f"Short sentence {n}." for n in range(30)) + " " + "Long " * 190 + "end."
    parts = split_text(text, 1000)
    assert len(parts) == 2 and parts[-1].end == len(text)


def test_sentences_in_any_script_are_bounds() -> None:
    text = " ".join(f"Росія запустила {n} дронів по Одесі." for n in range(100))
    parts = split_text(text, 1000)
    assert all(p.text.startswith("Росія") and p.text.endswith("Одесі.") for p in parts)
    assert all(b.start < a.end for a, b in zip(parts, parts[1:], strict=False))


def test_a_short_text_is_one_part() -> None:
    assert [p.text for p in split_text("Short.", 100)] == ["Short."]


def test_events_of_one_date_merge_and_the_later_or_precise_figure_stands() -> None:
    text = ("Two people were killed in Kharkiv, officials said at first. By evening the toll "
            "rose to 5 killed in Kharkiv. More than 4 were killed, one report said. Later still, 9 were killed.")

    def killed(value: int, quote: str, qualifier: str = "exact") -> AttackEvent:
        return AttackEvent.model_validate(event(killed=figure(value, quote, qualifier), weapons=[], places=[]))

    first, update = killed(2, "Two people were killed in Kharkiv"), killed(5, "rose to 5 killed in Kharkiv")
    vaguer = killed(4, "More than 4 were killed", "more_than")
    (merged,) = merge_events([update, first, vaguer], EvidenceLocator(text))
    assert merged.killed is not None and merged.killed.value == 5  # the later "more than 4" says 5 vaguely
    (merged,) = merge_events([first, killed(9, "9 were killed")], EvidenceLocator(text))
    assert merged.killed is not None and merged.killed.value == 9  # an update: the latest


def test_an_undated_event_joins_the_one_of_its_sides_that_shares_a_place_and_other_dates_stay_apart() -> None:
    text = blog()
    events = [AttackEvent.model_validate(night(*n)) for n in NIGHTS]
    undated = AttackEvent.model_validate(night("Tuesday", "2024-11-19", "Kharkiv", 52, 47) | {"date": None})
    merged = merge_events([*events, undated], EvidenceLocator(text))
    assert [e.date for e in merged] == ["2024-11-18", "2024-11-19", "2024-11-20"]


def test_an_unknown_attacker_joins_the_named_one_sharing_a_place_whichever_comes_first() -> None:
    named = AttackEvent.model_validate(night(*NIGHTS[1]))
    unknown = AttackEvent.model_validate(night(*NIGHTS[1]) | {"attacker": "unknown"})
    elsewhere = AttackEvent.model_validate(night(*NIGHTS[1]) | {"attacker": "unknown", "places": []})
    for order in ([named, unknown], [unknown, named]):
        (merged,) = merge_events(order, EvidenceLocator(blog()))
        assert merged.attacker == "Russia"
    assert len(merge_events([named, elsewhere], EvidenceLocator(blog()))) == 2


def test_a_long_article_is_read_in_parts_and_its_record_says_how_many(llm_server: FakeLLMServer) -> None:
    text = blog()

    def respond(body: dict[str, Any]) -> Any:
        shown = body["messages"][-1]["content"]
        return answer(extraction(*[night(*n) for n in NIGHTS if f"overnight into {n[0]}" in shown]), form="json")

    llm_server.responder = respond
    result = extract(text, published="2024-11-20", base_url=llm_server.base_url, model="m", use_cache=False,
                     max_input_tokens=100_000, chunk_tokens=2800)
    assert result.status == "ok", result.errors
    record = result.to_record()
    assert record.chunks == len(llm_server.requests) and record.chunks > 1
    assert [(e.date, e.places[0].name, e.weapons[0].launched.value) for e in record.events  # type: ignore[union-attr]
            ] == [(d, city, launched) for _, d, city, launched, _ in NIGHTS]
    assert result.usage.prompt_tokens > 0


def test_the_same_article_whole_is_one_request(llm_server: FakeLLMServer) -> None:
    llm_server.responder = lambda body: answer(extraction(*[night(*n) for n in NIGHTS]), form="json")
    result = extract(blog(), published="2024-11-20", base_url=llm_server.base_url, model="m", use_cache=False)
    assert result.status == "ok" and result.to_record().chunks is None and len(llm_server.requests) == 1


def test_an_article_past_max_input_tokens_is_input_too_long_whole_or_in_parts(llm_server: FakeLLMServer) -> None:
    for chunk_tokens in (0, 2500):
        result = extract(blog(), base_url=llm_server.base_url, model="m", use_cache=False, max_input_tokens=2800,
                         chunk_tokens=chunk_tokens)
        assert result.status == "error" and result.reason is not None and result.reason.value == "input_too_long"
    assert llm_server.requests == []


def test_with_parts_off_a_long_article_is_sent_whole(llm_server: FakeLLMServer) -> None:
    llm_server.responder = lambda body: answer(extraction(*[night(*n) for n in NIGHTS]), form="json")
    result = extract(blog(), published="2024-11-20", base_url=llm_server.base_url, model="m", use_cache=False,
                     chunk_tokens=0)
    assert result.status == "ok" and result.to_record().chunks is None and len(llm_server.requests) == 1


def test_a_local_model_reads_in_parts_of_its_window_up_to_a_longer_article() -> None:
    from extractor.settings import LOCAL_INPUT_TOKENS, resolve_settings

    local = resolve_settings(model="local:qwen2.5-coder-1.5b")
    assert local.chunk_window == LOCAL_INPUT_TOKENS < local.max_input_tokens
    hosted = resolve_settings(model="gpt-4.1-mini", base_url="http://127.0.0.1:9/v1")
    assert hosted.chunk_window == hosted.max_input_tokens
    assert resolve_settings(model="local:qwen2.5-coder-1.5b", chunk_tokens=0).chunk_window == 0


def test_a_part_that_fails_names_itself_and_no_record_is_half_made(llm_server: FakeLLMServer) -> None:
    def respond(body: dict[str, Any]) -> Any:
        shown = body["messages"][-1]["content"]
        if "overnight into Wednesday" in shown:
            return answer({"events": [{"role": "main"}]}, form="json")
        return answer(extraction(), form="json")

    llm_server.responder = respond
    result = extract(blog(), base_url=llm_server.base_url, model="m", use_cache=False, max_retries=0,
                     max_input_tokens=100_000, chunk_tokens=2800)
    assert result.status == "invalid" and result.events == []
    assert any(e.startswith("part ") and " of " in e for e in result.errors), result.errors


def test_a_part_the_server_fails_on_names_itself(llm_server: FakeLLMServer) -> None:
    from fakeserver import server_error

    def respond(body: dict[str, Any]) -> Any:
        shown = body["messages"][-1]["content"]
        if "overnight into Wednesday" in shown:
            return server_error(400, message="no")
        return answer(extraction(), form="json")

    llm_server.responder = respond
    result = extract(blog(), base_url=llm_server.base_url, model="m", use_cache=False, max_retries=0,
                     max_input_tokens=100_000, chunk_tokens=2800)
    assert result.status == "error" and result.events == [] and "part " in result.errors[0], result.errors


def test_a_window_too_small_for_the_prompt_is_one_clear_error(llm_server: FakeLLMServer) -> None:
    result = extract(blog(), base_url=llm_server.base_url, model="m", use_cache=False, chunk_tokens=300)
    assert result.status == "error" and "--chunk-tokens 300" in result.errors[0]
    assert llm_server.requests == []


def test_a_negative_window_is_refused() -> None:
    with pytest.raises(ConfigError, match="--chunk-tokens"):
        extract(blog(), base_url="http://127.0.0.1:9/v1", model="m", chunk_tokens=-1)
