"""Checks of the hand-labelled gold files against the codebook's schema and their articles.

Every gold line must validate strictly, with each figure's evidence found in its
article; gold and articles must line up one to one; and a few cheap rules of the
codebook that the schema cannot express (canonical spellings, one weapon entry
per (category, model), explicit fields) are checked here so that a slip in the
gold fails loudly instead of quietly skewing the scores.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from helpers import DATASETS

from extractor.grounding import ArticleChecks
from extractor.schema import AttackEvent, Extraction, Figure, Place, Weapon
from extractor.vocabulary import (
    canonical_model,
    canonical_place,
    canonical_source,
    model_category,
    normalise,
)

DATASETS_DIR = DATASETS
DATASETS = ["seeds", "dev", "heldout", "heldout2", "heldout3"]
ARTICLE_KEYS = {"id", "text", "published", "title"}
MAX_EVIDENCE_CHARS = 200
REGION_SUFFIXES = (" Oblast", " Krai")
OWN_NAME_REGIONS = {"Crimea"}


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _articles(dataset: str) -> list[dict[str, Any]]:
    return _read_jsonl(DATASETS_DIR / dataset / "articles.jsonl")


def _gold(dataset: str) -> list[dict[str, Any]]:
    return _read_jsonl(DATASETS_DIR / dataset / "gold.jsonl")


def _pairs() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(dataset, article, gold line) for every article, matched by id."""
    out = []
    for dataset in DATASETS:
        gold = {line["id"]: line for line in _gold(dataset)}
        for article in _articles(dataset):
            out.append((dataset, article, gold.get(article["id"], {"id": article["id"]})))
    return out


PAIRS = _pairs()
PAIR_IDS = [f"{dataset}/{article['id']}" for dataset, article, _ in PAIRS]


def _events(pair_gold: dict[str, Any]) -> list[dict[str, Any]]:
    events = pair_gold.get("events")
    assert isinstance(events, list), f"{pair_gold['id']}: no events list"
    return events


def _figures(event: dict[str, Any]) -> list[dict[str, Any]]:
    figures = [event["killed"], event["injured"]]
    for weapon in event["weapons"]:
        figures += [weapon["launched"], weapon["intercepted"]]
    for place in event["places"]:
        figures += [place["killed"], place["injured"]]
    return [f for f in figures if f is not None]


# ------------------------------------------------------------------ (b) alignment


@pytest.mark.parametrize("dataset", DATASETS)
def test_gold_ids_match_articles_in_order(dataset: str) -> None:
    article_ids = [a["id"] for a in _articles(dataset)]
    gold_ids = [g["id"] for g in _gold(dataset)]
    assert len(set(article_ids)) == len(article_ids), "duplicate article ids"
    assert len(set(gold_ids)) == len(gold_ids), "duplicate gold ids"
    assert gold_ids == article_ids


@pytest.mark.parametrize("dataset", DATASETS)
def test_gold_lines_have_only_id_and_events(dataset: str) -> None:
    for line in _gold(dataset):
        assert set(line) == {"id", "events"}, line.get("id")


# ------------------------------------------------------------------ (c) articles


@pytest.mark.parametrize("dataset", DATASETS)
def test_articles_have_required_keys_and_iso_dates(dataset: str) -> None:
    articles = _articles(dataset)
    assert articles, f"{dataset}: no articles"
    for article in articles:
        missing = ARTICLE_KEYS - set(article)
        assert not missing, f"{article.get('id')}: missing {missing}"
        assert isinstance(article["id"], str) and article["id"]
        assert isinstance(article["text"], str) and article["text"].strip()
        assert article["title"] is None or isinstance(article["title"], str)
        published = article["published"]
        assert isinstance(published, str)
        assert dt.date.fromisoformat(published).isoformat() == published, published


# ------------------------------------------------------------------ (a) strict validation


@pytest.mark.parametrize(("dataset", "article", "gold"), PAIRS, ids=PAIR_IDS)
def test_gold_validates_strictly_with_grounded_evidence(
    dataset: str, article: dict[str, Any], gold: dict[str, Any]
) -> None:
    Extraction.model_validate(
        {"events": _events(gold)}, context=ArticleChecks.of(article["text"], snap=False).context
    )


# ------------------------------------------------------------------ (d) codebook rules


def _field_names(model: type) -> set[str]:
    return set(model.model_fields)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("dataset", "article", "gold"), PAIRS, ids=PAIR_IDS)
