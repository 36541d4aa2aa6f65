"""The ``ask`` strategy: the offline model's unread counts become closed questions, the answers fill its gaps."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fakeserver import FakeLLMServer, answer

from extractor import extract
from extractor.articles import Article
from extractor.assembly.ask import Answers, assemble_answers, questions_of
from extractor.rules import extract_rules

PUBLISHED = dt.date(2024, 11, 20)
# The offline model reads "Two people were killed" and the 60 drones; it leaves the toll's update
# ("stood at 51") and the 14 wounded of Kharkiv unread.
ARTICLE = (
    "KYIV, Nov. 20 - Russia launched 60 drones at Ukraine overnight, the air force said. "
    "Two people were killed in Kharkiv, where a 62-year-old man's home burned for 3 hours in 2024's worst fire. "
    "By the evening the death toll stood at 51 and the number of wounded in Kharkiv reached 14. "
    "The mayor said repairs would cost $5 million and take 12 days."
)


def article(text: str = ARTICLE) -> Article:
    return Article(id="a1", text=text, published=PUBLISHED)


def test_only_counts_the_offline_model_left_unread_are_asked_and_measures_are_not_counts() -> None:
    questions = questions_of(ARTICLE, PUBLISHED)
    assert [c.words for c in questions.candidates] == ["51", "14"]
    rendered = questions.render(ARTICLE).splitlines()
    assert rendered == [
        "1. By the evening the death toll stood at [[51]] and the number of wounded in Kharkiv reached 14.",
        "2. By the evening the death toll stood at 51 and the number of wounded in Kharkiv reached [[14]]."]


def test_a_part_of_a_count_a_count_already_read_and_no_one_are_not_asked() -> None:
    text = ("Russia launched 60 drones at Dnipro overnight. Officials said 31 people were wounded, four of them "
            "children, 19 of whom remain in hospital. Another 60 were hurt later, among them five children. "
            "No one was killed at the plant, and drones came one after another.")
    assert [c.words for c in questions_of(text, PUBLISHED).candidates] == ["31"]


def test_answers_fill_the_offline_events_gaps_and_overwrite_nothing() -> None:
    rules = extract_rules(ARTICLE, PUBLISHED).events[0]
    assert rules.killed is not None and rules.killed.value == 2 and rules.injured is None
    events = assemble_answers(Answers(answers={"1": "killed", "2": "injured"}), article())["events"]
    assert len(events) == 1
    event = events[0]
    assert event["killed"]["value"] == 2, "the offline model's toll stands"
    kharkiv = next(p for p in event["places"] if p["name"] == "Kharkiv")
    assert kharkiv["injured"]["value"] == 14 and kharkiv["injured"]["evidence"] in ARTICLE
    assert event["injured"]["value"] == 14, "one place: its toll is the event's too"


def test_other_and_missing_answers_add_nothing_and_loose_words_are_read() -> None:
    rules = extract_rules(ARTICLE, PUBLISHED).model_dump(mode="json")["events"]
    assert assemble_answers(Answers(answers={"1": "other"}), article())["events"] == rules
    said = {"answers": ["Wounded", "shot down", "buildings", {"answer": "dead"}]}
    assert Answers.model_validate(said).answers == {"1": "injured", "2": "intercepted", "3": "other", "4": "killed"}
    assert Answers.model_validate({"answers": {"[2]": "killed", "x": "injured"}}).answers == {"2": "killed"}


def test_a_label_its_words_do_not_bear_out_is_not_taken() -> None:
    rules = extract_rules(ARTICLE, PUBLISHED).model_dump(mode="json")["events"]
    # "wounded ... reached 14" is no weapon count: the model's "launched" is refused, nothing is added.
    assert assemble_answers(Answers(answers={"2": "launched"}), article())["events"] == rules


def test_a_shot_down_count_is_filed_under_the_weapon_it_names() -> None:
    text = "Russia attacked Odesa with drones overnight, the air force said. The tally of downed drones reached 37."
    questions = questions_of(text, PUBLISHED)
    assert [c.words for c in questions.candidates] == ["37"]
    events = assemble_answers(Answers(answers={"1": "intercepted"}), article(text))["events"]
    drone = next(w for w in events[0]["weapons"] if w["category"] == "drone")
    assert drone["intercepted"]["value"] == 37


def test_an_article_with_nothing_unread_is_not_sent_and_one_with_questions_sends_only_them(
        llm_server: FakeLLMServer) -> None:
    read = "Russia launched 60 drones at Ukraine overnight, the air force said. Two people were killed in Kharkiv."
    result = extract(read, published=PUBLISHED.isoformat(), base_url=llm_server.base_url, model="m", prompt="ask",
                     use_cache=False)
    assert result.status == "ok" and not llm_server.requests
    assert result.extraction == extract_rules(read, PUBLISHED)

    def respond(body: dict[str, Any]) -> Any:
        return answer({"answers": {"1": "killed", "2": "injured"}}, form="json")

    llm_server.responder = respond
    result = extract(ARTICLE, published=PUBLISHED.isoformat(), base_url=llm_server.base_url, model="m", prompt="ask",
                     use_cache=False, mode="json")
    assert result.status == "ok", result.errors
    assert len(llm_server.requests) == 1
    sent = llm_server.requests[0].body["messages"][-1]["content"]
    assert "[[51]]" in sent and "launched 60 drones" not in sent, "the sentences asked about, not the article"
    assert result.events[0].places[0].injured is not None


def test_a_long_article_past_the_local_window_is_read_whole_and_only_its_unread_counts_are_sent(
        llm_server: FakeLLMServer) -> None:
    from extractor.settings import LOCAL_INPUT_TOKENS

    filler = "Officials said the work of the emergency services went on through the day in every district. "
    days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    nights = [f"On {day} night Russia launched {40 + n} drones at Odesa, the air force said. By morning the number "
              f"of wounded in Odesa had reached {n + 1}. " + filler * 70 for n, day in enumerate(days)]
    text = "Live: Russia's drone attacks on Odesa\n\n" + "\n\n".join(nights)
    assert len(text) // 4 > LOCAL_INPUT_TOKENS  # past a local model's window: the figures strategy reads it in parts
    llm_server.responder = lambda body: answer({"answers": {str(n): "injured" for n in range(1, 30)}}, form="json")
    result = extract(text, published=PUBLISHED.isoformat(), base_url=llm_server.base_url, model="m", prompt="ask",
                     use_cache=False, mode="json", chunk_tokens=LOCAL_INPUT_TOKENS, max_input_tokens=100_000)
    assert result.status == "ok", result.errors
    assert len(llm_server.requests) == 1 and result.to_record().chunks is None
    sent = llm_server.requests[0].body["messages"][-1]["content"]
    assert len(sent) < 3_000 and all(f"had reached [[{n + 1}]]" in sent for n in range(len(days)))
    assert any(p.injured is not None for e in result.events for p in e.places)


def test_the_answer_is_bounded_by_the_questions_and_an_unusable_one_leaves_the_offline_reading(
        llm_server: FakeLLMServer) -> None:
    from fakeserver import raw

    llm_server.responder = lambda body: raw("I think the first number is a toll.")
    result = extract(ARTICLE, published=PUBLISHED.isoformat(), base_url=llm_server.base_url, model="m", prompt="ask",
                     use_cache=False, mode="json", max_retries=0)
    assert result.status == "ok" and result.extraction == extract_rules(ARTICLE, PUBLISHED)
    assert result.errors and "offline model's reading stands" in result.errors[0]
    assert llm_server.requests[0].body["max_tokens"] == 32 + 12 * 2, "two questions, about ten tokens each"


def test_a_count_is_filed_on_the_offline_event_whose_place_its_sentence_names() -> None:
    text = ("KYIV, Nov. 20 - Russia launched 60 drones at Odesa overnight, the air force said. Two people were "
            "killed in Odesa. Separately, Ukraine's drones struck the Russian city of Belgorod on Sunday, killing "
            "one. By evening the number of wounded in Belgorod had reached 9.")
    events = extract_rules(text, PUBLISHED).events
    assert [e.places[0].name for e in events] == ["Odesa", "Belgorod"]
    assert [c.words for c in questions_of(text, PUBLISHED).candidates] == ["9"]
    assembled = assemble_answers(Answers(answers={"1": "injured"}), article(text))["events"]
    assert assembled[0]["injured"] is None and assembled[1]["places"][0]["injured"]["value"] == 9


def test_an_article_too_long_for_max_input_tokens_is_refused_though_its_questions_are_short(
        llm_server: FakeLLMServer) -> None:
    text = ARTICLE + " The mayor spoke of the work ahead." * 400
    result = extract(text, published=PUBLISHED.isoformat(), base_url=llm_server.base_url, model="m", prompt="ask",
                     use_cache=False, max_input_tokens=2_000)
    assert result.status == "error" and result.reason == "input_too_long" and not llm_server.requests


def test_counts_with_no_offline_event_to_join_are_not_asked(llm_server: FakeLLMServer) -> None:
    text = "The company produces 300 drones a month and plans to build 4 missile plants."
    assert questions_of(text, PUBLISHED).candidates and not extract_rules(text, PUBLISHED).events
    result = extract(text, published=PUBLISHED.isoformat(), base_url=llm_server.base_url, model="m", prompt="ask",
                     use_cache=False)
    assert result.status == "ok" and result.events == [] and not llm_server.requests
    assert Answers.model_validate({"answers": {"01": "killed"}}).answers == {"1": "killed"}
