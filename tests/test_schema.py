"""The codebook's schema: exact names and values, strictness, and grounding."""

from __future__ import annotations

import pytest
from helpers import ARTICLE, event, extraction, figure, ungrounded_event
from pydantic import ValidationError

from extractor.grounding import ArticleChecks, evidence_checker, fold_text
from extractor.schema import AttackEvent, Extraction


def test_the_codebook_json_validates_as_is() -> None:
    parsed = Extraction.model_validate(extraction(event()), context=ArticleChecks.of(ARTICLE).context)
    assert parsed.model_dump(mode="json") == extraction(event())


def test_unknown_fields_are_rejected_at_every_level() -> None:
    with pytest.raises(ValidationError):
        Extraction.model_validate({"events": [], "notes": "x"})
    with pytest.raises(ValidationError):
        AttackEvent.model_validate(event(confidence=0.9))
    bad = event()
    bad["weapons"][0]["launched"]["unit"] = "pcs"
    with pytest.raises(ValidationError):
        AttackEvent.model_validate(bad)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("role", "primary"),
        ("attacker", "Belarus"),
        ("date", "19 Nov 2024"),
        ("date", "2024-02-30"),
        ("damage", ["houses"]),
        ("weapons", [{"category": "bomb", "model": None, "launched": None, "intercepted": None}]),
        ("places", [{"name": "Kyiv", "kind": "city", "region": None, "killed": None, "injured": None}]),
        ("killed", figure(-1, "x")),
        ("killed", figure(1, "x", qualifier="roughly")),
    ],
)
def test_values_outside_the_codebook_are_rejected(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        AttackEvent.model_validate(event(**{field: value}))


def test_damage_is_deduplicated_in_order() -> None:
    assert AttackEvent.model_validate(event(damage=["energy", "residential", "energy"])).damage == [
        "energy",
        "residential",
    ]


def test_evidence_must_be_in_the_article_only_when_checked() -> None:
    AttackEvent.model_validate(ungrounded_event())
    with pytest.raises(ValidationError, match="two civilians died in the blast"):
        AttackEvent.model_validate(ungrounded_event(), context=ArticleChecks.of(ARTICLE).context)


def test_folding_ignores_whitespace_case_and_quote_styles() -> None:
    check = evidence_checker("He said:  “Three DRONES were   ‘destroyed’”.")
    assert check('he said: "three drones were \'destroyed\'"')
    assert not check("four drones")
    assert not check("   ")
    assert fold_text(" A\n\tB ") == "a b"
