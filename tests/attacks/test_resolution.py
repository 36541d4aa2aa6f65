"""Resolved figures: docs/codebook.md, Attacks, "Resolved figures"; every value reported is kept."""

from __future__ import annotations

import datetime as dt
from typing import Any

from helpers import event, figure

from extractor.attacks import Attack, resolve_attacks
from extractor.record import Record


def resolved(*reports: tuple[str, str | None, dict[str, Any]]) -> Attack:
    """The one attack of these (article id, published, event) reports."""
    records = [Record.model_validate({"id": i, "status": "ok", "events": [e], "published": p}) for i, p, e in reports]
    (attack,) = resolve_attacks(records).attacks
    return attack


def tolls(*values: tuple[int, str]) -> Attack:
    return resolved(*((f"r{n}", f"2024-09-0{n + 3}", event(killed=figure(v, f"{v} killed", q)))
                      for n, (v, q) in enumerate(values)))


def test_the_highest_firm_toll_stands_and_every_value_is_kept() -> None:
    attack = tolls((41, "exact"), (51, "at_least"), (47, "exact"), (60, "approximately"))
    assert attack.killed is not None
    assert (attack.killed.value, attack.killed.article_id) == (51, "r1")
    assert [(r.value, r.article_id) for r in attack.killed.reported] == [(41, "r0"), (51, "r1"), (47, "r2"), (60, "r3")]
    assert attack.killed.disputed


def test_where_every_toll_is_vague_the_highest_vague_one_stands() -> None:
    attack = tolls((12, "approximately"), (20, "up_to"))
    assert attack.killed is not None and (attack.killed.value, attack.killed.qualifier) == (20, "up_to")


def test_a_toll_tie_goes_to_the_first_report_in_publication_order() -> None:
    attack = resolved(("late", "2024-09-05", event(killed=figure(5, "five killed"))),
                      ("undated", None, event(killed=figure(5, "five killed"))),
                      ("early", "2024-09-04", event(killed=figure(5, "five killed"))))
    assert attack.killed is not None and attack.killed.article_id == "early"
    assert [r.article_id for r in attack.reports] == ["early", "late", "undated"]


def drones(launched: int, source: str | None) -> dict[str, Any]:
    return event(weapons=[{"category": "drone", "model": None, "intercepted": None,
                           "launched": figure(launched, f"{launched} drones", source=source)}])


def test_the_defenders_own_count_stands_over_the_others_and_the_highest_of_its_own() -> None:
    attack = resolved(("a", "2024-11-19", drones(120, "Volodymyr Zelensky")), ("b", "2024-11-19", drones(120, None)),
                      ("c", "2024-11-19", drones(100, "Ukrainian Air Force")),
                      ("d", "2024-11-19", drones(90, "Ukraine's Air Force")),
                      ("e", "2024-11-19", drones(40, "Ukrainian Air Force")))
    launched = attack.weapons[0].launched
    assert launched is not None and (launched.value, launched.article_id) == (100, "c")
    assert len(launched.reported) == 5


def test_without_the_defenders_count_the_most_reported_value_stands_the_lowest_on_a_tie() -> None:
    most = resolved(("a", "2024-11-19", drones(120, "Zelensky")), ("b", "2024-11-19", drones(110, None)),
                    ("c", "2024-11-19", drones(120, None)))
    tie = resolved(("a", "2024-11-19", drones(120, None)), ("b", "2024-11-19", drones(110, None)))
    assert most.weapons[0].launched is not None and most.weapons[0].launched.value == 120
    assert tie.weapons[0].launched is not None and tie.weapons[0].launched.value == 110


def test_places_are_one_per_name_with_their_own_tolls_and_damage_is_the_union() -> None:
    place = {"name": "Kharkiv", "kind": "settlement", "region": None, "injured": None}
    attack = resolved(
        ("a", "2024-11-19", event(damage=["residential"], places=[{**place, "killed": figure(2, "two killed")}])),
        ("b", "2024-11-19", event(damage=["energy", "residential"],
                                  places=[{**place, "name": "Kharkov", "killed": figure(3, "three killed")}])))
    assert [(p.name, p.killed.value if p.killed else None) for p in attack.places] == [("Kharkiv", 3)]
    assert attack.damage == ["residential", "energy"]


def test_the_attack_date_is_the_one_most_reports_give_the_earlier_on_a_tie_and_main_wins_the_role() -> None:
    # A one-day difference joins on a shared place and an equal count (rule 3); the date is then voted.
    attack = resolved(("a", "2024-11-19", event(role="background")), ("b", "2024-11-19", event(date="2024-11-18")),
                      ("c", "2024-11-19", event(date="2024-11-18")))
    assert attack.date == dt.date(2024, 11, 18) and attack.role == "main"
    two = resolved(("a", "2024-11-19", event(role="background")), ("b", "2024-11-19", event(date="2024-11-18")))
    assert two.date == dt.date(2024, 11, 18)


def test_nothing_is_computed_no_sums_across_reports() -> None:
    attack = resolved(("a", "2024-11-19", drones(60, None)), ("b", "2024-11-19", drones(60, None)))
    launched = attack.weapons[0].launched
    assert launched is not None and launched.value == 60 and [r.value for r in launched.reported] == [60, 60]
