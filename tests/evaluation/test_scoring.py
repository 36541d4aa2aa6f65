"""The codebook's scoring rules on small hand-made cases, the arithmetic in comments.

Each test is built so that it fails if its rule breaks: the expected pairing
is never the first one a naive matcher would try, names match only after
normalisation, and excluded facts would change a denominator if counted.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from extractor.evaluation.bootstrap import f1_interval, f1_of_counts, paired_difference, resampled_f1
from extractor.evaluation.datasets import ArticleRecord, Prediction
from extractor.evaluation.scorecard import compare_reports, score_dataset
from extractor.evaluation.scoring import (
    Counts,
    align_events,
    diff_article,
    event_facts,
    is_pairable,
    pair_score,
)
from extractor.schema import AttackEvent, Figure, Place, Qualifier, Weapon

DAY = "2025-11-14"


def fig(value: int, qualifier: Qualifier = "exact", source: str | None = None, evidence: str = "") -> Figure:
    return Figure(value=value, qualifier=qualifier, source=source, evidence=evidence or f"{value} people")


def event(*places: str | Place, **fields: Any) -> AttackEvent:
    """An event of Russia on Ukraine on DAY, main, at ``places`` (names are settlements)."""
    base: dict[str, Any] = {
        "role": "main",
        "attacker": "Russia",
        "target_country": "Ukraine",
        "date": DAY,
        "summary": "An attack.",
        "places": [Place(name=place, kind="settlement") if isinstance(place, str) else place for place in places],
    }
    return AttackEvent(**(base | fields))


def ok(*events: AttackEvent) -> Prediction:
    return Prediction(id="x", events=list(events))


# --- facts -------------------------------------------------------------------------------


def test_event_facts_lists_every_kind_with_normalised_names() -> None:
    shahed = Weapon(category="drone", model="Geran-2", launched=fig(100), intercepted=fig(80))
    missile = Weapon(category="missile", model=None, launched=fig(5))
    kyiv = Place(name="Kiev", kind="settlement", killed=fig(2))
    oblast = Place(name="Kyiv Oblast", kind="region", injured=fig(3))
    killed = fig(4)
    facts = event_facts(
        event(
            weapons=[shahed, missile],
            killed=killed,
            injured=fig(10),
            places=[kyiv, oblast],
            damage=["residential", "energy"],
        )
    )
    assert set(facts) == {
        ("date", DAY),
        ("killed", 4),
        ("injured", 10),
        ("weapon", "drone", "shahed"),  # Geran-2 -> Shahed
        ("launched", "drone", "shahed", 100),
        ("intercepted", "drone", "shahed", 80),
        ("weapon", "missile", None),  # a null model stays None, not "none"
        ("launched", "missile", None, 5),
        ("place", "settlement", "kyiv"),  # Kiev -> Kyiv
        ("place_killed", "kyiv", 2),
        ("place", "region", "kyiv"),  # "Oblast" dropped; the kind keeps it apart
        ("place_injured", "kyiv", 3),
        ("damage", "residential"),
        ("damage", "energy"),
    }
    assert facts[("killed", 4)] is killed
    assert facts[("date", DAY)] is None


def test_event_facts_are_a_set_and_a_null_date_gives_no_fact() -> None:
    # Shahed and Geran entries with the same count make one fact, not two.
    weapons = [
        Weapon(category="drone", model="Shahed", launched=fig(50)),
        Weapon(category="drone", model="Geran", launched=fig(50)),
    ]
    facts = event_facts(event(date=None, weapons=weapons))
    assert list(facts) == [("weapon", "drone", "shahed"), ("launched", "drone", "shahed", 50)]


# --- alignment ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gold", "pred", "pairable"),
    [
        (event("Kyiv"), event("Kyiv"), True),
        (event("Kyiv"), event("Kyiv", attacker="Ukraine"), False),
        (event("Kyiv"), event("Kyiv", target_country="Russia"), False),
        (event("Kyiv"), event("Kyiv", target_country="ukraine"), True),  # names normalised
        (event("Kyiv"), event("Lviv", date="2025-11-13"), False),  # dates differ, no place shared
        (event("Kyiv"), event("Kiev", date="2025-11-13"), True),  # dates differ, Kyiv shared
        (event("Kyiv"), event("Lviv", date=None), True),  # a null date pairs
        (event("Kyiv", date=None), event("Lviv"), True),
        (event(), event(date="2025-11-13"), False),  # no places on either side
    ],
)
def test_is_pairable(gold: AttackEvent, pred: AttackEvent, pairable: bool) -> None:
    assert is_pairable(gold, pred) is pairable


def test_pair_score_adds_date_jaccard_and_role() -> None:
    # {kyiv, lviv} vs {kyiv, odesa}: Jaccard 1/3; 1 + 1 (same date) + 1/3 + 1 (same role)
    assert pair_score(event("Kyiv", "Lviv"), event("Kiev", "Odessa")) == pytest.approx(10 / 3)
    # Two null dates are not "dates equal"; two empty place sets give Jaccard 0; roles
    # differ: 1 + 0 + 0 + 0
    assert pair_score(event(date=None), event(date=None, role="background")) == 1


def test_alignment_prefers_the_same_date() -> None:
    gold = [event(date=None), event()]
    # pred-gold0: 1 + 0 + 0 + 1 = 2; pred-gold1: 1 + 1 + 0 + 1 = 3
    assert align_events(gold, [event()]) == [(1, 0)]


def test_alignment_prefers_the_same_role() -> None:
    gold = [event(date=None, role="background"), event(date=None)]
    # pred-gold0: 1 + 0 + 0 + 0 = 1; pred-gold1: 1 + 0 + 0 + 1 = 2
    assert align_events(gold, [event(date=None)]) == [(1, 0)]


def test_alignment_prefers_the_higher_place_jaccard_not_more_shared_places() -> None:
    gold = [event("Kyiv", "Lviv", "Odesa", "Dnipro", "Sumy", date=None), event("Kyiv", date=None)]
    pred = [event("Kyiv", "Lviv", date=None)]
    # gold0: 2 shared of 5 in the union -> 1 + 0 + 2/5 + 1 = 2.4
    # gold1: 1 shared of 2 in the union -> 1 + 0 + 1/2 + 1 = 2.5
    assert align_events(gold, pred) == [(1, 0)]


def test_wrong_values_are_figures_of_paired_events_only() -> None:
    gold = [event("Kyiv", injured=fig(7))]
    pred = [event("Kyiv", date="2025-11-13", injured=fig(9))]  # paired through Kyiv
    diff = diff_article(gold, pred)
    # Dates differ too, but a date is not a figure: it is missed and extra, not "wrong value".
    assert [(g.fact, p.fact) for g, p in diff.wrong_value] == [(("injured", 7), ("injured", 9))]
    assert [entry.fact for entry in diff.missed] == [("date", DAY)]
    assert [entry.fact for entry in diff.extra] == [("date", "2025-11-13")]
    # tp 1 (place), fp 2 (date, injured 9), fn 2 (date, injured 7)
    assert diff.slot_counts() == Counts(tp=1, fp=2, fn=2)


def test_alignment_is_one_to_one_and_maximises_the_sum_not_greedy() -> None:
    gold = [event("Kyiv"), event("Lviv")]
    pred = [event("Kyiv"), event("Kyiv", date="2025-11-13")]
    # g0-p0: 1+1+1+1 = 4   g0-p1: 1+0+1+1 = 3   (Kyiv shared, dates differ)
    # g1-p0: 1+1+0+1 = 3   g1-p1: unpairable (dates differ, no shared place)
    # Greedy takes g0-p0 (4) and stops; the best one-to-one sum is g0-p1 + g1-p0 = 6.
    assert sorted(align_events(gold, pred)) == [(0, 1), (1, 0)]
    # Two predictions of one gold event: one pairs, the other is a false positive.
    assert diff_article([event("Kyiv")], [event("Kyiv"), event("Kyiv")]).event_counts() == Counts(1, 1, 0)


def test_alignment_never_pairs_unpairable_events_and_maximises_the_sum_not_the_count() -> None:
    gold = [event("Kyiv"), event("Lviv", date="2025-11-12", role="background")]
    pred = [
        event("Kyiv", "Lviv"),
        event("Kyiv", "Odesa", date="2025-11-13", role="background"),
    ]
    # g0-p0: {kyiv} vs {kyiv, lviv} = 1/2, same date and role -> 1 + 1 + 1/2 + 1 = 3.5
    # g0-p1: {kyiv} vs {kyiv, odesa} = 1/2, dates and roles differ -> 1 + 0 + 1/2 + 0 = 1.5
    # g1-p0: {lviv} vs {kyiv, lviv} = 1/2, dates differ, roles differ -> 1.5
    # g1-p1: dates 12 vs 13, {lviv} vs {kyiv, odesa} share nothing -> unpairable
    # Two pairs sum to 1.5 + 1.5 = 3 < 3.5, so one pair. The solver's full assignment
    # puts g1 with p1 (a zero cell); that cell must not become a pair.
    assert align_events(gold, pred) == [(0, 0)]
    assert diff_article(gold, pred).event_counts() == Counts(tp=1, fp=1, fn=1)


def test_unpairable_events_are_never_paired() -> None:
    pred = [event("Kyiv", attacker="Ukraine"), event("Kyiv", target_country="Poland")]
    assert align_events([event("Kyiv")], pred) == []


# --- facts of paired and unpaired events -------------------------------------------------


def test_paired_events_compare_fact_sets_and_unpaired_events_count_against() -> None:
    gold = [
        event("Kyiv", killed=fig(3, evidence="3 were killed")),
        event("Lviv", date="2025-11-10", killed=fig(1)),
    ]
    pred = [
        event("Kyiv", killed=fig(4, evidence="4 were killed"), damage=["residential"]),
        event("Belgorod", attacker="Ukraine", target_country="Russia", killed=fig(2)),
    ]
    diff = diff_article(gold, pred)
    assert diff.pairs == [(0, 0)]
    # Paired: gold {date, place kyiv, killed 3} vs pred {date, place kyiv, killed 4, damage}
    #   tp 2 (date, place), fp 2 (killed 4, damage), fn 1 (killed 3).
    # Gold 1 unpaired: {date 10, place lviv, killed 1} -> fn 3.
    # Pred 1 unpaired: {date, place belgorod, killed 2} -> fp 3.
    assert diff.slot_counts() == Counts(tp=2, fp=5, fn=4)
    assert [gold.fact for gold, _ in diff.matched] == [
        ("date", DAY),
        ("place", "settlement", "kyiv"),
    ]
    # killed 3 vs 4 is a wrong value, shown once and not again as missed and extra;
    # killed 1 vs 2 are in unpaired events, so they are not a wrong-value pair.
    [(wrong_gold, wrong_pred)] = diff.wrong_value
    assert (wrong_gold.fact, wrong_pred.fact) == (("killed", 3), ("killed", 4))
    assert wrong_gold.figure is not None and wrong_gold.figure.evidence == "3 were killed"
    assert wrong_pred.figure is not None and wrong_pred.figure.evidence == "4 were killed"
    assert ("killed", 1) in [entry.fact for entry in diff.missed]
    assert ("killed", 2) in [entry.fact for entry in diff.extra]
    assert [entry.fact for entry in diff.extra if entry.event == 0] == [("damage", "residential")]
    as_json = diff.to_dict()
    assert as_json["wrong_value"][0]["gold"]["figure"]["evidence"] == "3 were killed"
    json.dumps(as_json)


def test_per_kind_counts_and_micro_average_over_articles() -> None:
    gold = {
        "a": [event("Kyiv", "Lviv", "Odesa")],
        "b": [event(date=None, killed=fig(3))],
    }
    predictions = {
        "a": ok(event("Kyiv", "Lviv", "Odesa")),
        "b": ok(event(date=None, killed=fig(4))),
    }
    report = score_dataset(gold, predictions)
    # a: date + 3 places matched -> tp 4.   b: killed 3 vs 4 -> fp 1, fn 1.
    # Micro: P = 4/5, R = 4/5, F1 = 8/10 = 0.8 (averaging articles would give (1 + 0)/2).
    assert report.slots == Counts(tp=4, fp=1, fn=1)
    assert report.slots.f1 == pytest.approx(0.8)
    assert report.per_kind["place"] == Counts(tp=3)
    assert report.per_kind["place"].f1 == 1.0
    assert report.per_kind["killed"] == Counts(fp=1, fn=1)
    assert report.per_kind["killed"].f1 == 0.0
    # No gold and no predicted injured facts: nothing to score.
    assert report.per_kind["injured"].f1 is None
    assert report.events == Counts(tp=2)


def test_names_models_and_sources_match_after_normalisation() -> None:
    gold = [
        event(
            "Kyiv",
            weapons=[
                Weapon(category="drone", model="Shahed", launched=fig(50)),
                Weapon(category="cruise_missile", model="Kh-101"),
            ],
            killed=fig(2, source="Ukrainian Air Force"),
        )
    ]
    pred = [
        event(
            "Kiev",
            weapons=[
                Weapon(category="drone", model="Geran", launched=fig(50)),
                Weapon(category="cruise_missile", model="X-101"),
            ],
            killed=fig(2, source="Ukraine's Air Force"),
        )
    ]
    # date, place, weapon shahed, launched 50, weapon kh101, killed 2: all six match.
    report = score_dataset({"a": gold}, {"a": ok(*pred)})
    assert report.slots == Counts(tp=6)
    assert report.source_accuracy == 1.0


# --- qualifier, source, grounding, validity ----------------------------------------------


def test_qualifier_and_source_accuracy_count_matching_figure_facts_only() -> None:
    gold = event(
        Place(name="Kyiv", kind="settlement", killed=fig(2)),
        killed=fig(5, "exact", source="Kyiv city administration"),
        injured=fig(3),
        weapons=[Weapon(category="drone", launched=fig(100, "at_least", "Ukrainian Air Force"))],
    )
    pred = event(
        Place(name="Kyiv", kind="settlement", killed=fig(2, source="Vitali Klitschko")),
        killed=fig(5, "approximately"),
        injured=fig(4),
        weapons=[Weapon(category="drone", launched=fig(100, "at_least", "Ukraine's Air Force"))],
    )
    report = score_dataset({"a": [gold]}, {"a": ok(pred)})
    # Matching figure facts: killed 5, launched 100, place_killed 2 (injured 3 vs 4 does
    # not match; date, place and weapon are not figures).
    # Qualifiers: exact/approximately, at_least/at_least, exact/exact -> 2 of 3.
    assert report.qualifier_accuracy == pytest.approx(2 / 3)
    # Gold names a source for killed (pred none: wrong) and launched (same after
    # normalisation: right); place_killed has no gold source, so it is left out -> 1 of 2.
    assert report.source_accuracy == pytest.approx(1 / 2)


def test_grounding_rate_checks_every_predicted_figure_against_its_article() -> None:
    text = "Russian drones killed 2 people in Kyiv, officials said. Around 40 were “injured”."
    pred = event(
        Place(name="Kyiv", kind="settlement", killed=fig(2, evidence="killed 2 people in Kyiv")),
        killed=fig(2, evidence="drones killed 2 people"),
        injured=fig(40, evidence='around   40 were "INJURED"'),  # space, quotes, case folded
        weapons=[Weapon(category="drone", launched=fig(100, evidence="launched 100 drones"))],
    )
    failed = Prediction(id="b", status="invalid", errors=["invalid: ..."])
    articles = {
        "a": ArticleRecord(id="a", text=text),
        "b": ArticleRecord(id="b", text="nothing"),
    }
    gold = {"a": [event("Kyiv")], "b": []}
    report = score_dataset(gold, {"a": ok(pred), "b": failed}, articles)
    # Four figures: event killed, event injured, the place's killed found; launched not.
    assert report.grounding_rate == pytest.approx(3 / 4)
    assert score_dataset(gold, {"a": ok(pred)}).grounding_rate is None  # no texts
    assert score_dataset(gold, {"a": ok(event("Kyiv"))}, articles).grounding_rate is None


def test_validity_rate_and_failed_records_score_as_empty() -> None:
    gold_event = event("Kyiv", killed=fig(1))
    gold = {key: [gold_event] for key in "abcd"}
    predictions = {
        "a": Prediction(id="a", status="ok", events=[gold_event]),
        "b": Prediction.model_validate({"id": "b", "events": [gold_event.model_dump()]}),
        # A failed record's events are not read even when it carries some.
        "c": Prediction.model_validate({"id": "c", "status": "invalid", "events": [gold_event.model_dump()]}),
        # "d" has no prediction at all.
    }
    report = score_dataset(gold, predictions)
    assert report.validity_rate == pytest.approx(2 / 4)
    # a, b: 3 facts matched each; c, d: their 3 gold facts missed each.
    assert report.slots == Counts(tp=6, fp=0, fn=6)
    assert report.events == Counts(tp=2, fp=0, fn=2)


def test_nothing_to_score_gives_none_not_zero() -> None:
    report = score_dataset({"a": [], "b": []}, {"a": ok(), "b": ok()})
    assert report.slots == Counts() and report.slots.f1 is None and report.events.f1 is None
    assert report.slots_ci95 is None
    assert report.validity_rate == 1.0
    assert report.qualifier_accuracy is None and report.source_accuracy is None


def test_zero_denominators_give_zero() -> None:
    # Predicted nothing where gold has 3: P = 0/0 -> 0.0, R = 0/3, F1 = 0/3.
    assert (Counts(fn=3).precision, Counts(fn=3).recall, Counts(fn=3).f1) == (0.0, 0.0, 0.0)
    assert (Counts(fp=2).precision, Counts(fp=2).recall, Counts(fp=2).f1) == (0.0, 0.0, 0.0)


def test_report_to_dict_has_the_promised_shape() -> None:
    report = score_dataset({"a": [event("Kyiv")]}, {"a": ok(event("Kyiv"))})
    result = json.loads(json.dumps(report.to_dict(details=True)))
    assert result["events"] == {
        "precision": 1.0,
        "recall": 1.0,
        "f1": 1.0,
        "tp": 1,
        "fp": 0,
        "fn": 0,
    }
    assert set(result["slots"]) == {"precision", "recall", "f1", "tp", "fp", "fn", "ci95"}
    assert result["slots"]["ci95"] == [1.0, 1.0]
    assert len(result["per_kind"]) == 10
    for key in ("qualifier_accuracy", "source_accuracy", "grounding_rate", "validity_rate"):
        assert key in result
    assert result["articles"] == 1
    assert result["per_article"]["a"]["diff"]["pairs"] == [[0, 0]]


# --- bootstrap ---------------------------------------------------------------------------

# 15 articles' (tp, fp, fn): varied enough that resamples differ.
TABLE = [(i % 5 + 1, i % 3, (i * 7) % 4) for i in range(15)]


def test_f1_of_counts() -> None:
    # 2*8 / (2*8 + 2 + 2) = 0.8; all zero -> NaN (nothing to score)
    f1 = f1_of_counts([[8, 2, 2], [0, 0, 0]])
    assert f1[0] == pytest.approx(0.8)
    assert f1[1] != f1[1]


def test_bootstrap_interval_is_deterministic_and_contains_the_estimate() -> None:
    first = f1_interval(TABLE, seed=7)
    assert first == f1_interval(TABLE, seed=7)
    assert first != f1_interval(TABLE, seed=8)
    assert len(resampled_f1(TABLE, seed=7)) == 1000
    tp, fp, fn = (sum(column) for column in zip(*TABLE, strict=True))
    estimate = 2 * tp / (2 * tp + fp + fn)
    assert first is not None
    low, high = first
    assert low < estimate < high
    assert f1_interval([(0, 0, 0)] * 4) is None


def test_paired_bootstrap_sign_and_share() -> None:
    better = [(2, 0, 0), (2, 1, 0), (4, 1, 2)]  # tp 8, fp 2, fn 2 -> F1 16/20 = 0.8
    worse = [(1, 1, 1), (1, 2, 1), (4, 1, 2)]  # tp 6, fp 4, fn 4 -> F1 12/20 = 0.6
    # Each of the first two articles is strictly better for A; the third is a tie.
    result = paired_difference(better, worse)
    assert result.difference == pytest.approx(0.2)
    assert result.ci95 is not None and result.ci95[0] <= 0.2 <= result.ci95[1]
    # A resample of the third article only ties; there 3 of 3 draws happen with
    # probability (1/3)^3 = 1/27, so about 37 of 1000 resamples.
    assert result.share_not_better == pytest.approx(1 / 27, abs=0.02)
    reverse = paired_difference(worse, better)
    assert reverse.difference == pytest.approx(-0.2)
    assert reverse.share_not_better == 1.0
    assert paired_difference(better, better).share_not_better == 1.0  # ties count against A


def test_compare_reports_pairs_articles_by_id() -> None:
    gold = {"a": [event("Kyiv")], "b": [event("Lviv", killed=fig(1))]}
    good = score_dataset(gold, {"a": ok(event("Kyiv")), "b": ok(event("Lviv", killed=fig(1)))})
    bad = score_dataset(gold, {"a": ok(event("Kyiv")), "b": ok(event("Lviv", killed=fig(2)))})
    # good: tp 5 -> F1 1.0; bad: tp 4, fp 1, fn 1 -> F1 8/10
    assert compare_reports(good, bad).difference == pytest.approx(0.2)
    with pytest.raises(ValueError, match="same gold articles"):
        compare_reports(good, score_dataset({"a": gold["a"]}, {}))
