"""Who a sentence attributes its figures to.

The codebook names the three common speakers canonically ("Ukrainian Air
Force", "Russian Defence Ministry", "Volodymyr Zelensky"); other speakers are
named as the article names them, in full where it gives the full name
("Vitali Klitschko", "Poltava regional administration"). A sentence with no
speaker states its figures in its own voice.

Articles name a speaker once and then point back at them ("Savchuk said", "it
said", "the administration added", a quote whose speaker comes at its end),
so ``attribute_sentences`` reads the article as a whole: surnames become the
full names given earlier, pronouns and "the ministry" become the speaker they
stand for, and a sentence that continues a speaker's paragraph keeps them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from extractor.rules.resources import load
from extractor.rules.text import Sentence
from extractor.vocabulary import canonical_source

_SAY = (
    r"(?:said|says|say|reported|reports|told|wrote|writes|added|adds|add|announced|stated|counted|put|"
    r"posted|published|summed up|confirmed|claimed|claims)"
)
_APOSTROPHE = r"['\u2019]"
_AIR_FORCE = re.compile(rf"\b(?:Ukrain(?:e{_APOSTROPHE}s|ian)\s+)?[Aa]ir\s+[Ff]orces?\b(?!\s+commander)")
_DEFENCE = re.compile(
    rf"\b(?P<who>Russia(?:{_APOSTROPHE}s|n)\s+|Ukrain(?:e{_APOSTROPHE}s|ian)\s+|Moscow{_APOSTROPHE}s\s+)?"
    r"(?:[Dd]efen[cs]e\s+[Mm]inistry|[Mm]inistry\s+of\s+[Dd]efen[cs]e)"
)
_ZELENSKY = re.compile(r"\bZelens(?:ky|kyy|kiy)\b")
_NAME = r"[A-Z][a-z]+(?:-[A-Z][a-z]+)?(?:\s+[A-Z][a-z]+(?:-[A-Z][a-z]+)?){1,2}"
_TITLE = (
    r"(?:[Gg]overnor|[Mm]ayor|[Hh]ead|[Cc]hief|[Mm]inister|[Ss]pokes(?:man|woman|person)|[Cc]ommander|"
    r"[Cc]hairman|[Pp]rosecutor|[Dd]irector|[Pp]resident|[Ss]ecretary|[Aa]dviser|[Oo]fficial)"
)
_TITLED = re.compile(rf"\b{_TITLE}(?:\s+of\s+[^,]{{3,70}},|\s+of\s+[^,]{{3,70}}?)?,?\s+(?P<name>{_NAME})\b")
_NAME_TITLE = re.compile(rf"\b(?P<name>{_NAME}),\s+(?:the\s+)?(?:\w+\s+){{0,3}}{_TITLE}\b")
_NAMED_SAYS = re.compile(rf"\b(?P<name>{_NAME})(?:,[^,]{{3,80}},)?\s+(?:has\s+|had\s+)?{_SAY}\b")
_SAYS_NAME = re.compile(rf"\b{_SAY}\s+(?P<name>{_NAME})\b")
_SURNAME_SAYS = re.compile(rf"\b(?P<name>[A-Z][a-z]+(?:-[A-Z][a-z]+)?)\s+(?:has\s+|had\s+)?{_SAY}\b")
_ORG_HEAD = (
    r"(?:[Ss]ervice|[Pp]olice|[Mm]inistry|[Oo]ffice|[Aa]dministration|[Ss]taff|[Cc]ouncil|[Hh]eadquarters|"
    r"[Aa]uthorities|[Oo]fficials|[Pp]rosecutors|[Gg]overnment|[Mm]ilitary)"
)
_ORG_WORD = (
    rf"(?:[A-Z][\w'\u2019-]*|regional|city|local|military|emergency|state|national|district|mayor{_APOSTROPHE}s)"
)
_ORG = re.compile(rf"\b(?:[Tt]he\s+)?(?P<org>(?:{_ORG_WORD}\s+){{0,4}}{_ORG_HEAD})\s+(?:has\s+|had\s+)?{_SAY}\b")
_ACCORDING = re.compile(
    rf"\b[Aa]ccording to (?:the\s+)?(?P<org>(?:{_ORG_WORD}\s+){{0,4}}{_ORG_HEAD}|(?:[A-Z][\w'\u2019-]*\s*){{1,5}})"
)
_PLACE_SAYS = re.compile(r"\b(?P<org>Kyiv|Kiev|Ukraine|Moscow|Russia)\s+(?:has\s+)?(?:said|says|claimed|claims)\b")
# Words that point back at a speaker already named.
_BACK = re.compile(
    rf"\b(?:(?P<pronoun>it|he|she|they)\s+(?:has\s+|had\s+)?{_SAY}"
    rf"|(?:according\s+to\s+(?P<object>him|her|them|it))"
    rf"|the\s+(?P<noun>official|governor|mayor|ministry|administration|statement|agency|service|police|"
    rf"authorities|officials|military|head|spokesman|spokeswoman|force|command)\s+(?:has\s+|had\s+)?{_SAY})\b",
    re.IGNORECASE,
)
_PERSON_NOUNS = {"official", "governor", "mayor", "head", "spokesman", "spokeswoman", "he", "she", "him", "her"}
_POSSESSIVE = re.compile(rf"^(?:Ukraine|Russia|Ukrainian|Russian)(?:{_APOSTROPHE}s)?\s+(?=[A-Z])")


@cache
def _not_name_words() -> frozenset[str]:
    return frozenset(load("cues")["not_name_words"])


def _not_a_name(words: str) -> bool:
    """Whether capitalised words name an organisation or a place rather than a person."""
    return bool(set(words.split()) & _not_name_words())


def find_source(sentence: str, people: dict[str, str] | None = None) -> str | None:
    """The speaker a sentence names for its figures, or None for the article's own voice.

    ``people`` maps surnames to the full names the article gave earlier.
    """
    if not re.search(rf"\b{_SAY}\b|[Aa]ccording to|\bclaim", sentence):
        return None
    if _AIR_FORCE.search(sentence) and not re.search(r"Russian\s+air\s+force", sentence, re.I):
        return "Ukrainian Air Force"
    defence = _DEFENCE.search(sentence)
    if defence:
        who = defence.group("who") or ""
        return "Ukrainian Defence Ministry" if who.startswith("Ukrain") else "Russian Defence Ministry"
    if _ZELENSKY.search(sentence):
        return "Volodymyr Zelensky"
    person = _person(sentence)
    if person:
        return canonical_source(person)
    surnames = [m.group("name") for m in _SURNAME_SAYS.finditer(sentence) if people and m.group("name") in people]
    if people and surnames:
        return people[surnames[0]]
    for pattern in (_ORG, _ACCORDING, _PLACE_SAYS):
        org = pattern.search(sentence)
        if org:
            return _organisation(org.group("org"))
    return None


def _person(sentence: str) -> str | None:
    for pattern in (_TITLED, _NAME_TITLE, _NAMED_SAYS, _SAYS_NAME):
        for match in pattern.finditer(sentence):
            name = match.group("name")
            if not _not_a_name(name):
                return name
    return None


def _organisation(words: str) -> str:
    """An organisation as the article names it, less a leading country ("Ukraine's")."""
    org = words.strip()
    bare = _POSSESSIVE.sub("", org)
    return bare if bare != org and len(bare.split()) >= 2 else org


# A back-reference ("the ministry said", "he added") points at a recent speaker: only
# the last few are searched, which keeps a very long article linear, not quadratic.
RECENT_SPEAKERS = 64


def known_people(sentences: Sequence[Sentence]) -> dict[str, str]:
    """Surnames of the people the article names in full, mapped to the full names."""
    people: dict[str, str] = {}
    for sentence in sentences:
        for pattern in (_TITLED, _NAME_TITLE, _NAMED_SAYS):
            for match in pattern.finditer(sentence.text):
                name = match.group("name")
                if not _not_a_name(name):
                    people.setdefault(name.split()[-1], name)
    return people


def attribute_sentences(sentences: Sequence[Sentence]) -> list[str | None]:
    """The speaker of every sentence, with back-references resolved across the article."""
    people = known_people(sentences)
    sources: list[str | None] = []
    spoken: list[str] = []
    for index, sentence in enumerate(sentences):
        source = _speaker(sentence.text, people, spoken)
        if source is None:
            source = _quote_speaker(sentences, index, people, spoken)
        if source is None and index and sentences[index - 1].paragraph == sentence.paragraph:
            source = sources[-1]
        sources.append(source)
        if source is not None:
            spoken.append(source)
            if len(spoken) > RECENT_SPEAKERS:
                del spoken[0]
    return sources


def _speaker(text: str, people: dict[str, str], spoken: list[str]) -> str | None:
    """The speaker a text names or points back at."""
    source = find_source(text, people)
    back = _BACK.search(text)
    if back and (source is None or back.start() < _speaker_start(text, source)):
        source = _referent(back, spoken) or source
    return source


def _speaker_start(text: str, source: str) -> int:
    at = text.find(source.split()[-1])
    return at if at >= 0 else len(text)


def _referent(back: re.Match[str], spoken: list[str]) -> str | None:
    """The earlier speaker a pronoun or "the ministry" stands for."""
    word = (back.group("pronoun") or back.group("object") or back.group("noun") or "").lower()
    if word in {
        "ministry",
        "administration",
        "police",
        "service",
        "authorities",
        "officials",
        "military",
        "force",
        "command",
    }:
        matching = [s for s in spoken if word[:6] in s.lower()]
        if matching:
            return matching[-1]
    people = [s for s in spoken if re.fullmatch(_NAME, s) and not _not_a_name(s)]
    if word in _PERSON_NOUNS and people:
        return people[-1]
    if word == "it":
        others = [s for s in spoken if s not in people]
        if others:
            return others[-1]
    return spoken[-1] if spoken else None


def _quote_speaker(sentences: Sequence[Sentence], index: int, people: dict[str, str], spoken: list[str]) -> str | None:
    """A sentence inside a quotation takes the speaker named where the quotation closes."""
    text = sentences[index].text
    if not re.match(r"^[\"\u201c]", text) or re.search(r"[\"\u201d]", text[1:]):
        return None
    for later in sentences[index + 1 : index + 6]:
        if later.paragraph != sentences[index].paragraph:
            return None
        closing = re.search(r"[\"\u201d]", later.text)
        if closing:
            return _speaker(later.text[closing.end() :], people, spoken)
    return None
