"""The articles of one run as data for view.html: each text with its figures marked, and event cards.

An analyst trusts a count when they can see the words it came from. The eval
report shows that only beside gold labels; this needs none: every figure of
a run (launched, intercepted, killed, injured) is found in its article with
the grounding check's folding (``EvidenceLocator``) and the text is cut into
pieces by ``spans.pieces``, each marked piece knowing the figures it quotes
and linking to the first one's line in its event card. The templates
``view.html.j2`` and ``_view_article.html.j2`` draw this data.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from extractor.articles import Article, read_articles
from extractor.grounding import EvidenceLocator
from extractor.output.sqlite import ArticleInfo
from extractor.output.stored import StoredRun, load_run
from extractor.record import Record
from extractor.report.format import QUALIFIER_WORDS, fmt_count, weapon_name
from extractor.report.html import asset, page_security, render_template
from extractor.report.spans import Mark, pieces
from extractor.schema import AttackEvent, Figure

STATUSES = ("ok", "invalid", "error")
# Articles per page of view.html; a run this size or smaller reads fully without script.
PAGE_SIZE = 100
# Only these schemes become a link; anything else (javascript:, data:) stays text.
LINK_SCHEMES = ("https://", "http://")


@dataclass(frozen=True)
class FigureLine:
    """One figure in its event card: which slot, the number in words, who says so, and where."""

    anchor: str
    what: str
    value: str
    source: str | None
    evidence: str
    text_anchor: str | None  # the marked piece where its quote starts; None when the quote is not in the text


@dataclass(frozen=True)
class WeaponLine:
    name: str
    launched: FigureLine | None
    intercepted: FigureLine | None


@dataclass(frozen=True)
class PlaceLine:
    name: str
    kind: str
    region: str | None
    killed: FigureLine | None
    injured: FigureLine | None


@dataclass(frozen=True)
class EventCard:
    anchor: str
    number: int
    event: AttackEvent
    killed: FigureLine | None
    injured: FigureLine | None
    weapons: list[WeaponLine]
    places: list[PlaceLine]

    @property
    def sources(self) -> list[str]:
        """Who the card's figures are attributed to, each once, in card order."""
        return list(dict.fromkeys(f.source for f in card_figures(self) if f.source))


@dataclass(frozen=True)
class TextPiece:
    """A stretch of the text: plain, or marked with the anchors of every figure that quotes it."""

    text: str
    figures: str = ""
    link: str | None = None
    title: str = ""
    anchor: str | None = None


@dataclass(frozen=True)
class ArticleView:
    number: int
    anchor: str
    record: Record
    info: ArticleInfo
    link: str | None
    cards: list[EventCard]
    pieces: list[TextPiece] | None  # None when the run's article text is not known
    unmarked: list[FigureLine]

    @property
    def title(self) -> str:
        return self.info.title or self.record.id

    @property
    def events_json(self) -> str:
        """[attacker, target country, date] of each event, for the page's filters (an attribute's value)."""
        return json.dumps([[c.event.attacker, c.event.target_country, c.event.date or ""] for c in self.cards],
                          ensure_ascii=False)


@dataclass(frozen=True)
class RunView:
    name: str
    articles: list[ArticleView]
    statuses: list[tuple[str, int]]
    attackers: list[str]
    targets: list[str]
    dates: tuple[str, str] | None
    figures: int
    marked: int

    @property
    def has_texts(self) -> bool:
        return any(a.pieces is not None for a in self.articles)


def run_view(name: str, run: StoredRun, texts: dict[str, ArticleInfo] | None = None) -> RunView:
    """Every article of the run in its order; ``texts`` (an input file's articles) fill in what the run lacks."""
    texts = texts or {}
    articles = [
        article_view(number, record, texts.get(key) or run.articles.get(key) or ArticleInfo())
        for number, (key, record) in enumerate(run.records.items(), start=1)
    ]
    events = [card.event for a in articles for card in a.cards]
    dates = sorted(e.date for e in events if e.date)
    lines = [line for a in articles for card in a.cards for line in card_figures(card)]
    counts: Counter[str] = Counter(a.record.status for a in articles)
    return RunView(
        name=name, articles=articles,
        statuses=[(s, counts[s]) for s in (*STATUSES, *sorted(set(counts) - set(STATUSES)))],
        attackers=sorted({e.attacker for e in events}), targets=sorted({e.target_country for e in events}),
        dates=(dates[0], dates[-1]) if dates else None,
        figures=len(lines), marked=sum(line.text_anchor is not None for line in lines),
    )


