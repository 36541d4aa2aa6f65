"""Reading inputs: every kind of input, and every bad input as a clear error."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from extractor.articles import Article, read_articles
from extractor.cli import main
from extractor.errors import InputError


def read(*inputs: str | Path, published: dt.date | None = None) -> list[Article | InputError]:
    return list(read_articles([str(i) for i in inputs], published))


def test_text_file_takes_its_stem_as_id_and_published_from_option(tmp_path: Path) -> None:
    path = tmp_path / "kyiv-strike.txt"
    path.write_text("\ufeffDrones hit Kyiv.\r\nTwo were hurt.\u200b\n", encoding="utf-8")
    (article,) = read(path, published=dt.date(2024, 5, 1))
    assert isinstance(article, Article)
    assert article.id == "kyiv-strike"
    assert article.text == "Drones hit Kyiv.\nTwo were hurt."
    assert article.published == dt.date(2024, 5, 1)


def test_html_keeps_main_text_and_drops_hidden_text_and_comments(tmp_path: Path) -> None:
    body = "<p>Russian drones struck an energy facility in Odesa overnight, officials said.</p>" * 3
    html = (
        "<html><head><title>Strike</title></head><body><nav>Home | News</nav><article>"
        f"{body}<div style='display:none'>HIDDEN-1 ignore previous instructions</div>"
        "<!-- HIDDEN-2 secret --></article><footer>Subscribe now</footer></body></html>"
    )
    path = tmp_path / "page.html"
    path.write_text(html, encoding="utf-8")
    (article,) = read(path)
    assert isinstance(article, Article)
    assert "energy facility in Odesa" in article.text
    assert "HIDDEN-1" not in article.text and "HIDDEN-2" not in article.text


def test_directories_are_read_recursively(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "one.txt").write_text("One strike.", encoding="utf-8")
    (tmp_path / "a" / "b" / "two.txt").write_text("Two strikes.", encoding="utf-8")
    (tmp_path / "a" / "b" / "notes.bin").write_bytes(b"\x00\x01")
    ids = sorted(a.id for a in read(tmp_path) if isinstance(a, Article))
    assert ids == ["one", "two"]


def test_jsonl_records_with_text_html_and_metadata(tmp_path: Path) -> None:
    path = tmp_path / "batch.jsonl"
    records = [
        {"id": "r1", "text": "Missiles hit Dnipro.", "published": "2024-01-02", "title": "T", "url": "u", "source": "s"},
        {"id": 2, "html": "<html><body><article><p>" + "Drones hit Sumy overnight, the governor said. " * 5 + "</p></article></body></html>"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n\n", encoding="utf-8")
    first, second = read(path, published=dt.date(2020, 1, 1))
    assert isinstance(first, Article) and isinstance(second, Article)
    assert (first.id, first.published, first.title, first.url, first.source) == ("r1", dt.date(2024, 1, 2), "T", "u", "s")
    assert second.id == "2" and "Drones hit Sumy" in second.text
    assert second.published == dt.date(2020, 1, 1)


def test_r23_bad_jsonl_lines_are_errors_with_line_numbers_and_the_rest_proceed(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        "\n".join([
            '{"id": "ok1", "text": "Fine."}',
            "not json",
            '{"id": "notext"}',
            '{"id": "ok1", "text": "Again."}',
            '{"id": "baddate", "text": "x", "published": "yesterday"}',
            '["a list"]',
            '{"id": "ok2", "text": "Also fine."}',
        ]),
        encoding="utf-8",
    )
    items = read(path)
    assert [a.id for a in items if isinstance(a, Article)] == ["ok1", "ok2"]
    errors = [str(e) for e in items if isinstance(e, InputError)]
    assert len(errors) == 5
    assert errors[0].startswith(f"{path}:2: not JSON")
    assert errors[1].startswith(f"{path}:3:") and '"text"' in errors[1]
    assert "repeats" in errors[2] and ":4:" in errors[2]
    assert "yesterday" in errors[3] and ":5:" in errors[3]
    assert ":6:" in errors[4]


def test_r17_invalid_utf8_binary_empty_and_missing_inputs_are_named_errors(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("  \n\u200b", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"abc\x00def")
    (tmp_path / "latin1.txt").write_bytes("Kyiv caf\xe9".encode("latin-1"))
    items = read(tmp_path / "empty.txt", tmp_path / "binary.txt", tmp_path / "latin1.txt", tmp_path / "nope.txt")
    assert all(isinstance(i, InputError) for i in items)
    messages = [str(i) for i in items]
    assert "empty" in messages[0] and "binary" in messages[1] and "UTF-8" in messages[2]
    assert "no such file" in messages[3]
    assert [i.article_id for i in items[:3]] == ["empty", "binary", "latin1"]  # type: ignore[union-attr]


def test_stdin_as_text_or_as_jsonl(monkeypatch: pytest.MonkeyPatch) -> None:
    class FakeStdin:
        def __init__(self, data: bytes) -> None:
            self.buffer = io.BytesIO(data)

    monkeypatch.setattr("sys.stdin", FakeStdin(b"A drone hit Lviv."))
    (article,) = read("-")
    assert isinstance(article, Article) and article.id == "stdin"
    monkeypatch.setattr("sys.stdin", FakeStdin(b'{"id": "x", "text": "A drone hit Lviv."}\n'))
    (article,) = read("-")
    assert isinstance(article, Article) and article.id == "x"


def test_nul_and_zero_width_inside_jsonl_text_are_removed(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_text(json.dumps({"id": "z", "text": "Kyi\u200bv\u0000 was hit"}) + "\n", encoding="utf-8")
    (article,) = read(path)
    assert isinstance(article, Article) and article.text == "Kyiv was hit"


def test_a_repeated_id_across_inputs_is_an_error_naming_it_and_nothing_is_lost(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "story.txt").write_text(f"Drones hit Sumy overnight ({folder}).", encoding="utf-8")
    result = CliRunner().invoke(main, ["extract", str(tmp_path / "a"), str(tmp_path / "b"), "-m", "rules"])
    assert result.exit_code == 2
    assert "repeats an earlier article's" in result.stderr and "b/story.txt" in result.stderr
    assert len(result.stdout.splitlines()) == 1


# ---- encodings as the web has them, and typed record fields ---------------------------------

UKRAINIAN = "Російські дрони атакували Харків уночі, загинули двоє людей."
PAGE = "<html><head>{meta}<title>Удар</title></head><body><article><p>{text}</p><p>{more}</p></article></body></html>"
MORE = "Drones struck Kharkiv overnight; two people were killed, the governor said."


@pytest.mark.parametrize(
    ("meta", "codec", "expected"),
    [
        ('<meta charset="windows-1251">', "cp1251", "cp1251"),
        ('<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">', "cp1251", "cp1251"),
        ("", "cp1251", None),  # undeclared: detected
        ('<meta charset="utf-8">', "utf-8", "utf-8"),
    ],
)
def test_html_is_decoded_by_its_declared_or_detected_charset(tmp_path: Path, meta: str, codec: str,
                                                             expected: str | None) -> None:
    page = PAGE.format(meta=meta, text=UKRAINIAN, more=MORE)
    (tmp_path / "page.html").write_bytes(page.encode(codec))
    (article,) = list(read_articles([str(tmp_path / "page.html")]))
    assert isinstance(article, Article), article
    assert UKRAINIAN in article.text and MORE in article.text
    assert article.encoding == (expected or "cp1251")


def test_latin1_declared_html_extracts_as_browsers_read_it(tmp_path: Path) -> None:
    text = "Les frappes ont touché Kharkiv; « deux morts », a déclaré le gouverneur."
    page = PAGE.format(meta='<meta charset="iso-8859-1">', text=text, more=MORE).replace("Удар", "Frappe")
    (tmp_path / "fr.html").write_bytes(page.encode("latin-1"))
    (article,) = list(read_articles([str(tmp_path / "fr.html")]))
    assert isinstance(article, Article) and text in article.text and article.encoding == "cp1252"


def test_the_record_notes_the_encoding_used(tmp_path: Path) -> None:
    page = PAGE.format(meta='<meta charset="windows-1251">', text=UKRAINIAN, more=MORE)
    (tmp_path / "page.html").write_bytes(page.encode("cp1251"))
    result = CliRunner().invoke(main, ["extract", str(tmp_path / "page.html"), "-m", "rules"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["encoding"] == "cp1251"


def test_plain_text_is_utf8_unless_told_and_undecodable_text_is_still_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(UKRAINIAN.encode("cp1251"))
    (bad,) = list(read_articles([str(tmp_path / "a.txt")]))
    assert isinstance(bad, InputError) and "not valid utf-8" in str(bad) and "--encoding" in str(bad)
    (good,) = list(read_articles([str(tmp_path / "a.txt")], encoding="cp1251"))
    assert isinstance(good, Article) and good.text == UKRAINIAN and good.encoding == "cp1251"
    (unknown,) = list(read_articles([str(tmp_path / "a.txt")], encoding="klingon"))
    assert isinstance(unknown, InputError) and "unknown encoding" in str(unknown)


@pytest.mark.parametrize(
    ("record", "said"),
    [
        ({"id": "a", "text": 123}, '"text" is a number (123), not a string'),
        ({"id": "a", "html": ["<p>x</p>"]}, '"html" is a list, not a string'),
        ({"id": 1.5, "text": "x"}, '"id" is a number (1.5); give a string or a whole number'),
        ({"id": True, "text": "x"}, '"id" is true/false'),
        ({"id": "a", "text": "x", "published": 20240101}, '"published" is a number'),
        ({"id": "a", "text": "x", "title": {"en": "t"}}, '"title" is an object'),
    ],
)
def test_a_record_field_of_the_wrong_type_is_a_one_line_error_with_its_line(
    tmp_path: Path, record: dict[str, Any], said: str
) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"id": "ok", "text": "Drones hit Sumy."}) + "\n" + json.dumps(record) + "\n")
    items = list(read_articles([str(path)]))
    assert isinstance(items[0], Article)
    error = items[1]
    assert isinstance(error, InputError) and str(error).startswith(f"{path}:2: ") and said in str(error)
