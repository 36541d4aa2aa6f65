"""The figures answer assembled into codebook events: dates, places, weapons, tolls, qualifiers, sources."""

from __future__ import annotations

import datetime as dt
from typing import Any

from extractor.articles import Article
from extractor.assembly.draft import render_draft
from extractor.assembly.figures import Figures, assemble, read_count, resolve_date
from extractor.grounding import ArticleChecks, validate_extraction
from extractor.rules import extract_rules

TEXT = (
    "KYIV, Nov. 19 - Russia launched around 120 drones and three Kh-101 missiles at Ukraine overnight, "
    "the Ukrainian Air Force said. Air defences shot down 100 drones. Two people were killed in Kharkiv, "
    "where an apartment block was hit. At least five people were injured in Odesa.\n"
    "Ukrainian drones struck an oil refinery in Ryazan on Monday, the governor said."
)
ARTICLE = Article(id="a", text=TEXT, published=dt.date(2024, 11, 19))


def line(kind: str, value: int, quote: str, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "value": value, "quote": quote, **extra}


def figures(*attacks: dict[str, Any]) -> Figures:
    return Figures.model_validate({"attacks": list(attacks)}, context=ArticleChecks.of(TEXT).context)


def test_an_answer_becomes_valid_grounded_codebook_events() -> None:
    answer = figures({
        "attacker": "Russia", "target": "Ukraine", "when": "overnight", "places": ["Kharkiv", "Odessa"],
        "damage": ["apartment block"],
        "figures": [
            line("launched", 120, "launched around 120 drones", weapon="drone"),
            line("launched", 3, "three Kh-101 missiles", weapon="missile", model="X-101"),
            line("intercepted", 100, "Air defences shot down 100 drones", weapon="drones"),
            line("killed", 2, "Two people were killed in Kharkiv", place="Kharkiv"),
            line("injured", 5, "At least five people were injured in Odesa", place="Odesa"),
        ],
    })
    (event,) = validate_extraction(assemble(answer, ARTICLE), ArticleChecks.of(TEXT)).events
    assert (event.attacker, event.target_country, event.date, event.date_text) == (
        "Russia", "Ukraine", "2024-11-19", "overnight")
    weapons = {(w.category, w.model): w for w in event.weapons}
    drone = weapons[("drone", None)]
    assert drone.launched is not None and drone.launched.qualifier == "approximately"
    assert drone.launched.source == "Ukrainian Air Force"
    assert drone.intercepted is not None and drone.intercepted.value == 100
    assert weapons[("cruise_missile", "Kh-101")].launched.value == 3  # type: ignore[union-attr]  # the model fixes it
    places = {p.name: p for p in event.places}
    assert set(places) == {"Kharkiv", "Odesa"}  # Odessa named as the codebook spells it
    assert places["Kharkiv"].killed.value == 2  # type: ignore[union-attr]
    assert places["Odesa"].injured.qualifier == "at_least"  # type: ignore[union-attr]
    assert event.killed is None  # a toll tied to one of two places stays on the place
    assert event.damage == ["residential"]


def test_attacks_of_one_event_are_merged_and_other_sides_kept_apart() -> None:
    answer = figures(
        {"attacker": "Russia", "when": "overnight", "places": ["Kharkiv"],
         "figures": [line("killed", 2, "Two people were killed in Kharkiv", place="Kharkiv")]},
        {"attacker": "Russian forces", "when": "overnight", "places": ["Odesa"], "figures": []},
        {"attacker": "Ukraine", "target": "Russia", "when": "on Monday", "places": ["Ryazan"], "role": "background",
         "weapons": ["drones"], "damage": ["oil refinery"]},
    )
    events = assemble(answer, ARTICLE)["events"]
    assert [(e["attacker"], e["target_country"], e["date"]) for e in events] == [
        ("Russia", "Ukraine", "2024-11-19"), ("Ukraine", "Russia", "2024-11-18")]
    assert [p["name"] for p in events[0]["places"]] == ["Kharkiv", "Odesa"]
    assert events[1]["damage"] == ["fuel"] and events[1]["weapons"][0]["category"] == "drone"


def test_a_single_place_toll_is_also_the_events_and_unknown_places_are_dropped() -> None:
    answer = figures({"attacker": "Russia", "when": "overnight", "places": ["Kharkiv", "the central square"],
                      "figures": [line("killed", 2, "Two people were killed in Kharkiv", place="Kharkiv")]})
    (event,) = assemble(answer, ARTICLE)["events"]
    assert [p["name"] for p in event["places"]] == ["Kharkiv"]
    assert event["killed"]["value"] == 2


def test_a_figure_whose_quote_does_not_state_it_is_dropped_and_an_attack_with_nothing_too() -> None:
    answer = figures({"attacker": "Russia", "when": "overnight",
                      "figures": [line("launched", 7, "Air defences shot down 100 drones", weapon="drone")]})
    assert read_count("Air defences shot down 100 drones", 7) == (100, "exact")  # the only number: a misreading
    two_numbers = figures({"attacker": "Russia", "when": "overnight", "places": [],
                           "figures": [line("launched", 7, "around 120 drones and three Kh-101 missiles")]})
    assert assemble(two_numbers, ARTICLE)["events"] == []
    assert assemble(answer, ARTICLE)["events"][0]["weapons"][0]["launched"]["value"] == 100