@dataclass(frozen=True)
class Quote:
    """A figure before it is placed: its anchor, its event's number, its slot in words, and the figure."""

    anchor: str
    event: int
    what: str
    figure: Figure


def article_view(number: int, record: Record, info: ArticleInfo) -> ArticleView:
    anchor = f"a{number}"
    quotes = [quote for index, event in enumerate(record.events, 1)
              for quote in event_quotes(f"{anchor}-e{index}", index, event)]
    text_pieces, starts = marked_text(anchor, info.text, quotes)
    lines = {q.anchor: FigureLine(q.anchor, q.what, figure_value(q.figure), q.figure.source, q.figure.evidence,
                                  starts.get(q.anchor)) for q in quotes}
    cards = [event_card(f"{anchor}-e{index}", index, event, lines) for index, event in enumerate(record.events, 1)]
    unmarked = [line for line in lines.values() if line.text_anchor is None]
    link = info.url if info.url and info.url.lower().startswith(LINK_SCHEMES) else None
    return ArticleView(number, anchor, record, info, link, cards, text_pieces, unmarked)


def event_quotes(anchor: str, number: int, event: AttackEvent) -> Iterator[Quote]:
    """Every figure of an event with its anchor, in card order: tolls, weapons, places."""
    for slot in event.figures():
        if slot.weapon is not None:
            what = f"{weapon_name(slot.weapon.category, slot.weapon.model)} {slot.kind}"
            yield Quote(f"{anchor}-w{slot.index + 1}-{slot.kind}", number, what, slot.figure)
        elif slot.place is not None:
            yield Quote(f"{anchor}-p{slot.index + 1}-{slot.kind}", number, f"{slot.kind} in {slot.place.name}",
                        slot.figure)
        else:
            yield Quote(f"{anchor}-{slot.kind}", number, slot.kind, slot.figure)


def marked_text(anchor: str, text: str | None, quotes: Sequence[Quote]) -> tuple[list[TextPiece] | None, dict[str, str]]:
    """The text cut into pieces, and for each figure's anchor the anchor of the piece where its quote starts.

    A mark's status is its figure's anchor, so ``pieces`` gives every piece
    the figures covering it, the first figure in card order first.
    """
    if text is None:
        return None, {}
    finder = QuoteFinder(text)
    marks = []
    for quote in quotes:
        span = finder.find(quote.figure.evidence)
        if span is not None:
            marks.append(Mark(span[0], span[1], quote.anchor, f"{quote.what} {figure_value(quote.figure)}"))
    order = [quote.anchor for quote in quotes]
    names = {quote.anchor: f"event {quote.event}" for quote in quotes}
    out: list[TextPiece] = []
    starts: dict[str, str] = {}
    offset = 0
    for index, piece in enumerate(pieces(text, marks, order, names, dict.fromkeys(order, ""))):
        beginning = [m.status for m in marks if m.start == offset]
        piece_anchor = f"{anchor}-t{index}" if beginning else None
        for figure_anchor in beginning:
            starts[figure_anchor] = f"{anchor}-t{index}"
        out.append(TextPiece(piece.text, piece.statuses, piece.primary, piece.title, piece_anchor))
        offset += len(piece.text)
    return out, starts


