"""Secrets and roles: an evaluator's session package reaches no owner command; the owner's
passphrase is never stored in clear; an API key never lands in the workspace or an export."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from support.builders import pair, write_jsonl
from support.study_builders import two_evaluator_study

from evalstudio.assist.openai_http import ServerSettings
from evalstudio.cli.main import main
from evalstudio.core.assistance import AssistKind
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.assistance.backends import ModelSettings
from evalstudio.services.report.exports import ExportFormat, export_study
from evalstudio.services.sessions.package import export_package
from evalstudio.services.studies import studies
from evalstudio.services.workspace import owner
from evalstudio.services.workspace.opening import Workspace

PASSPHRASE = "correct horse battery staple"
API_KEY = "sk-test-NEVER-STORE-ME-4242"


@pytest.fixture
def package(workspace: Workspace, tmp_path: Path) -> Path:
    two_evaluator_study(
        workspace,
        tmp_path,
        "S",
        pairs=3,
        seed=1,
        options='conditions = ["unassisted", "assisted"]\n',
    )
    owner.set_passphrase(workspace, PASSPHRASE)
    return export_package(workspace, "S", "Ada", tmp_path / "ada.evs").path


def _owner_commands(tmp_path: Path) -> dict[str, list[str]]:
    tasks = write_jsonl(tmp_path / "more.jsonl", pair("x1"))
    (tmp_path / "s2.toml").write_text(
        'name = "S2"\ntasks = "more.jsonl"\nevaluators = ["Ada"]\n', encoding="utf-8"
    )
    out = str(tmp_path / "out")
    return {
        "report": ["report", "--study", "S", "--json", out],
        "report --model-side": ["report", "--study", "S", "--json", out, "--model-side"],
        "flaws list": ["flaws", "list", "--study", "S"],
        "flaws mark": ["flaws", "mark", "--study", "S", "x:0", "--real"],
        "owner passphrase": ["owner", "passphrase"],
        "study show": ["study", "show", "S"],
        "study create": ["study", "create", str(tmp_path / "s2.toml")],
        "study validate": ["study", "validate", str(tmp_path / "s2.toml")],
        "pregen": ["pregen", "--study", "S"],
        "pair suggest": ["pair", "suggest", str(tasks), "--id", "x1-ok"],
        "import": ["import", str(tasks), "--study", "S"],
        "export --with-truth": [
            "export",
            out,
            "--study",
            "S",
            "--format",
            "judgments-jsonl",
            "--with-truth",
        ],
        "export pairs": ["export", out, "--study", "S", "--format", "pairs", "--with-truth"],
    }


def test_no_owner_command_runs_on_an_evaluators_package(package: Path, tmp_path: Path) -> None:
    before = package.read_bytes()
    for name, args in _owner_commands(tmp_path).items():
        result = CliRunner().invoke(main, ["--db", str(package), *args], input="x\nx\nx\n")
        assert result.exit_code != 0, name
        assert "session package" in result.output, (name, result.output)
        assert "Traceback" not in result.output, name
    assert package.read_bytes() == before  # nothing was written into it
    allowed = CliRunner().invoke(
        main,
        ["--db", str(package), "export", str(tmp_path / "mine.jsonl"), "--study", "S",
         "--format", "judgments-jsonl"],
    )  # fmt: skip
    assert allowed.exit_code == 0, allowed.output  # the evaluator's own work, without truth


def _stored_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_the_passphrase_is_never_stored_in_clear(workspace: Workspace, package: Path) -> None:
    assert PASSPHRASE.encode() not in _stored_bytes(workspace.path)
    assert PASSPHRASE.encode() not in package.read_bytes()
    assert owner.unlock(workspace, PASSPHRASE) and not owner.unlock(workspace, "wrong one")


def test_an_api_key_reaches_neither_the_workspace_nor_an_export(
    workspace: Workspace, tmp_path: Path
) -> None:
    study = studies.ensure_demo_study(workspace)
    item = studies.study_items(workspace, study.id)[0].item_id
    settings = ServerSettings("http://127.0.0.1:9/v1", api_key=API_KEY, connect_timeout=1)
    assistant = Assistant.start(workspace, ModelSettings(server=settings))
    try:
        event = assistant.request(item, AssistKind.CRITIQUE).wait()
    finally:
        assistant.close()
    assert event.error  # nobody listens there: logged as an error, key and all left out
    out = tmp_path / "events.jsonl"
    export_study(workspace, study.name, ExportFormat.EVENTS_JSONL, out, with_truth=True)
    assert API_KEY.encode() not in _stored_bytes(workspace.path)
    assert API_KEY.encode() not in out.read_bytes() and out.read_bytes()
