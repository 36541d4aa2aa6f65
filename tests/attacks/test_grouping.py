"""Which reports are one attack: docs/codebook.md, Attacks rules 1-4, one test (or more) a rule."""

from __future__ import annotations

import datetime as dt
from typing import Any

from helpers import event, figure

from extractor.attacks import Attack, resolve_attacks
from extractor.record import Record


def record(article_id: str, *events: dict[str, Any], published: str | None = "2024-11-19",
           source: str | None = None) -> Record:
    return Record.model_validate({"id": article_id, "status": "ok", "events": list(events), "published": published,
                                  "source": source})


def attacks_of(*records: Record, existing: list[Attack] | None = None) -> list[Attack]:
    return resolve_attacks(records, existing or []).attacks


def members(attacks: list[Attack]) -> list[set[str]]:
    return sorted(({f"{r.article_id}#{r.event}" for r in a.reports} for a in attacks), key=sorted)


def kyiv(**changes: Any) -> dict[str, Any]:
    """An event in Kyiv: its own place, tolls and counts unless changed."""
    base = {"places": [{"name": "Kyiv", "kind": "settlement", "region": None, "killed": None, "injured": None}],
            "killed": None, "injured": None}
    return event(**{**base, **changes})


def drones(launched: int, intercepted: int | None = None, model: str | None = None) -> list[dict[str, Any]]:
    shot = None if intercepted is None else figure(intercepted, "shot down", source="Ukrainian Air Force")
    return [{"category": "drone", "model": model, "launched": figure(launched, "launched", source="Ukrainian Air Force"),
             "intercepted": shot}]


def test_rule1_same_sides_and_date_are_one_attack_joined_by_key() -> None:
    (attack,) = attacks_of(record("a", event()), record("b", event(places=[])), record("c", event(weapons=[])))
    assert [(r.article_id, r.joined, r.score) for r in attack.reports] == [("a", "key", None), ("b", "key", None),
                                                                          ("c", "key", None)]


def test_rule1_another_date_or_side_is_another_attack() -> None:
    attacks = attacks_of(record("a", event()), record("b", event(date="2024-11-25")),
                         record("c", event(attacker="Ukraine", target_country="Russia")))
    assert len(attacks) == 3


def test_rule1_an_unknown_attacker_joins_only_where_it_shares_a_place() -> None:
    attacks = attacks_of(record("a", event()), record("b", event(attacker="unknown")),
                         record("c", kyiv(attacker="unknown", weapons=[])))
    assert members(attacks) == [{"a#0", "b#0"}, {"c#0"}]
    joined = next(a for a in attacks if len(a.reports) == 2)
    assert joined.attacker == "Russia"


def test_rule2_an_undated_report_joins_the_attack_it_matches_best_with_its_score() -> None:
    undated = event(date=None, date_text="overnight")
    attacks = attacks_of(record("a", event()), record("k", kyiv(date="2024-11-18", weapons=drones(50))),
                         record("u", undated, published="2024-11-19"))
    assert members(attacks) == [{"a#0", "u#0"}, {"k#0"}]
    report = next(r for a in attacks for r in a.reports if r.article_id == "u")
    assert report.joined == "match" and report.score is not None and 0.5 <= report.score <= 1


def test_rule2_an_undated_report_that_matches_nothing_well_is_an_attack_of_its_own() -> None:
    lonely = kyiv(date=None, date_text=None, weapons=drones(7))
    attacks = attacks_of(record("a", event()), record("u", lonely, published=None))
    assert members(attacks) == [{"a#0"}, {"u#0"}]


def test_rule2_an_attack_more_than_three_days_before_publication_is_not_joined() -> None:
    undated = event(date=None, date_text="overnight")
    for published, together in (("2024-11-22", True), ("2024-11-23", False), ("2024-11-18", False)):
        attacks = attacks_of(record("a", event()), record("u", undated, published=published))
        assert (len(attacks) == 1) is together, published


