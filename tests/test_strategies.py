"""One registry of strategies: every one loads, none is a copy, a user's own prompt folder is a strategy too."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.errors import ConfigError
from extractor.prompting import available_prompts, load_prompt
from extractor.resources import prompt_dirs
from extractor.strategies import STRATEGIES, Strategy


def test_every_built_in_strategy_loads_with_its_answer_format_and_assembler() -> None:
    from extractor.assembly import answer_format

    for name, chosen in STRATEGIES.items():
        prompt = load_prompt(name)
        assert (prompt.answer, prompt.assembler, prompt.shows_draft) == (chosen.answer, chosen.assembler, chosen.draft)
        assert answer_format(prompt.answer, prompt.assembler).response_model is not None
    assert available_prompts() == sorted(STRATEGIES)


def test_no_prompt_folder_is_a_copy_of_another() -> None:
    folders = [d for base in prompt_dirs()[:1] for d in base.iterdir() if d.is_dir()]
    texts = [tuple((d / f"{part}.md").read_text("utf-8") for part in ("system", "user")) for d in folders]
    assert len(set(texts)) == len(texts)
    assert not [d for d in folders if (d / "prompt.json").exists()]  # what a strategy is lives in the registry


def test_strategies_that_ask_the_same_share_cached_answers_but_not_a_version() -> None:
    assert load_prompt("merge").request_version == load_prompt("figures").request_version
    assert load_prompt("merge").version != load_prompt("figures").version
    assert load_prompt("draft").request_version != load_prompt("figures").request_version


def test_a_users_prompt_folder_is_a_codebook_strategy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import extractor.prompting as prompting

    mine = tmp_path / "prompts" / "mine"
    mine.mkdir(parents=True)
    (mine / "system.md").write_text("Extract.", encoding="utf-8")
    (mine / "user.md").write_text("{{ article }}", encoding="utf-8")
    monkeypatch.setattr(prompting, "prompt_dirs", lambda: [tmp_path / "prompts"])
    prompting.load_prompt.cache_clear()
    try:
        prompt = load_prompt("mine")
        assert (prompt.answer, prompt.assembler) == ("codebook", "codebook")
        with pytest.raises(ConfigError, match="unknown prompt 'nothing'; choose one of: mine"):
            load_prompt("nothing")
    finally:
        prompting.load_prompt.cache_clear()


def test_an_assembler_that_cannot_read_the_answer_is_refused() -> None:
    with pytest.raises(ValueError, match="not assembled by merge"):
        Strategy("odd", "default", "codebook", "merge")
