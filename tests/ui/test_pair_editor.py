"""The owner's pair editor: `save_pair` rewrites a JSONL task file safely, and the dialog turns
a record into a pair (edit, diff, flaw place, tests, save). Real files, real test runs, no
model: the host has no model loaded, so Suggest a flaw is off and suggestions are applied
directly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from support.builders import CODE, FLAWED_CODE, chat, pair, record, write_jsonl

from evalstudio.core.errors import EvalStudioError
from evalstudio.core.model import Kind, LineRange, Severity, Span, Truth
from evalstudio.core.perturbation import changed_span
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.assistance.backends import model_settings, open_backend
from evalstudio.services.studies.pair_authoring import read_records, save_pair
from evalstudio.services.studies.perturbation import FlawSuggestion
from evalstudio.services.workspace.opening import Workspace
from evalstudio.ui.jobs import Jobs
from evalstudio.ui.model_host import ModelHost
from evalstudio.ui.pair_editor import MODEL_NOT_READY, PairEditor

TEST = "def test_adds():\n    assert add(2, 3) == 5\n"
WEAK_TEST = "def test_zero():\n    assert add(0, 0) == 0\n"  # a - b passes it too
TEXT = "Paris is the capital of France.\n\nIt lies on the Seine.\n"


def _lines(*records: dict[str, Any] | str) -> list[str]:
    return [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]


@pytest.fixture
def tasks(tmp_path: Path) -> Path:
    """A record to pair (keys in an unusual order, non-ASCII), a blank line, a pair with a
    test, and a text record."""
    lone = {"kind": "code", "id": "lone", "prompt": "Write add(a, b) — vite.", "candidate": CODE}
    text = record("essay", kind="text", language=None, prompt="Describe Paris.", candidate=TEXT)
    done = pair("done", prompt="Write add again.")
    done[0]["test"] = TEST
    return write_jsonl(tmp_path / "tasks.jsonl", _lines(lone, "", *done, text))


def _save(path: Path, record_id: str = "lone", **changes: Any) -> None:
    args: dict[str, Any] = {
        "flawed_text": FLAWED_CODE,
        "description": "subtracts instead of adding",
        "severity": Severity.CRITICAL,
        "lines": LineRange(2, 2),
        "span": None,
        "test": TEST,
    }
    args.update(changes)
    save_pair(path, record_id, **args)


# save_pair


def test_save_pair_adds_the_twin_after_its_record_and_keeps_every_other_line(tasks: Path) -> None:
    before = tasks.read_bytes().splitlines(keepends=True)
    _save(tasks)
    after = tasks.read_bytes().splitlines(keepends=True)
    assert after[2:] == before[1:]  # line 1 rewritten, line 2 new, the rest as they were
    keys = list(json.loads(after[0]))
    assert keys == ["kind", "id", "prompt", "candidate", "pair_id", "truth", "test"]
    records = {r.id: r for r in read_records(tasks)}
    correct, flawed = records["lone"], records["lone-flawed"]
    assert (correct.pair_id, correct.truth, correct.test) == ("lone", Truth.CORRECT, TEST)
    assert (flawed.pair_id, flawed.truth, flawed.line) == ("lone", Truth.FLAWED, 2)
    assert (flawed.prompt, flawed.kind) == (correct.prompt, Kind.CODE)
    assert flawed.candidate == FLAWED_CODE
    assert flawed.flaw is not None
    assert flawed.flaw.severity is Severity.CRITICAL
    assert (flawed.flaw.lines, flawed.flaw.span) == (LineRange(2, 2), None)
    assert (tasks.parent / "tasks.jsonl.bak").read_bytes() == b"".join(before)
    assert sorted(p.name for p in tasks.parent.iterdir()) == ["tasks.jsonl", "tasks.jsonl.bak"]


def test_a_text_twin_gets_a_character_span_and_the_file_keeps_its_bom_and_crlf(
    tmp_path: Path,
) -> None:
    essay = record("essay", kind="text", language=None, prompt="Describe Paris.", candidate=TEXT)
    path = tmp_path / "t.jsonl"
    lines = _lines(essay, record("x"))
    path.write_bytes(b"\xef\xbb\xbf" + b"\r\n".join(line.encode() for line in lines))  # a BOM too
    flawed = TEXT.replace("Seine", "Loire")
    save_pair(path, "essay", flawed, "wrong river", Severity.MAJOR, None, Span(48, 53), None)
    lines = path.read_bytes().split(b"\r\n")
    assert len(lines) == 3 and lines[0].startswith(b"\xef\xbb\xbf{")
    assert lines[2] == json.dumps(record("x")).encode()  # still no line end at the end
    twin = json.loads(lines[1])
    assert (twin["flaw_span"], "flaw_lines" in twin, "test" in twin) == ([48, 53], False, False)
    assert flawed[48:53] == "Loire"


@pytest.mark.parametrize(
    ("record_id", "changes", "message"),
    [
        ("nobody", {}, "no record with id 'nobody'"),
        ("done-ok", {}, "has a twin already (pair 'done')"),
        ("lone", {"description": "  "}, "needs a description of its flaw"),
        ("lone", {"flawed_text": CODE}, "identical to the correct answer"),
        ("lone", {"lines": LineRange(2, 9)}, "field 'flaw_lines': 2-9 is past the end"),
    ],
)
def test_save_pair_refuses_and_writes_nothing(
    tasks: Path, record_id: str, changes: dict[str, Any], message: str
) -> None:
    before = tasks.read_bytes()
    with pytest.raises(EvalStudioError) as refused:
        _save(tasks, record_id, **changes)
    assert message in str(refused.value)
    assert refused.value.where == str(tasks)
    assert tasks.read_bytes() == before
    assert [p.name for p in tasks.parent.iterdir()] == ["tasks.jsonl"]  # no .bak, no temp file


def test_save_pair_refuses_a_csv_file(tmp_path: Path) -> None:
    path = tmp_path / "tasks.csv"
    path.write_text("id,prompt,candidate,kind\nr1,Write add.,x = 1,code\n", encoding="utf-8")
    with pytest.raises(EvalStudioError, match="pair editing needs a JSONL task file"):
        _save(path, "r1")


def test_a_failed_replace_leaves_the_file_as_it_was(
    tasks: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = tasks.read_bytes()
    real_replace = Path.replace

    def replace(self: Path, target: Path) -> Path:
        if Path(target) == tasks:
            raise OSError(28, "No space left on device")
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", replace)
    with pytest.raises(OSError, match="No space left"):
        _save(tasks)
    assert tasks.read_bytes() == before
    assert sorted(p.name for p in tasks.parent.iterdir()) == ["tasks.jsonl", "tasks.jsonl.bak"]


def test_changed_span_runs_from_the_first_to_the_last_changed_character() -> None:
    assert changed_span("abcdef", "abXYef") == Span(2, 4)
    assert changed_span("abcdef", "abcdef") is None
    assert changed_span("abcdef", "abdef") == Span(2, 3)  # a deletion marks what follows it
    assert changed_span("abcdef", "abcde") == Span(4, 5)
    assert changed_span("aaa", "aaaa") == Span(3, 4)


# The dialog


@pytest.fixture
def jobs() -> Iterator[Jobs]:
    errors: list[BaseException] = []
    helper = Jobs(on_error=errors.append)
    yield helper
    helper.shutdown({})
    assert errors == []


@pytest.fixture
def editor(
    qtbot: QtBot,
    jobs: Jobs,
    workspace: Workspace,
    tasks: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[PairEditor]:
    # pytest-qt closes the dialog after the test: an unsaved twin must not open a modal
    # question that nobody answers.
    monkeypatch.setattr(QMessageBox, "question", lambda *_: QMessageBox.StandardButton.Discard)
    dialog = PairEditor(None, jobs, _host(jobs, workspace), tasks)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.list.count() > 0)
    yield dialog
    qtbot.waitUntil(lambda: jobs.idle)


def _host(jobs: Jobs, workspace: Workspace) -> ModelHost:
    """A host whose model is never loaded (a server nobody listens on): no model runs here."""
    return ModelHost(jobs, workspace, model_settings(server="http://127.0.0.1:9/v1"), None)


def _choose(dialog: PairEditor, key: tuple[str, str]) -> None:
    dialog.list.select(key)
    assert dialog.list.key(dialog.list.currentItem()) == key


def _key(qtbot: QtBot, dialog: PairEditor, key: Qt.Key) -> None:
    qtbot.keyClick(dialog.form.description, key, Qt.KeyboardModifier.ControlModifier)


def test_the_list_shows_records_to_pair_and_pairs_apart(editor: PairEditor) -> None:
    texts = [editor.list.item(r).text() for r in range(editor.list.count())]
    assert texts == [
        "Without a twin (2)",
        "lone  ·  code",
        "essay  ·  text",
        "Pairs, read-only (1)",
        "⇄ done",
    ]
    assert not editor.form.isEnabled()
    _choose(editor, ("pair", "done"))
    assert editor.form.flawed.isReadOnly()
    assert editor.form.flawed.toPlainText() == FLAWED_CODE
    assert editor.form.description.text() == "subtracts"
    assert not editor.save_button.isEnabled()


def test_without_a_model_suggest_is_off_and_says_why(editor: PairEditor) -> None:
    _choose(editor, ("record", "lone"))
    assert not editor.suggest_button.isEnabled()
    assert editor.suggest_button.toolTip() == MODEL_NOT_READY
    editor.suggest()
    assert "No model is ready" in editor.message.text()


def test_an_edit_updates_the_diff_and_the_flaw_lines(qtbot: QtBot, editor: PairEditor) -> None:
    _choose(editor, ("record", "lone"))
    assert editor.form.test.toPlainText() == ""
    editor.form.flawed.setPlainText(CODE + "\n# three\n")
    qtbot.waitUntil(lambda: "+# three" in editor.form.diff.toPlainText())
    assert (editor.form.place_start.value(), editor.form.place_end.value()) == (3, 4)
    assert editor.form.dirty


def test_a_text_edit_fills_the_character_span(qtbot: QtBot, editor: PairEditor) -> None:
    _choose(editor, ("record", "essay"))
    assert not editor.test_button.isEnabled()
    assert editor.form.place_label.text() == "Flaw characters"
    editor.form.flawed.setPlainText(TEXT.replace("Seine", "Loire"))
    qtbot.waitUntil(lambda: "+It lies on the Loire." in editor.form.diff.toPlainText())
    assert editor.form.draft().span == Span(48, 52)  # "Loir": the "e" is Seine's too


def test_run_tests_shows_verified_then_unverified_with_a_weak_test(
    qtbot: QtBot, editor: PairEditor
) -> None:
    _choose(editor, ("record", "lone"))
    editor.form.flawed.setPlainText(FLAWED_CODE)
    editor.form.test.setPlainText(TEST)
    _key(qtbot, editor, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: editor.test_result.text().startswith("<b>"), timeout=10_000)
    assert "<b>Verified</b>" in editor.test_result.text()
    assert "#1b7f3b" in editor.test_result.styleSheet()
    editor.form.test.setPlainText(WEAK_TEST)
    assert editor.test_result.text().startswith("Before your last edit")
    _key(qtbot, editor, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: editor.test_result.text().startswith("<b>"), timeout=10_000)
    assert "<b>Unverified</b> — the flawed twin passes the tests too" in editor.test_result.text()


def test_save_pair_writes_the_file_and_the_record_becomes_a_pair(
    qtbot: QtBot, editor: PairEditor, tasks: Path
) -> None:
    _choose(editor, ("record", "lone"))
    editor.form.flawed.setPlainText(FLAWED_CODE)
    editor.form.description.setText("subtracts instead of adding")
    editor.form.severity.setCurrentIndex(editor.form.severity.findData(Severity.MINOR))
    _key(qtbot, editor, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: editor.list.currentItem().text() == "⇄ lone")
    assert (
        editor.message.text() == "Saved the pair 'lone' into tasks.jsonl (the previous file: .bak)."
    )
    texts = [editor.list.item(r).text() for r in range(editor.list.count())]
    assert texts == [
        "Without a twin (1)",
        "essay  ·  text",
        "Pairs, read-only (2)",
        "⇄ lone",  # in the file's order
        "⇄ done",
    ]
    assert editor.form.flawed.isReadOnly() and not editor.form.dirty
    flawed = {r.id: r for r in read_records(tasks)}["lone-flawed"]
    assert flawed.flaw is not None
    assert (flawed.flaw.severity, flawed.flaw.lines) == (Severity.MINOR, LineRange(2, 2))


def test_an_empty_description_is_refused_inline(
    qtbot: QtBot, editor: PairEditor, tasks: Path
) -> None:
    before = tasks.read_bytes()
    _choose(editor, ("record", "lone"))
    editor.form.flawed.setPlainText(FLAWED_CODE)
    editor.save()
    qtbot.waitUntil(lambda: editor.message.text().startswith("Not saved"))
    assert "needs a description of its flaw" in editor.message.text()
    assert str(tasks) in editor.message.text()
    assert tasks.read_bytes() == before
    assert editor.save_button.isEnabled() and editor.form.dirty


def test_a_suggestion_fills_the_twin_its_description_and_severity(
    qtbot: QtBot, editor: PairEditor
) -> None:
    _choose(editor, ("record", "lone"))
    suggestion = FlawSuggestion(CODE, FLAWED_CODE, "subtracts", Severity.CRITICAL, LineRange(2, 2))
    editor.apply_suggestion(suggestion)
    assert editor.form.flawed.toPlainText() == FLAWED_CODE
    assert editor.form.description.text() == "subtracts"
    draft = editor.form.draft()
    assert (draft.severity, draft.lines) == (Severity.CRITICAL, LineRange(2, 2))
    assert "-    return a + b" in editor.form.diff.toPlainText()


def test_a_failed_suggestion_is_said_inline_and_the_dialog_stays_usable(
    qtbot: QtBot, editor: PairEditor, workspace: Workspace
) -> None:
    # Ready as after a load, without load(): the HTTP client to a port nobody listens on is
    # refused at once, which is the model failing; no model runs.
    backend = open_backend(editor.host.settings)
    editor.host._loaded(Assistant(workspace, backend, editor.host.settings))
    _choose(editor, ("record", "lone"))
    assert editor.suggest_button.isEnabled()
    editor.suggest_button.click()
    assert editor.suggest_button.text() == "Asking the model…"
    assert not editor.suggest_button.isEnabled()
    editor.form.description.setText("typed while the model works")
    qtbot.waitUntil(lambda: editor.message.text().startswith("No suggestion"), timeout=10_000)
    assert "No suggestion for 'lone': the model could not answer" in editor.message.text()
    assert editor.form.description.text() == "typed while the model works"
    assert editor.suggest_button.isEnabled()
    backend.close()


def test_leaving_an_unsaved_twin_asks_first(
    editor: PairEditor, monkeypatch: pytest.MonkeyPatch
) -> None:
    _choose(editor, ("record", "lone"))
    editor.form.flawed.setPlainText(FLAWED_CODE)
    cancel, discard = QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Discard
    answers = [cancel, cancel, discard]
    monkeypatch.setattr(QMessageBox, "question", lambda *_args: answers.pop(0))
    editor.list.select(("record", "essay"))
    assert editor.list.currentItem().text() == "lone  ·  code"  # kept on the twin
    assert editor.form.flawed.toPlainText() == FLAWED_CODE
    editor.reject()
    assert editor.isVisible()
    editor.reject()
    assert not editor.isVisible() and answers == []


def test_a_file_with_bad_rows_is_not_edited_and_each_bad_row_is_named(
    qtbot: QtBot, jobs: Jobs, workspace: Workspace, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [record("a"), "{not json", record("b", kind="poem")])
    dialog = PairEditor(None, jobs, _host(jobs, workspace), path)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "bad rows" in dialog.message.text())
    assert f"{path}:2: not valid JSON" in dialog.message.text()
    assert f"{path}:3: field 'kind': unknown value 'poem'" in dialog.message.text()
    assert dialog.list.count() == 0 and not dialog.save_button.isEnabled()


def test_a_csv_file_is_shown_but_its_pairs_cannot_be_saved(
    qtbot: QtBot, jobs: Jobs, workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "tasks.csv"
    path.write_text("id,prompt,candidate,kind\nr1,Write add.,x = 1,code\n", encoding="utf-8")
    dialog = PairEditor(None, jobs, _host(jobs, workspace), path)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.list.count() > 0)
    _choose(dialog, ("record", "r1"))
    assert not dialog.save_button.isEnabled()
    assert "JSONL task files only" in dialog.save_button.toolTip()


def test_a_conversation_record_is_shown_read_only_its_twin_written_by_hand(
    qtbot: QtBot, jobs: Jobs, workspace: Workspace, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "chats.jsonl", [chat("c1")])
    dialog = PairEditor(None, jobs, _host(jobs, workspace), path)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.list.count() > 0)
    _choose(dialog, ("record", "c1"))
    assert not dialog.save_button.isEnabled() and not dialog.suggest_button.isEnabled()
    assert dialog.suggest_button.toolTip() == "A conversation's twin is written in the file by hand"
    assert dialog.form.flawed_title.text().startswith("A conversation's flawed twin is written")