def test_rule2_the_weekday_the_date_words_name_picks_between_near_misses() -> None:
    # Moscow hit on Sunday 2023-07-30 and Tuesday 2023-08-01, reported alike; an undated report says "Tuesday".
    moscow = {"attacker": "Ukraine", "target_country": "Russia", "weapons": drones(3),
              "places": [{"name": "Moscow", "kind": "settlement", "region": None, "killed": None, "injured": None}],
              "killed": None}
    attacks = attacks_of(record("sun", event(**moscow, date="2023-07-30"), published="2023-07-30"),
                         record("tue", event(**moscow, date="2023-08-01"), published="2023-08-01"),
                         record("u", event(**moscow, date=None, date_text="early Tuesday"), published=None))
    assert members(attacks) == [{"sun#0"}, {"tue#0", "u#0"}]


def test_rule2_a_model_the_attack_never_names_does_not_count_against_a_report() -> None:
    # "810 Shahed-type drones" against outlets that said "810 drones": the model is a detail they left out.
    others = kyiv(weapons=drones(810, 747))
    undated = kyiv(date=None, date_text="overnight", weapons=drones(810, model="Shahed"),
                   places=[{"name": "Kyiv", "kind": "settlement", "region": None, "killed": None, "injured": None},
                           {"name": "Odesa", "kind": "settlement", "region": None, "killed": None, "injured": None}])
    without_model = {**undated, "weapons": drones(810)}

    def score(attack: dict[str, Any], report: dict[str, Any]) -> float | None:
        attacks = attacks_of(record("a", attack), record("u", report, published=None))
        return next(r.score for a in attacks for r in a.reports if r.article_id == "u")

    assert score(others, undated) == score(others, without_model) == 0.75
    named = kyiv(weapons=drones(810, 747, model="Gerbera"))
    assert score(named, undated) is not None and score(named, undated) < 0.75  # type: ignore[operator]


def test_rule3_a_report_a_day_off_joins_on_a_shared_place_and_an_equal_count() -> None:
    evening = event(date="2024-11-18", date_text="Monday night")
    attacks = attacks_of(record("a", event()), record("b", evening))
    assert members(attacks) == [{"a#0", "b#0"}]
    # The earlier date founds the attack (reports are placed in date order); the other joins by rule 3.
    assert [(r.article_id, r.joined) for r in attacks[0].reports] == [("a", "match"), ("b", "key")]
    assert attacks[0].date == dt.date(2024, 11, 18)  # one report each: the earlier date on a tie


def test_rule3_the_same_city_on_consecutive_days_with_other_counts_stays_apart() -> None:
    attacks = attacks_of(record("a", kyiv(weapons=drones(31, 29))),
                         record("b", kyiv(date="2024-11-20", weapons=drones(54, 52)), published="2024-11-20"))
    assert len(attacks) == 2


def test_rule3_tolls_alone_do_not_join_a_day_off() -> None:
    toll = figure(1, "one killed")
    attacks = attacks_of(record("a", kyiv(killed=toll, weapons=[])),
                         record("b", kyiv(date="2024-11-20", killed=toll, weapons=[]), published="2024-11-20"))
    assert len(attacks) == 2


def test_rule4_two_events_of_one_article_are_never_one_attack() -> None:
    attacks = attacks_of(record("a", event(), event(role="background")))
    assert members(attacks) == [{"a#0"}, {"a#1"}]


def test_reports_are_in_publication_order_undated_last_with_outlet_and_date() -> None:
    (attack,) = attacks_of(record("late", event(), published="2024-11-21", source="Reuters"),
                           record("none", event(), published=None), record("early", event(), source="AP"))
    assert [r.article_id for r in attack.reports] == ["early", "late", "none"]
    assert [r.published for r in attack.reports] == [dt.date(2024, 11, 19), dt.date(2024, 11, 21), None]
    assert [r.outlet for r in attack.reports] == ["AP", "Reuters", None]


