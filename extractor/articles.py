"""Reading inputs into articles: text files, HTML, directories, JSONL, stdin.

A bad input never stops a batch: ``read_articles`` yields an ``InputError``
in the article's place and moves on, and the pipeline records it.

Decoding policy. HTML is decoded as browsers do: a byte-order mark, else the
charset the page declares (``<meta charset>``, ``http-equiv``), else UTF-8
if it is valid, else charset-normalizer's detection (news sites in Ukraine
and Russia still serve windows-1251); the encoding used is noted on the
article and in its record. Plain text is UTF-8 unless ``--encoding`` says
otherwise. Undecodable bytes or NUL bytes make the input an error naming the
file, rather than text silently altered by replacement characters that
evidence could then not match. JSONL is UTF-8 (its "html" is already
text). Zero-width characters are removed from article text, NUL from JSONL
text.
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
import os
import re
import sys
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extractor.errors import InputError

TEXT_SUFFIXES = frozenset({".txt", ".text", ".md"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\x00]")


@dataclass(frozen=True)
class Article:
    """One article to extract from; ``origin`` says where it came from, for errors."""

    id: str
    text: str
    published: dt.date | None = None
    title: str | None = None
    url: str | None = None
    source: str | None = None
    origin: str = ""
    encoding: str | None = None


def parse_date(value: object, origin: str) -> dt.date | None:
    """An ISO date (a datetime's date part is accepted), or an InputError."""
    if value is None or value == "":
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise InputError(f"{origin}: published {value!r} is not an ISO date (YYYY-MM-DD)") from None


def clean_text(text: str) -> str:
    """Drop invisible characters and normalise line ends; keep everything else."""
    text = _INVISIBLE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()


def html_to_text(html: str) -> str:
    """The main text of an HTML page, without navigation, comments or hidden text."""
    import trafilatura

    text = trafilatura.extract(
        html, include_comments=False, include_tables=True, favor_precision=True
    )
    return text or ""


_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_DECLARED = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# What the HTML standard reads these labels as (WHATWG Encoding): pages labelled
# Latin-1 are decoded as windows-1252, a superset browsers use in its place.
_HTML_LABELS = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "us-ascii": "cp1252",
                "ascii": "cp1252", "iso8859-1": "cp1252", "l1": "cp1252"}


def decode(data: bytes, origin: str, encoding: str = "utf-8") -> str:
    """The text of a file's bytes in ``encoding`` (UTF-8 by default), or an InputError saying what is wrong."""
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{origin}: looks binary (NUL bytes); give a text, HTML or JSONL file")
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        hint = "re-save the file as UTF-8, or give its encoding with --encoding" if codec == "utf-8-sig" else (
            "check --encoding")
        raise InputError(f"{origin}: not valid {encoding} (byte {exc.start}); {hint}") from None
    except LookupError:
        raise InputError(f"{origin}: unknown encoding {encoding!r}; give one Python knows (e.g. cp1251)") from None


def decode_html(data: bytes, origin: str, encoding: str | None = None) -> tuple[str, str]:
    """An HTML page's text and the encoding it was read in: BOM, declared charset, UTF-8, then detection."""
    chosen = encoding or _html_encoding(data)
    return decode(data, origin, chosen), chosen


def _html_encoding(data: bytes) -> str:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    declared = _DECLARED.search(data[:4096])
    if declared:
        label = declared.group(1).decode("ascii", "replace").strip().lower()
        label = _HTML_LABELS.get(label, label)
        try:
            return codecs.lookup(label).name
        except LookupError:
            pass  # a label no codec knows: read the bytes instead
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return best.encoding if best is not None else "utf-8"


def make_article(
    *, id: str, text: str, origin: str, published: dt.date | None, **meta: str | None
) -> Article:
    # meta: title, url, source, and the encoding a file was read in
    """An article from cleaned text, refusing empty ones before any model sees them."""
    cleaned = clean_text(text)
    if not cleaned:
        raise InputError(f"{origin}: the article is empty; give it some text", article_id=id)
    return Article(id=id, text=cleaned, published=published, origin=origin, **meta)


