"""Unit tests of the offline ``rules`` model, rule by rule, then end to end.

The sentences are written for these tests, in many phrasings, so that the
rules are checked on wording they were not tuned on.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from helpers import DATASETS

from extractor.grounding import ArticleChecks
from extractor.rules import extract_rules
from extractor.rules.boilerplate import is_boilerplate
from extractor.rules.casualties import INJURED, KILLED, find_casualties
from extractor.rules.damage import find_damage
from extractor.rules.dates import find_dates, weekday_on_or_before
from extractor.rules.numbers import Count, parse_count
from extractor.rules.offline import story_sentences
from extractor.rules.places import find_places
from extractor.rules.sources import attribute_sentences, find_source
from extractor.rules.weapons import INTERCEPTED, LAUNCHED, find_weapon_figures
from extractor.schema import Extraction

FRIDAY = dt.date(2025, 3, 14)


@pytest.mark.parametrize(
    ("qualifier", "number", "expected"),
    [
        (None, "eight", Count(8, "exact")),
        ("at least", "twenty-one", Count(21, "at_least")),
        ("more than", "1,200", Count(1200, "more_than")),
        ("nearly", "40", Count(40, "approximately")),
        ("up to", "15", Count(15, "up_to")),
        (None, "dozens", Count(12, "at_least")),
        (None, "a dozen", Count(12, "approximately")),
        (None, "several", Count(3, "at_least")),
        (None, "hundreds of", Count(100, "at_least")),
        ("some", "300", Count(300, "approximately")),
    ],
)
def test_numbers_words_and_hedges(qualifier: str | None, number: str, expected: Count) -> None:
    assert parse_count(qualifier, number) == expected


def test_weekday_resolves_on_or_before_publication() -> None:
    assert weekday_on_or_before("Friday", FRIDAY) == FRIDAY
    assert weekday_on_or_before("Tuesday", FRIDAY) == dt.date(2025, 3, 11)
    assert weekday_on_or_before("Saturday", FRIDAY, strictly_before=True) == dt.date(2025, 3, 8)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Drones swarmed the port city overnight, officials said.", FRIDAY),
        ("The strike on Wednesday night levelled a school.", dt.date(2025, 3, 12)),
        ("Shelling resumed on Nov. 19 along the river.", dt.date(2024, 11, 19)),
        ("A barrage on 2 March damaged the grid.", dt.date(2025, 3, 2)),
        ("Missiles rained down in the night into Thursday.", dt.date(2025, 3, 13)),
    ],
)
def test_dates_from_phrases(sentence: str, expected: dt.date) -> None:
    assert find_dates(sentence, FRIDAY)[0].date == expected


def test_dates_of_speech_are_not_attack_dates() -> None:
    assert find_dates("The ministry said on Monday that the strikes continued.", FRIDAY) == []


@pytest.mark.parametrize(
    ("sentence", "category", "model", "field", "value", "qualifier"),
    [
        ("The enemy launched 73 Shahed-type attack drones overnight.", "drone", "Shahed", LAUNCHED, 73, "exact"),
        ("Air defence downed 41 of them over the capital region, and 12 more elsewhere.", None, None, None, None, None),
        (
            "Moscow fired nearly 30 cruise missiles at energy sites.",
            "cruise_missile",
            None,
            LAUNCHED,
            30,
            "approximately",
        ),
        (
            "Ukrainian crews shot down 14 of the 16 Kalibr missiles.",
            "cruise_missile",
            "Kalibr",
            INTERCEPTED,
            14,
            "exact",
        ),
        ("Three Iskander-M ballistic missiles were intercepted over the city.", None, None, None, None, None),
        (
            "Four Kinzhal missiles were shot down, the military said.",
            "ballistic_missile",
            "Kinzhal",
            INTERCEPTED,
            4,
            "exact",
        ),
        ("Russia used 12 guided aerial bombs against the town.", "guided_bomb", None, LAUNCHED, 12, "exact"),
        ("The army fired more than 40 Grad rockets at the village.", "rocket", "Grad", LAUNCHED, 40, "more_than"),
    ],
)
def test_weapon_counts(
    sentence: str, category: str | None, model: str | None, field: str | None, value: int | None, qualifier: str | None
) -> None:
    figures = find_weapon_figures(sentence)
    if category is None:
        assert [f for f in figures if f.category != "all"] == [] or all(f.field == INTERCEPTED for f in figures)
        return
    match = [f for f in figures if (f.category, f.model, f.field) == (category, model, field)]
    assert match, figures
    assert match[0].count == Count(value or 0, qualifier or "exact")


def test_weapon_counts_per_region_are_not_event_figures() -> None:
    assert find_weapon_figures("Nine drones were destroyed over the Kursk region.") == []


def test_combined_models_and_categories() -> None:
    models = find_weapon_figures("Russia fired 20 Kh-101 and Kh-555 cruise missiles at the west.")[0]
    assert (models.category, models.model) == ("cruise_missile", None)
    assert set(models.covers) == {("cruise_missile", "Kh-101"), ("cruise_missile", "Kh-555")}
    mixed = find_weapon_figures("Overnight Russia launched seven ballistic and cruise missiles.")[0]
    assert (mixed.category, mixed.count) == ("all", Count(7, "exact"))


def test_weapon_count_needs_a_launch_or_intercept_verb() -> None:
    assert find_weapon_figures("Two drones were spotted near the border.") == []


def _casualties(sentence: str) -> set[tuple[str, int, str]]:
    return {(c.kind, c.count.value, c.count.qualifier) for c in find_casualties(sentence)}


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "The blast killed at least nine people and wounded 30 more.",
            {(KILLED, 9, "at_least"), (INJURED, 30, "exact")},
        ),
        (
            "Three civilians died and a dozen were hurt in the shelling.",
            {(KILLED, 3, "exact"), (INJURED, 12, "approximately")},
        ),
        ("An elderly man was killed when debris struck his home.", {(KILLED, 1, "exact")}),
        ("A teacher and a pupil were wounded.", {(INJURED, 2, "exact")}),
        ("The death toll has climbed to 17, rescuers said.", {(KILLED, 17, "exact")}),
        ("Officials reported dozens injured and 4 dead.", {(INJURED, 12, "at_least"), (KILLED, 4, "exact")}),
        ("Nobody was injured, the governor said.", {(INJURED, 0, "exact")}),
        ("There were no casualties.", {(KILLED, 0, "exact"), (INJURED, 0, "exact")}),
        ("The army claimed it had killed more than 100 soldiers.", set()),
    ],
)
def test_casualties(sentence: str, expected: set[tuple[str, int, str]]) -> None:
    assert _casualties(sentence) == expected


def _hit_places(sentence: str) -> set[tuple[str, str]]:
    return {(p.name, p.kind) for p in find_places(sentence) if p.hit}


def test_places_canonical_names_and_kinds() -> None:
    assert _hit_places("A missile hit an apartment block in Kharkov.") == {("Kharkiv", "settlement")}
    assert _hit_places("Strikes hit the Odessa and Nikolaev regions.") == {
        ("Odesa Oblast", "region"),
        ("Mykolaiv Oblast", "region"),
    }
    assert ("Darnytskyi", "district") in _hit_places("Debris fell in the Darnytskyi district of Kyiv.")


def test_places_where_drones_were_shot_down_or_launched_are_not_hit() -> None:
    assert _hit_places("Drones were downed over the Bryansk region.") == set()
    assert _hit_places("Missiles were fired from the Belgorod region at the city.") == set()
    assert _hit_places("Moscow says it hit only military targets.") == set()


def test_region_locating_a_settlement_is_not_a_place_of_its_own() -> None:
    places = [p for p in find_places("A drone struck a depot in Tuapse in the Krasnodar region.") if p.hit]
    assert [(p.name, p.region) for p in places] == [("Tuapse", "Krasnodar Krai")]


def test_damage_categories() -> None:
    assert set(find_damage("A drone hit a hospital and a substation.")) == {"medical", "energy"}
    assert set(find_damage("Flames engulfed the oil refinery after the strike.")) == {"fuel"}
    assert find_damage("Russia says it does not strike residential buildings.") == []


def test_sources() -> None:
    assert find_source("Ukraine's air force said 50 drones were downed.") == "Ukrainian Air Force"
    assert find_source("Russia's Defense Ministry said it destroyed 20 drones.") == "Russian Defence Ministry"
    assert find_source("Zelenskyy said the toll had risen to five.") == "Volodymyr Zelensky"
    assert find_source("Governor Oleh Syniehubov said two people were hurt.") == "Oleh Syniehubov"
    assert find_source("Four people were killed.") is None


def test_boilerplate_lines() -> None:
    for line in [
        "Download our free app for instant alerts",
        "Sign up for our newsletter to get the day's news in your inbox",
        "Your support helps us to tell the story",
        "Leave a Reply",
        "We value your privacy",
        "> Poltava mourns after missile strike",
    ]:
        assert is_boilerplate(line), line
    assert not is_boilerplate("Russia launched 40 drones overnight, the air force said.")


def test_boilerplate_removed_before_figures() -> None:
    text = (
        "Drone attack on Sumy\n"
        "A drone struck a shop in Sumy on Friday, injuring two people, officials said.\n"
        "RELATED STORIES\n"
        "> Missile kills 14 in Odesa\n"
        "We and our 146 partners use cookies to store information.\n"
        "Leave a Reply\n"
    )
    kept = " ".join(s.text for s in story_sentences(text))
    assert "Odesa" not in kept and "146" not in kept
    events = extract_rules(text, FRIDAY).events
    assert [(e.attacker, e.target_country, e.date) for e in events] == [("Russia", "Ukraine", "2025-03-14")]
    assert events[0].injured is not None and events[0].injured.value == 2


def test_ukrainian_drones_over_russia_are_ukraines_attack() -> None:
    text = (
        "MOSCOW, March 14. Air defences destroyed 31 Ukrainian drones overnight, the Russian "
        "Defence Ministry said. A drone hit a refinery in Tuapse, causing a fire."
    )
    events = extract_rules(text, FRIDAY).events
    assert len(events) == 1
    event = events[0]
    assert (event.attacker, event.target_country, event.date) == ("Ukraine", "Russia", "2025-03-14")
    drones = [w for w in event.weapons if w.category == "drone"]
    assert drones[0].intercepted is not None and drones[0].intercepted.value == 31
    assert drones[0].intercepted.source == "Russian Defence Ministry"
    assert "fuel" in event.damage and [p.name for p in event.places] == ["Tuapse"]


def test_negative_article_has_no_events() -> None:
    text = (
        "Parliament approved a $50 billion support package on Tuesday, including 10 billion "
        "for air defence. The vote passed 300-120, and 40 members abstained. Officials said "
        "deliveries of 12 launchers would begin within weeks."
    )
    assert extract_rules(text, FRIDAY).events == []


def _bundled() -> list[dict[str, str]]:
    records: list[dict[str, str]] = []
    for path in sorted(DATASETS.glob("*/articles.jsonl")):
        records += [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return records


@pytest.mark.parametrize("record", _bundled(), ids=lambda r: r["id"])
def test_bundled_articles_give_valid_grounded_extractions(record: dict[str, str]) -> None:
    published = dt.date.fromisoformat(record["published"]) if record.get("published") else None
    extraction = extract_rules(record["text"], published)
    Extraction.model_validate(extraction.model_dump(), context=ArticleChecks.of(record["text"], snap=False).context)


def test_bundled_negative_article_has_no_events() -> None:
    record = next(r for r in _bundled() if "aid_package" in r["id"])
    assert extract_rules(record["text"], dt.date.fromisoformat(record["published"])).events == []


# --- Speakers named in full, pointed back at, and quoted --------------------------------


def _sources_of(text: str) -> list[str | None]:
    return attribute_sentences(story_sentences(text))


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "Two people died, the head of the Poltava Regional Military Administration, Viktor Lysenko, said.",
            "Viktor Lysenko",
        ),
        ("The Mykolaiv regional administration said a warehouse burned down.", "Mykolaiv regional administration"),
        ("Ukraine's State Emergency Service said 12 people were rescued.", "State Emergency Service"),
        ("Nobody was injured, said Hanna Petrenko, who runs the village council.", "Hanna Petrenko"),
        ("According to the Kherson city police, three shops were hit.", "Kherson city police"),
    ],
)
def test_sources_named_in_full(sentence: str, expected: str) -> None:
    assert find_source(sentence) == expected


def test_surname_takes_the_full_name_given_earlier() -> None:
    text = (
        "Regional governor Dmytro Bondar said the barrage lasted two hours.\n"
        "Four people were wounded in the suburbs, Bondar said."
    )
    assert _sources_of(text) == ["Dmytro Bondar", "Dmytro Bondar"]


@pytest.mark.parametrize(
    "follow_up",
    [
        "Nine of them were shot down, it said.",
        "It said nine of them were shot down.",
        "The force added that nine were downed.",
    ],
)
def test_pronoun_speaker_is_the_organisation_named_before(follow_up: str) -> None:
    text = f"The Air Force said Russia sent 12 drones.\nRescuers worked through the night.\n{follow_up}"
    assert _sources_of(text)[-1] == "Ukrainian Air Force"


def test_quoted_sentences_take_the_speaker_at_the_quotes_end() -> None:
    text = 'Officials gave few details.\n"The enemy hit a school. Two teachers were hurt," mayor Oksana Marchuk wrote.'
    assert _sources_of(text)[1:] == ["Oksana Marchuk", "Oksana Marchuk"]


def test_sentence_continuing_a_speakers_paragraph_keeps_the_speaker() -> None:
    text = "According to the Air Force, Russia launched 40 drones. Thirty-one of the drones were shot down."
    event = extract_rules(text, FRIDAY).events[0]
    drone = next(w for w in event.weapons if w.category == "drone")
    assert drone.intercepted is not None and drone.intercepted.source == "Ukrainian Air Force"


# --- Weapon counts written before the model, and counts that refer back ----------------


@pytest.mark.parametrize(
    ("sentence", "category", "model", "value"),
    [
        ("Russia unleashed 14 Kalibr cruise missiles at the south.", "cruise_missile", "Kalibr", 14),
        ("Jets dropped four guided aerial bombs on the village.", "guided_bomb", None, 4),
        (
            "Two Iskander-M missiles and 18 Shahed drones slammed into the town at dawn.",
            "ballistic_missile",
            "Iskander-M",
            2,
        ),
        ("Two Iskander-M missiles and 18 Shahed drones slammed into the town at dawn.", "drone", "Shahed", 18),
    ],
)
def test_launch_counts_before_the_model(sentence: str, category: str, model: str | None, value: int) -> None:
    figures = find_weapon_figures(sentence)
    assert any(
        (f.category, f.model, f.field, f.count and f.count.value) == (category, model, LAUNCHED, value) for f in figures
    ), figures


def test_singular_subject_is_no_count() -> None:
    assert find_weapon_figures("One missile struck a railway depot.") == []


@pytest.mark.parametrize(
    "follow_up",
    [
        "Air defences destroyed five of the missiles and 20 of the drones.",
        "Five of the missiles and 20 of the drones were intercepted.",
    ],
)
def test_shoot_downs_that_refer_back_go_on_the_model_named(follow_up: str) -> None:
    text = f"Russia fired seven Kalibr cruise missiles and 26 Shahed drones at the port overnight. {follow_up}"
    weapons = {(w.category, w.model): w for w in extract_rules(text, FRIDAY).events[0].weapons}
    kalibr, shahed = weapons[("cruise_missile", "Kalibr")], weapons[("drone", "Shahed")]
    assert kalibr.launched and kalibr.launched.value == 7 and kalibr.intercepted and kalibr.intercepted.value == 5
    assert shahed.launched and shahed.launched.value == 26 and shahed.intercepted and shahed.intercepted.value == 20
    assert ("missile", None) not in weapons and ("drone", None) not in weapons


@pytest.mark.parametrize(
    ("sentence", "model"),
    [
        ("Air defences shot down three JDAM guided bombs over the front.", "JDAM"),
        ("The ministry said it intercepted six rockets of the US-made HIMARS system.", "HIMARS"),
    ],
)
def test_unlisted_and_trailing_models_keep_their_name(sentence: str, model: str) -> None:
    figures = find_weapon_figures(sentence)
    assert [(f.model, f.field) for f in figures] == [(model, INTERCEPTED)]


def test_regions_listed_together_are_the_whole_count() -> None:
    figures = find_weapon_figures("Air defences destroyed 27 drones over the Kursk, Oryol and Tula regions.")
    assert [(f.field, f.count and f.count.value) for f in figures] == [(INTERCEPTED, 27)]


@pytest.mark.parametrize(
    "sentence",
    [
        "Since the start of the invasion, Russia has launched more than 9,000 drones at the capital.",
        "So far this year air defences have destroyed 4,100 drones.",
        "In all, 410 anti-aircraft missile systems have been destroyed.",
    ],
)
def test_running_totals_are_no_event_figures(sentence: str) -> None:
    assert find_weapon_figures(sentence) == []


def test_article_of_running_totals_has_no_events() -> None:
    text = (
        "The finance ministry unveiled next year's budget on Tuesday. Since the beginning of the year, "
        "Russia has launched more than 15,000 drones at Ukraine, the foreign minister said."
    )
    assert extract_rules(text, FRIDAY).events == []


# --- Separate attacks and where their tolls belong -----------------------------------


def test_two_dates_make_two_events_with_their_own_tolls() -> None:
    text = (
        "Russian missiles struck Kherson on Thursday, killing two people, the governor said.\n"
        "On Tuesday, Russian jets dropped three guided bombs on Beryslav. Five people were injured. "
        "A shop was damaged."
    )
    events = {e.date: e for e in extract_rules(text, FRIDAY).events}
    assert set(events) == {"2025-03-13", "2025-03-11"}
    tuesday = events["2025-03-11"]
    assert tuesday.injured is not None and tuesday.injured.value == 5
    assert "commercial" in tuesday.damage and "commercial" not in events["2025-03-13"].damage


def test_ukrainian_forces_on_occupied_ground_are_ukraines_attack() -> None:
    text = (
        "Russian drones hit Nikopol on Friday, injuring three people.\n"
        "Moscow-installed officials said Ukrainian forces had shelled Enerhodar on Friday, killing one man."
    )
    sides = {(e.attacker, e.target_country) for e in extract_rules(text, FRIDAY).events}
    assert sides == {("Russia", "Ukraine"), ("Ukraine", "Russia")}


def test_month_only_attack_is_a_background_event() -> None:
    text = (
        "A Russian missile hit Sumy on Friday, injuring four people.\n"
        "Sumy, some 30 kilometres from the border, is often shelled. Last November, a strike on the city killed 14."
    )
    events = extract_rules(text, FRIDAY).events
    background = [e for e in events if e.role == "background"]
    assert len(events) == 2 and len(background) == 1
    assert background[0].date is None and background[0].killed is not None and background[0].killed.value == 14


def test_an_earlier_attack_on_russia_that_no_one_is_named_for_has_an_unknown_attacker() -> None:
    text = (
        "Ukrainian drones hit an office tower in Belgorod on Friday, injuring two people, the governor said.\n"
        "The same tower was damaged by a drone on March 9, when one person was injured in Belgorod."
    )
    events = extract_rules(text, FRIDAY).events
    sides = {(e.role, e.attacker, e.target_country) for e in events}
    assert sides == {("main", "Ukraine", "Russia"), ("background", "unknown", "Russia")}


def test_an_earlier_attack_whose_side_is_named_or_on_ukraine_keeps_its_attacker() -> None:
    named = (
        "Ukrainian drones hit an office tower in Belgorod on Friday, injuring two people, the governor said.\n"
        "On March 9, Ukrainian drones damaged the same tower, injuring one person in Belgorod."
    )
    on_ukraine = (
        "Russian missiles hit Kharkiv on Friday, injuring four people.\n"
        "On March 9, a strike on Kharkiv killed two people."
    )
    for text, attacker in ((named, "Ukraine"), (on_ukraine, "Russia")):
        background = [e for e in extract_rules(text, FRIDAY).events if e.role == "background"]
        assert [e.attacker for e in background] == [attacker], text


def test_a_side_named_with_a_hyphenated_word_is_named() -> None:
    text = (
        "Russian missiles hit Kharkiv on Friday, injuring four people.\n"
        "Ukrainian long-range drones have hit several plants, and last week they set fire to the Saratov oil "
        "refinery, the General Staff said."
    )
    (background,) = [e for e in extract_rules(text, FRIDAY).events if e.role == "background"]
    assert (background.attacker, background.target_country) == ("Ukraine", "Russia")


@pytest.mark.parametrize("site", ["the Poltava Military Institute of Communications", "the Odesa port",
                                  "the Kremenchuk oil refinery"])
def test_a_site_named_after_its_town_puts_the_hit_on_the_town(site: str) -> None:
    (place,) = find_places(f"The missiles tore into {site} on Tuesday.")
    assert place.hit and place.kind == "settlement"


def test_a_town_named_as_an_authority_is_still_no_place() -> None:
    assert find_places("The Kyiv regime denied it.") == []


@pytest.mark.parametrize(
    "reference", ["40 kilometres south of Kharkiv", "west of Kharkiv", "a short drive from Kharkiv"]
)
def test_distance_reference_is_no_place_and_takes_no_toll(reference: str) -> None:
    text = f"In Chuhuiv, {reference}, a drone hit a garage on Friday. No one was hurt there, police said."
    event = extract_rules(text, FRIDAY).events[0]
    assert [p.name for p in event.places] == ["Chuhuiv"]
    assert event.places[0].injured is not None and event.places[0].injured.value == 0


@pytest.mark.parametrize(
    ("sentence", "value"),
    [
        ("The strike claimed the lives of four people.", 4),
        ("The barrage took the lives of two rescuers.", 2),
    ],
)
def test_lives_claimed_are_deaths(sentence: str, value: int) -> None:
    assert [(c.kind, c.count.value) for c in find_casualties(sentence)] == [(KILLED, value)]


def test_mentions_of_air_defence_or_troops_are_no_military_damage() -> None:
    assert "military" not in find_damage("The strike showed that Ukraine needs more Patriot systems.")
    assert "military" not in find_damage("Drones struck a refinery that supplies fuel to Russian troops.")
    assert "military" in find_damage("Missiles destroyed a Patriot air defence system near the city.")
