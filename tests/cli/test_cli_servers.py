"""Several servers and requests in flight on the command line: `pregen --server A --server B
--concurrency N` (or `--servers-file`) spreads the study over both and logs which answered;
a bad server list is a clear usage error; --concurrency with a local model says it runs one
at a time. The servers are real HTTP servers on 127.0.0.1 with scripted replies."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

from click.testing import CliRunner
from support.builders import pair, write_jsonl
from support.http_servers import serving, sse

from evalstudio.cli.main import main


def _critique(handler: object) -> None:
    text = json.dumps({"points": [], "verdict": "acceptable"})
    chunk = {"choices": [{"delta": {"content": text}, "finish_reason": "stop"}]}
    sse(handler, json.dumps(chunk), "[DONE]")  # type: ignore[arg-type]


def _study(runner: CliRunner, tmp_path: Path) -> list[str]:
    db = ["--db", str(tmp_path / "ws.sqlite")]
    records = pair("add") + pair("two", prompt="Add two numbers.")
    path = write_jsonl(tmp_path / "t.jsonl", records)
    assert runner.invoke(main, [*db, "import", str(path), "--study", "S"]).exit_code == 0
    return db


def test_pregen_spreads_a_study_over_the_servers_and_logs_which_answered(tmp_path: Path) -> None:
    runner = CliRunner()
    db = _study(runner, tmp_path)
    # Each reply waits until a second request is in flight: with replies at once, a loaded
    # machine could finish each request before the next was sent, and all went to the first.
    two_in_flight = threading.Barrier(2, timeout=30)

    def held(handler: object) -> None:
        two_in_flight.wait()
        _critique(handler)

    with serving(held) as a, serving(held) as b:
        listed = tmp_path / "servers.txt"
        listed.write_text(f"# the second box\n{b}\n\n", encoding="utf-8")
        args = ["pregen", "--study", "S", "--server", a, "--servers-file", str(listed)]
        done = runner.invoke(main, [*db, *args, "--concurrency", "4"])
    assert done.exit_code == 0, done.output
    assert "Generated 4, already stored 0, failed 0." in done.output
    with sqlite3.connect(tmp_path / "ws.sqlite") as conn:
        served = {r[0] for r in conn.execute("SELECT served_by FROM assist_events")}
    assert served == {a, b}


def test_bad_server_lists_are_usage_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    db = _study(runner, tmp_path)
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n", encoding="utf-8")
    cases = {
        ("pregen", "--study", "S", "--servers-file", str(empty)): "lists no server",
        (
            "judge",
            "--study",
            "S",
            "--name",
            "m",
            "--evaluator-model",
            "http://a:1/v1#one,http://b:1/v1#two",
        ): "must serve the same model",
        (
            "judge",
            "--study",
            "S",
            "--name",
            "m",
            "--evaluator-model",
            "http://a:1/v1#one,gpu-box",
        ): "'gpu-box' is not a server's URL",
        ("judge", "--study", "S", "--name", "m", "--evaluator-model", "@missing.txt"): (
            "cannot read missing.txt"
        ),
    }
    for args, message in cases.items():
        result = runner.invoke(main, [*db, *args])
        assert result.exit_code == 2, result.output
        assert message in result.output
        assert "Traceback" not in result.output


def test_concurrency_with_a_local_model_says_it_runs_one_at_a_time(tmp_path: Path) -> None:
    runner = CliRunner()
    db = _study(runner, tmp_path)
    # A missing model file fails at once, after the note.
    args = ["pregen", "--study", "S", "--model", str(tmp_path / "none.gguf")]
    result = runner.invoke(main, [*db, *args, "--concurrency", "4"])
    assert "a local model answers one request at a time; --concurrency 4" in result.output