class QuoteFinder:
    """Finds quotes in a text: a verbatim copy directly, anything else as the grounding check would.

    Folding a whole article (``EvidenceLocator``) costs far more than a plain
    search, and most quotes are verbatim, so the locator is built only for
    the first quote that is not.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._locator: EvidenceLocator | None = None

    def find(self, quote: str) -> tuple[int, int] | None:
        position = self.text.find(quote) if quote else -1
        if position >= 0:
            return position, position + len(quote)
        if self._locator is None:
            self._locator = EvidenceLocator(self.text)
        return self._locator.find(quote)


def event_card(anchor: str, number: int, event: AttackEvent, lines: dict[str, FigureLine]) -> EventCard:
    """An event's card: its figure lines placed by slot (``lines`` by anchor), beside its other facts."""
    def line(slot: str) -> FigureLine | None:
        return lines.get(f"{anchor}-{slot}")

    weapons = [WeaponLine(weapon_name(w.category, w.model), line(f"w{i}-launched"), line(f"w{i}-intercepted"))
               for i, w in enumerate(event.weapons, 1)]
    places = [PlaceLine(p.name, p.kind, p.region, line(f"p{i}-killed"), line(f"p{i}-injured"))
              for i, p in enumerate(event.places, 1)]
    return EventCard(anchor, number, event, line("killed"), line("injured"), weapons, places)


def card_figures(card: EventCard) -> Iterator[FigureLine]:
    """The figure lines of a card, in card order."""
    candidates = [card.killed, card.injured]
    candidates += [f for w in card.weapons for f in (w.launched, w.intercepted)]
    candidates += [f for p in card.places for f in (p.killed, p.injured)]
    yield from (f for f in candidates if f is not None)


def figure_value(figure: Figure) -> str:
    """A figure's number in words: 'at least 8', 'about 430'."""
    return f"{QUALIFIER_WORDS.get(figure.qualifier, '')}{figure.value}"


def input_texts(path: Path) -> dict[str, ArticleInfo]:
    """The articles of a run's input (any input ``extract`` reads), read as ``extract`` read them."""
    return {item.id: ArticleInfo.of(item) for item in read_articles([str(path)]) if isinstance(item, Article)}


def render_view(view: RunView, page_size: int = PAGE_SIZE, attacks: str = "") -> str:
    """The page: one HTML document with its own style and script (allowed by hash), and no URLs.

    The first ``page_size`` articles are live HTML, so a run that fits in one
    page reads fully without script. Each later article is its rendered HTML
    kept in an inert data block (``<script type="text/html">``, never run),
    which the browser does not parse into elements until the page's script
    shows that article's page: a 10,000-article page is ready in a few
    seconds instead of tens (see benchmarks/view_size.py). ``attacks`` is the
    attacks' section (``attack_view``), shown above the articles.
    """
    from markupsafe import Markup

    style, script = asset("view.css"), asset("view.js")
    entries = [(a, Markup(article_html(a)), a.number <= page_size) for a in view.articles]
    return render_template("view.html.j2", run=view, entries=entries, page_size=page_size,
                           csp=page_security(style, script), style=Markup(style), script=Markup(script),
                           fmt_count=fmt_count, attacks=Markup(attacks))


def article_html(article: ArticleView) -> str:
    """One article's section, autoescaped; it must be able to sit inside a data block unchanged."""
    html = render_template("_view_article.html.j2", a=article)
    lowered = html.lower()
    if "</script" in lowered or "<!--" in lowered:  # autoescape makes both impossible: a template bug
        raise RuntimeError(f"article {article.number}'s HTML would end its data block early")
    return html


def write_view(run_path: Path, output: Path, articles: Path | None = None, page_size: int = PAGE_SIZE,
               attacks: Path | None = None, reference: Path | None = None) -> RunView:
    """view.html for the run at ``run_path`` (JSONL or database), with texts from ``articles`` if given.

    The attacks shown are ``attacks`` (JSONL or database), else those the run's database holds, if any.
    """
    from extractor.report.attack_view import attacks_section

    view = run_view(run_path.name, load_run(run_path), input_texts(articles) if articles else None)
    section = attacks_section({a.record.id: (a.anchor, a.title) for a in view.articles}, attacks or run_path,
                              reference, required=attacks is not None)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_view(view, page_size, section), encoding="utf-8")
    return view