def test_near_miss_quotes_are_snapped_to_the_articles_words() -> None:
    answer = figures({"attacker": "Russia", "places": ["Kharkiv"],
                      "figures": [line("killed", 2, "two people were killed in kharkiv.", place="Kharkiv")]})
    assert answer.attacks[0].figures[0].quote == "Two people were killed in Kharkiv"


def test_dates_resolve_against_the_publication_date() -> None:
    assert resolve_date("Monday", dt.date(2024, 11, 19)) == "2024-11-18"
    assert resolve_date("overnight into Friday", dt.date(2025, 11, 14)) == "2025-11-14"
    assert resolve_date(None, dt.date(2024, 11, 19)) is None and resolve_date("recently", None) is None


def test_the_rules_draft_round_trips_through_the_figures_shape() -> None:
    rules = extract_rules(TEXT, ARTICLE.published)
    draft = Figures.model_validate_json(render_draft(rules), context=ArticleChecks.of(TEXT).context)
    again = validate_extraction(assemble(draft, ARTICLE), ArticleChecks.of(TEXT))
    assert [(e.attacker, e.target_country, e.date) for e in again.events] == [
        (e.attacker, e.target_country, e.date) for e in rules.events]


def test_a_figure_quoting_words_not_in_the_article_is_dropped_not_reasked() -> None:
    answer = figures({"attacker": "Russia", "when": "overnight", "places": ["Kharkiv"],
                      "figures": [line("killed", 9, "nine people died in a blast downtown", place="Kharkiv"),
                                  line("killed", 2, "Two people were killed in Kharkiv", place="Kharkiv")]})
    (event,) = assemble(answer, ARTICLE)["events"]
    assert event["places"][0]["killed"]["value"] == 2  # the invented figure left no trace


def test_merge_only_adds_to_the_offline_models_events_and_shares_the_figures_answer() -> None:
    from extractor.assembly.merge import merge_into_rules
    from extractor.prompting import load_prompt

    rules = extract_rules(TEXT, ARTICLE.published).model_dump(mode="json")["events"]
    answer = figures({"attacker": "Russia", "when": "overnight", "places": ["Odesa"],
                      "figures": [line("injured", 5, "At least five people were injured in Odesa", place="Odesa"),
                                  line("launched", 99, "launched around 120 drones", weapon="drone")]})
    merged = merge_into_rules(answer, ARTICLE)["events"]
    main = next(e for e in merged if e["attacker"] == "Russia")
    before = next(e for e in rules if e["attacker"] == "Russia")
    drone = next(w for w in main["weapons"] if (w["category"], w["model"]) == ("drone", None))
    assert drone["launched"] == next(w for w in before["weapons"] if w["category"] == "drone")["launched"]
    odesa = next(p for p in main["places"] if p["name"] == "Odesa")
    assert odesa["injured"]["value"] == 5 and odesa["injured"]["qualifier"] == "at_least"
    assert load_prompt("merge").request_version == load_prompt("figures").request_version
    assert load_prompt("merge").system == load_prompt("figures").system  # one set of templates, no copy
    assert load_prompt("merge").version != load_prompt("figures").version


def test_figures_and_merge_share_the_models_cached_answer(llm_server: Any, tmp_path: Any) -> None:
    from fakeserver import CHAT_PATH, answer

    from extractor import extract

    said = {"attacks": [{"attacker": "Russia", "when": "overnight", "places": ["Kharkiv"],
                         "figures": [line("killed", 2, "Two people were killed in Kharkiv", place="Kharkiv")]}]}
    llm_server.responder = lambda body: answer(said)
    options = {"published": "2024-11-19", "base_url": llm_server.base_url, "model": "m", "cache_dir": tmp_path}
    first = extract(TEXT, prompt="figures", **options)
    again = extract(TEXT, prompt="figures", **options)
    merged = extract(TEXT, prompt="merge", **options)
    assert llm_server.count(CHAT_PATH) == 1  # one model call served all three
    assert (first.status, again.cached, merged.cached) == ("ok", True, True)
    assert again.to_record().to_json()["events"] == first.to_record().to_json()["events"]
    assert len(merged.events) >= len(first.events) and merged.prompt_version != first.prompt_version


def test_a_figure_of_a_kind_outside_the_four_is_dropped_counted_and_the_rest_kept(llm_server: Any,
                                                                                   tmp_path: Any) -> None:
    from fakeserver import answer

    from extractor import extract

    said = {"attacks": [{"attacker": "Russia", "when": "overnight", "places": ["Kharkiv"],
                         "figures": [line("killed", 2, "Two people were killed in Kharkiv", place="Kharkiv"),
                                     line("buildings damaged", 1, "an apartment block was hit")]}]}
    llm_server.responder = lambda body: answer(said)
    options = {"published": "2024-11-19", "base_url": llm_server.base_url, "model": "m", "cache_dir": tmp_path,
               "prompt": "figures"}
    first = extract(TEXT, **options)
    again = extract(TEXT, **options)  # the cached answer counts the same
    for result in (first, again):
        record = result.to_record()
        assert record.status == "ok" and record.dropped_figures == 1
        assert [p.killed.value for e in record.events for p in e.places if p.killed] == [2]
    assert again.cached
