"""One writer per output, write faults that leave no torn line, SIGTERM like Ctrl-C."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakeserver import FakeLLMServer, answer
from helpers import DATASETS, read_jsonl, write_corpus

from extractor.cli import main
from extractor.errors import OutputError
from extractor.output.lock import OutputLocked, output_lock
from extractor.output.sink import FileSink

SEEDS = DATASETS / "seeds" / "articles.jsonl"


def test_a_second_writer_fails_at_once_naming_the_file_and_the_other_process(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from extractor.output.lock import output_lock\n"
        f"with output_lock(Path({str(out)!r})):\n    print('held', flush=True); time.sleep(30)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(OutputLocked, match=f"pid {holder.pid}"), output_lock(out):
            pass
        result = CliRunner().invoke(main, ["extract", str(SEEDS), "-m", "rules", "-o", str(out)])
        assert result.exit_code == 2 and "being written by another extractor run" in result.stderr
        assert result.stderr.count("\n") == 1 and out.read_text() == ""  # nothing written
        assert read_jsonl(out) == []  # a reader is not blocked
    finally:
        holder.kill()
        holder.wait()
    with output_lock(out):  # released when its holder died
        pass


@pytest.mark.slow
def test_two_runs_started_together_end_with_every_article_exactly_once(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    write_corpus(corpus, 8)
    out = tmp_path / "out.jsonl"
    # 40 articles at 0.3 s, 4 at a time: the first run lasts about 3 s, long past the second's start.
    with FakeLLMServer(latency=0.3, responder=lambda body: answer({"events": []})) as server:
        command = [sys.executable, "-m", "extractor", "extract", str(corpus), "--base-url", server.base_url,
                   "-m", "m", "--no-cache", "-o", str(out)]
        first, second = (subprocess.Popen(command, stderr=subprocess.PIPE, text=True) for _ in range(2))
        (_, err_first), (_, err_second) = first.communicate(timeout=120), second.communicate(timeout=120)
        codes = sorted((first.returncode, second.returncode))
        assert codes == [0, 2], (err_first, err_second)
        assert "being written by another extractor run" in err_first + err_second
        subprocess.run(command, check=True, capture_output=True)  # the loser reruns: nothing left to do
    ids = [r["id"] for r in read_jsonl(out)]
    assert len(ids) == len(set(ids)) == 40


class FullDisk:
    """os.write that fails with ENOSPC once ``room`` bytes are written, part-writing the last record."""

    def __init__(self, room: int) -> None:
        self.room = room
        self.real = os.write

    def __call__(self, fd: int, data: bytes | memoryview) -> int:
        if self.room <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        written = self.real(fd, bytes(data[: self.room]))
        self.room -= written
        return written


def test_a_full_disk_ends_the_run_in_one_line_with_the_count_and_no_torn_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out.jsonl"
    monkeypatch.setattr("extractor.output.sink.os.write", FullDisk(room=6000))
    result = CliRunner().invoke(main, ["extract", str(SEEDS), "-m", "rules", "-j", "1", "-o", str(out)])
    assert result.exit_code == 5
    line = result.stderr.strip()
    assert "\n" not in line and "No space left on device" in line and str(out) in line
    assert "records of this run are safely written" in line and "resume" in line
    data = out.read_bytes()
    assert data.endswith(b"\n")  # the record that did not fit was taken back whole
    written = read_jsonl(out)
    assert f"{len(written)} records of this run" in line
    monkeypatch.undo()
    again = CliRunner().invoke(main, ["extract", str(SEEDS), "-m", "rules", "-o", str(out)])
    assert again.exit_code == 0 and len(read_jsonl(out)) == 5


def test_a_full_disk_under_a_csv_output_does_not_promise_a_resume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out.csv"
    monkeypatch.setattr("extractor.output.sink.os.write", FullDisk(room=600))
    result = CliRunner().invoke(main, ["extract", str(SEEDS), "-m", "rules", "-j", "1", "-o", str(out)])
    assert result.exit_code == 5 and "resume" not in result.stderr and "written again from the start" in result.stderr


def test_a_sink_undoes_a_part_written_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "x.jsonl"
    sink = FileSink(path, append=True)
    sink.write('{"id": "a"}\n')
    monkeypatch.setattr("extractor.output.sink.os.write", FullDisk(room=5))
    with pytest.raises(OutputError, match="No space left"):
        sink.write('{"id": "b", "events": []}\n')
    sink.close()
    assert path.read_text() == '{"id": "a"}\n'


@pytest.mark.parametrize("where", ["under-a-file/o.jsonl", "under-a-file/sub/o.jsonl"])
def test_an_output_that_cannot_be_a_file_is_a_one_line_error_naming_it(tmp_path: Path, where: str) -> None:
    (tmp_path / "under-a-file").write_text("not a folder")
    out = tmp_path / where  # fails for root too, unlike a folder without write permission
    result = CliRunner().invoke(main, ["extract", str(SEEDS), "-m", "rules", "-o", str(out)])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and str(out) in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.slow
def test_sigterm_is_handled_like_ctrl_c_with_exit_143_and_a_resume_hint(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    write_corpus(corpus, 20)
    out = tmp_path / "out.jsonl"
    with FakeLLMServer(latency=0.3, responder=lambda body: answer({"events": []})) as server:
        command = [sys.executable, "-m", "extractor", "extract", str(corpus), "--base-url", server.base_url,
                   "-m", "m", "--no-cache", "-j", "2", "-o", str(out)]
        run = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while (not out.exists() or out.read_text().count("\n") < 3) and time.monotonic() < deadline:
            time.sleep(0.05)
        run.send_signal(signal.SIGTERM)
        _, stderr = run.communicate(timeout=30)
        assert run.returncode == 143 and "terminated" in stderr and "resume" in stderr
        kept = read_jsonl(out)
        assert 3 <= len(kept) < 100 and out.read_bytes().endswith(b"\n")
        subprocess.run(command, check=True, capture_output=True)
    ids = [r["id"] for r in read_jsonl(out)]
    assert len(ids) == len(set(ids)) == 100


@pytest.mark.parametrize(("name", "first"), [("out.csv", "id,model,"), ("out.json", "["), ("out.jsonl", '{"id"')])
def test_the_output_suffix_names_the_format(tmp_path: Path, name: str, first: str) -> None:
    out = tmp_path / name
    assert CliRunner().invoke(main, ["extract", str(SEEDS), "-m", "rules", "-o", str(out)]).exit_code == 0
    assert out.read_text("utf-8").startswith(first)