def read_file(path: Path, published: dt.date | None, encoding: str | None = None) -> Iterator[Article | InputError]:
    """Articles from one file, by suffix: JSONL records, HTML, or plain text."""
    origin = str(path)
    try:
        if path.suffix.lower() in JSONL_SUFFIXES:
            yield from read_jsonl(decoded_lines(path), origin, published)
            return
        data = path.read_bytes()
        if path.suffix.lower() in HTML_SUFFIXES:
            page, used = decode_html(data, origin, encoding)
            text = html_to_text(page)
        else:
            used = encoding or "utf-8"
            text = decode(data, origin, used)
        yield make_article(id=path.stem, text=text, origin=origin, published=published, encoding=used)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        yield InputError(f"{origin}: cannot be read ({reason}); check the path", article_id=path.stem)
    except InputError as exc:
        exc.article_id = exc.article_id or (None if path.suffix.lower() in JSONL_SUFFIXES else path.stem)
        yield exc


def decoded_lines(path: Path) -> Iterator[str | InputError]:
    """The lines of a JSONL file, read one at a time so memory stays flat.

    A line that is not UTF-8 becomes an InputError naming it; the rest go on.
    """
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                yield InputError(f"{path}:{number}: not valid UTF-8 (byte {exc.start}); re-save the file as UTF-8")


def read_jsonl(
    lines: Iterable[str | InputError], origin: str, published: dt.date | None
) -> Iterator[Article | InputError]:
    """Articles from JSONL records; each bad line is an error naming its number.

    A file of extractor's own records (a run's output) is refused whole in one
    line: read as articles, every record would be an error record, and a run
    writing into the folder it reads would feed on itself.
    """
    for number, line in enumerate(lines, start=1):
        if isinstance(line, InputError):
            yield line
            continue
        if not line.strip():
            continue
        where = f"{origin}:{number}"
        try:
            record = json_object(line, where)
            if is_run_record(record):
                yield InputError(f"{where}: {origin} is an extractor run (records with \"status\" and "
                                 "\"events\", no text), not articles; give the articles it was made from")
                return
            yield record_to_article(record, where, published)
        except InputError as exc:
            yield exc


def is_run_record(record: Mapping[str, Any]) -> bool:
    """Whether a JSON object is one of extractor's output records rather than an article."""
    return "status" in record and "events" in record and "text" not in record and "html" not in record


def json_object(line: str, where: str) -> dict[str, object]:
    """One JSONL line as an object, or an InputError naming the line: for every JSONL reader."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: not JSON ({exc.msg}); each line must be one JSON object") from None
    if not isinstance(record, dict):
        raise InputError(f"{where}: not a JSON object; each line must be one record")
    return record


def parse_record(line: str, where: str, published: dt.date | None) -> Article:
    """One JSONL line ``{"id", "text" | "html", "published"?, ...}`` as an article."""
    return record_to_article(json_object(line, where), where, published)


def record_to_article(
    record: Mapping[str, Any], where: str, published: dt.date | None, default_id: str | None = None
) -> Article:
    """A record as an article: the one reading of records for files, the library and evals.

    ``published`` is used when the record gives no date; ``default_id`` when it gives no id.
    """
    if default_id is not None and record.get("id") in (None, ""):
        record = {**record, "id": default_id}
    raw_id = record.get("id")
    if raw_id is None or raw_id == "":
        raise InputError(f"{where}: the record has no \"id\"; add one")
    if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)):
        raise InputError(f"{where}: \"id\" is {_kind(raw_id)}; give a string or a whole number")
    article_id = str(raw_id)
    for key in ("text", "html", "published", "title", "url", "source"):
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            raise InputError(f"{where}: \"{key}\" is {_kind(value)}, not a string; give it as a JSON string",
                             article_id=article_id)
    body = record.get("text")
    if body is None and record.get("html") is not None:
        body = html_to_text(record["html"])
    if body is None:
        raise InputError(f"{where}: the record has no \"text\" or \"html\"; add the article's text",
                         article_id=article_id)
    meta = {k: record.get(k) for k in ("title", "url", "source")}
    try:
        date = parse_date(record.get("published"), where) or published
        return make_article(id=article_id, text=body, origin=where, published=date, **meta)
    except InputError as exc:
        exc.article_id = article_id
        raise


def _kind(value: object) -> str:
    """A JSON value's type, as a user would name it."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def iter_paths(path: Path) -> list[Path]:
    """The readable files under a directory, recursively, in a stable order, listed once."""
    wanted = TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES
    return [child for child in sorted(path.rglob("*"))
            if child.is_file() and child.suffix.lower() in wanted and not child.name.startswith(".")]


