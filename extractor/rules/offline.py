"""The rules model's pipeline: article text in, codebook extraction out.

Strip page furniture, split sentences, read each, group readings into events.
Deterministic, offline, and fast enough for thousands of articles a minute.
"""

from __future__ import annotations

import datetime as dt

from extractor.rules.boilerplate import drop_sentences, keep_lines
from extractor.rules.dates import dateline_date
from extractor.rules.events import build_event, group_readings
from extractor.rules.places import find_places, place_districts
from extractor.rules.readings import read_sentences
from extractor.rules.text import Sentence, line_spans, split_sentences
from extractor.schema import AttackEvent, Extraction


def story_sentences(text: str) -> list[Sentence]:
    """The article's sentences with boilerplate lines and sentences removed."""
    kept = keep_lines(text, line_spans(text))
    return drop_sentences(split_sentences(text, kept))


def extract_rules(text: str, published: dt.date | None = None) -> Extraction:
    """Attack events of one article by deterministic rules; no network, no weights."""
    sentences = story_sentences(text)
    reference = dateline_date(text, published) or published
    found = [find_places(s.text) for s in sentences]
    cities = frozenset(p.name for places in found for p in places if p.kind == "settlement")
    mentions = [place_districts(places, cities) for places in found]
    readings = read_sentences(sentences, reference, mentions)
    events: list[AttackEvent] = []
    for group in group_readings(readings):
        event = build_event(group)
        if event is not None:
            events.append(event)
    return Extraction(events=events)