def test_ids_are_stable_and_a_mornings_run_keeps_every_one() -> None:
    first = resolve_attacks([record("a", event()), record("k", kyiv(date="2024-11-25"), published="2024-11-25")])
    ids = {a.attack_id for a in first.attacks}
    again = resolve_attacks([record("a", event()), record("k", kyiv(date="2024-11-25"), published="2024-11-25")])
    assert {a.attack_id for a in again.attacks} == ids
    morning = resolve_attacks([record("b", event(), published="2024-11-20"),
                               record("n", event(date="2024-12-01"), published="2024-12-01")], first.attacks)
    assert ids < {a.attack_id for a in morning.attacks} and len(morning.attacks) == 3
    grown = next(a for a in morning.attacks if any(r.article_id == "b" for r in a.reports))
    assert grown.attack_id in ids and {r.article_id for r in grown.reports} == {"a", "b"}
    assert morning.changed == {grown.attack_id} | {a.attack_id for a in morning.attacks if a.attack_id not in ids}
    untouched = next(a for a in morning.attacks if a.reports[0].article_id == "k")
    assert untouched == next(a for a in first.attacks if a.reports[0].article_id == "k")


def test_an_article_extracted_again_replaces_its_reports() -> None:
    first = resolve_attacks([record("a", event()), record("b", event())])
    moved = resolve_attacks([record("b", event(date="2024-12-01"))], first.attacks)
    assert moved.articles_replaced == 1
    assert members(moved.attacks) == [{"a#0"}, {"b#0"}]
    kept = next(a for a in moved.attacks if a.reports[0].article_id == "a")
    assert kept.attack_id == first.attacks[0].attack_id


def test_records_that_are_not_ok_add_nothing() -> None:
    failed = Record.model_validate({"id": "x", "status": "error", "events": [], "errors": ["timeout"]})
    done = resolve_attacks([failed, record("a", event())])
    assert done.articles_failed == 1 and len(done.attacks) == 1


def test_an_article_extracted_again_leaves_no_trace_in_the_indexes_and_its_old_id_is_not_reused() -> None:
    first = resolve_attacks([record("a", event())])
    old = first.attacks[0].attack_id
    again = resolve_attacks([record("a", event(date="2024-11-10")), record("c", event())], first.attacks)
    assert members(again.attacks) == [{"a#0"}, {"c#0"}]  # c does not join by a date a no longer gives
    assert old not in {a.attack_id for a in again.attacks}
    assert all(r.joined == "key" for a in again.attacks for r in a.reports)


def test_an_unknown_attackers_report_joins_the_same_attack_whichever_comes_first() -> None:
    unknown = kyiv(attacker="unknown", weapons=[])
    named = kyiv(weapons=[])
    for order in (("a", "b"), ("b", "a")):
        ids = dict(zip(order, ("unknown", "named"), strict=True))
        records = [record(i, unknown if kind == "unknown" else named) for i, kind in ids.items()]
        assert members(attacks_of(*records)) == [{"a#0", "b#0"}], order


def test_a_tie_between_two_attacks_goes_to_the_later_one() -> None:
    existing = resolve_attacks([record("x", kyiv(date="2024-11-18", weapons=drones(50)), published="2024-11-18"),
                                record("y", kyiv(date="2024-11-20", weapons=drones(50)), published="2024-11-20")])
    joined = resolve_attacks([record("n", kyiv(date="2024-11-19", weapons=drones(50)))], existing.attacks)
    grown = next(a for a in joined.attacks if len(a.reports) == 2)
    assert {r.article_id for r in grown.reports} == {"y", "n"}


def test_a_failed_rerun_of_an_article_keeps_its_last_ok_record() -> None:
    failed = Record.model_validate({"id": "a", "status": "error", "events": [], "errors": ["timeout"]})
    assert members(resolve_attacks([record("a", event()), failed]).attacks) == [{"a#0"}]


def test_the_tie_break_is_the_later_date_then_the_smaller_id() -> None:
    from extractor.attacks.grouping import _best
    from extractor.attacks.matching import Group

    early, late, late_too = Group("atk-z"), Group("atk-b"), Group("atk-a")
    early.dates, late.dates, late_too.dates = {"2024-11-18"}, {"2024-11-20"}, {"2024-11-20"}
    assert _best([(early, 0.8), (late, 0.8)])[0] is late
    assert _best([(late, 0.8), (late_too, 0.8), (early, 0.9)])[0] is early
    assert _best([(late, 0.8), (late_too, 0.8)])[0] is late_too