def read_articles(
    inputs: Iterable[str], published: dt.date | None = None, encoding: str | None = None,
    exclude: Collection[Path] = (),
) -> Iterator[Article | InputError]:
    """Every article named by ``inputs`` (files, directories, ``-`` for stdin).

    Directories are listed here, once, before any article is read, and no
    file in ``exclude`` (the run's own output) is ever read: a run that
    writes into a folder it reads must not read what it writes (item 36 of
    docs/reliability.md). Ids must be unique across the whole run, since the
    output and a resume know articles by id: a repeat is an error naming
    where it is. Only the ids are kept, a few dozen bytes an article.
    """
    plan = plan_inputs(inputs, exclude)
    return _unique(_read_all(plan, published, encoding))


def _unique(items: Iterator[Article | InputError]) -> Iterator[Article | InputError]:
    seen: set[str] = set()
    for item in items:
        if isinstance(item, Article):
            if item.id in seen:
                item = InputError(f"{item.origin}: id {item.id!r} repeats an earlier article's; ids must be unique")
            else:
                seen.add(item.id)
        yield item


Planned = Path | str | InputError  # a file to read, "-" for stdin, or why a name cannot be read


def plan_inputs(inputs: Iterable[str], exclude: Collection[Path] = ()) -> list[Planned]:
    """What a run will read, fixed now: directories listed, the run's own files left out.

    ``exclude`` names files the run writes, or folders whose every file it writes (a batch's state).
    """
    own = [_identity(path) for path in exclude]
    plan: list[Planned] = []
    for name in inputs:
        path = Path(name)
        if name == "-":
            plan.append(name)
        elif path.is_dir():
            plan.extend(child for child in iter_paths(path) if not _is_own(child, own))
        elif not path.exists():
            plan.append(InputError(f"{name}: no such file or directory; check the path"))
        elif _is_own(path, own):
            plan.append(InputError(f"{name}: is written by this run; a run never reads its own output, "
                                   "give the articles instead"))
        else:
            plan.append(path)
    return plan


def _identity(path: Path) -> str:
    """A path as the file system knows it (symlinks and ``..`` resolved), to compare two names."""
    return os.path.realpath(path)


def _is_own(path: Path, own: list[str]) -> bool:
    real = _identity(path)
    return any(real == mine or real.startswith(mine + os.sep) for mine in own)


def _read_all(plan: list[Planned], published: dt.date | None,
              encoding: str | None) -> Iterator[Article | InputError]:
    for item in plan:
        if isinstance(item, InputError):
            yield item
        elif isinstance(item, str):
            yield from read_stdin(published, encoding)
        else:
            yield from read_file(item, published, encoding)


def read_stdin(published: dt.date | None, encoding: str | None = None) -> Iterator[Article | InputError]:
    """Standard input: JSONL when its first character opens an object, else one article."""
    data = sys.stdin.buffer.read()
    try:
        text = decode(data, "<stdin>", encoding or "utf-8")
    except InputError as exc:
        yield exc
        return
    if text.lstrip().startswith("{"):
        yield from read_jsonl(text.splitlines(), "<stdin>", published)
        return
    try:
        yield make_article(id="stdin", text=text, origin="<stdin>", published=published)
    except InputError as exc:
        yield exc