def test_every_field_is_written_out(
    dataset: str, article: dict[str, Any], gold: dict[str, Any]
) -> None:
    for event in _events(gold):
        assert set(event) == _field_names(AttackEvent)
        for weapon in event["weapons"]:
            assert set(weapon) == _field_names(Weapon)
        for place in event["places"]:
            assert set(place) == _field_names(Place)
        for figure in _figures(event):
            assert set(figure) == _field_names(Figure)


@pytest.mark.parametrize(("dataset", "article", "gold"), PAIRS, ids=PAIR_IDS)
def test_weapons_one_entry_per_category_model_with_canonical_models(
    dataset: str, article: dict[str, Any], gold: dict[str, Any]
) -> None:
    for event in _events(gold):
        keys = [(w["category"], w["model"]) for w in event["weapons"]]
        assert len(keys) == len(set(keys)), f"duplicate weapon entries {keys}"
        for weapon in event["weapons"]:
            model = weapon["model"]
            if weapon["category"] == "all":
                assert model is None, "'all' carries no model"
            if model is None:
                continue
            listed = canonical_model(model)
            if listed is not None:
                assert model == listed, f"{model!r} should be spelled {listed!r}"
                assert weapon["category"] == model_category(model), (
                    f"{model} is a {model_category(model)}, not {weapon['category']}"
                )


@pytest.mark.parametrize(("dataset", "article", "gold"), PAIRS, ids=PAIR_IDS)
def test_places_canonical_distinct_and_districts_have_a_city(
    dataset: str, article: dict[str, Any], gold: dict[str, Any]
) -> None:
    for event in _events(gold):
        names = [p["name"] for p in event["places"]]
        assert len(names) == len(set(names)), f"duplicate places {names}"
        for place in event["places"]:
            for name in (place["name"], place["region"]):
                if name is not None:
                    # an alias spelling (Kiev, Kharkov Oblast) normalises to another name
                    assert normalise(canonical_place(name)) == normalise(name), name
            if place["kind"] == "district":
                assert place["region"], f"district {place['name']} needs its city as region"
                assert "district" not in place["name"].casefold()
            if place["kind"] == "region":
                assert place["region"] is None, f"region {place['name']} has a region"
                assert (
                    place["name"].endswith(REGION_SUFFIXES) or place["name"] in OWN_NAME_REGIONS
                ), f"region {place['name']!r} should be named 'X Oblast' or 'X Krai'"


@pytest.mark.parametrize(("dataset", "article", "gold"), PAIRS, ids=PAIR_IDS)
def test_dates_resolved_and_date_text_quoted(
    dataset: str, article: dict[str, Any], gold: dict[str, Any]
) -> None:
    published = dt.date.fromisoformat(article["published"])
    folded_text = " ".join(article["text"].split()).casefold()
    for event in _events(gold):
        if event["date"] is not None:
            assert dt.date.fromisoformat(event["date"]) <= published, "attack after publication"
        if event["date_text"] is not None:
            assert " ".join(event["date_text"].split()).casefold() in folded_text, event[
                "date_text"
            ]
        else:
            assert event["date"] is None, "a resolved date needs the article's date words"


@pytest.mark.parametrize(("dataset", "article", "gold"), PAIRS, ids=PAIR_IDS)
def test_figures_sources_canonical_and_evidence_short(
    dataset: str, article: dict[str, Any], gold: dict[str, Any]
) -> None:
    for event in _events(gold):
        for figure in _figures(event):
            source = figure["source"]
            if source is not None:
                assert source.strip() == source and source
                assert canonical_source(source) == source, (
                    f"write {canonical_source(source)!r}, not {source!r}"
                )
            assert len(figure["evidence"]) <= MAX_EVIDENCE_CHARS, figure["evidence"]


@pytest.mark.parametrize(("dataset", "article", "gold"), PAIRS, ids=PAIR_IDS)
def test_damage_distinct_and_summary_one_line(
    dataset: str, article: dict[str, Any], gold: dict[str, Any]
) -> None:
    for event in _events(gold):
        assert len(event["damage"]) == len(set(event["damage"]))
        summary = event["summary"]
        assert summary.strip() and "\n" not in summary
        assert summary.rstrip().endswith("."), summary


@pytest.mark.parametrize("dataset", DATASETS)
def test_articles_with_events_have_a_main_event(dataset: str) -> None:
    """Sanity of the set as a whole: each article with events has a main one."""
    for line in _gold(dataset):
        events = line["events"]
        if events:
            assert any(e["role"] == "main" for e in events), f"{line['id']}: only background events"
