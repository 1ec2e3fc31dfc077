"""Damaged packages that test_session_fuzz.py found crashing the merge or the opening,
made by hand: each is refused with one line naming the file, the workspace left as it was.
A study without the misleading condition needs no model to make its package."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from support.session_study import digest
from support.study_builders import two_evaluator_study

from evalstudio.core.errors import EvalStudioError, SessionError
from evalstudio.core.model import Verdict
from evalstudio.core.review import JudgmentForm, Stage
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.sessions.merge import merge_file
from evalstudio.services.sessions.package import OpenPackage, export_package, package_of
from evalstudio.services.workspace.evaluators import list_evaluators
from evalstudio.services.workspace.opening import Workspace, open_workspace


@pytest.fixture
def package(workspace: Workspace, tmp_path: Path) -> Path:
    """Ada's package; she left a draft on her first item before it was written."""
    study, _ = two_evaluator_study(
        workspace, tmp_path, "S", pairs=2, seed=1, options='conditions = ["unassisted"]\n'
    )
    ada = next(e for e in list_evaluators(workspace) if e.name == "Ada")
    session = ReviewSession(workspace, study, ada)
    session.save_draft(session.queue[0].item.item_id, Stage.FINAL, JudgmentForm(Verdict.FLAWED))
    return export_package(workspace, "S", "Ada", tmp_path / "ada.evs").path


def _edit(path: Path, *statements: str) -> None:
    """As someone with an SQLite tool would: no checks, no foreign keys."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA ignore_check_constraints = ON")
    conn.execute("PRAGMA writable_schema = ON")
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


MERGE_REFUSALS = {
    # The schema's text read back as str: UnicodeDecodeError, not an SQLite error.
    "invalid UTF-8 in the schema": (
        "UPDATE sqlite_master SET name = CAST(x'6aff' AS TEXT) "
        "WHERE name = 'judgments_evaluator_item'",
        "is damaged",
    ),
    # int(float("inf")): OverflowError, which the description's reader did not expect.
    "a number beyond any int in the description": (
        "UPDATE package_info SET model = "
        """'{"backend": "local", "model_id": "m", "max_tokens": 1e999, "temperature": 0}'""",
        "unreadable package description",
    ),
    # json.loads past the recursion limit: RecursionError.
    "a draft nested past the recursion limit": (
        "UPDATE drafts SET form = '" + "[" * 5000 + "'",
        "unreadable form data",
    ),
    # A step's name quoted in the message: a line break in it broke the one-line message.
    "a line break in a step's name": (
        "UPDATE _sqlite_migrations SET name = 'm' || char(10) || 'x' WHERE rowid = 1",
        "schema step m x is unknown",
    ),
    # An applied step moved out of the set: the copy runs it again and fails, a write error.
    "a schema step forgotten": (
        "UPDATE _sqlite_migrations SET migration_set = 'x' WHERE name = 'm009_session_packages'",
        "already exists",
    ),
}


@pytest.mark.parametrize("case", list(MERGE_REFUSALS))
def test_a_damaged_package_is_refused_by_name_and_the_workspace_untouched(
    workspace: Workspace, package: Path, case: str
) -> None:
    statement, problem = MERGE_REFUSALS[case]
    _edit(package, statement)
    before = digest(workspace)
    with pytest.raises(SessionError, match=problem) as refused:
        merge_file(workspace, package)
    assert str(refused.value).startswith(f"{package}: ") and "\n" not in str(refused.value)
    assert digest(workspace) == before


def _open(path: Path) -> OpenPackage | None:
    """What the app does with a file it is given: open it, then ask whose session it is."""
    opened = open_workspace(path)
    try:
        return package_of(opened)
    finally:
        opened.close()


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        (MERGE_REFUSALS["invalid UTF-8 in the schema"][0], "not an EvalStudio workspace"),
        ("UPDATE evaluators SET kind = 'final'", "'final' is not a valid EvaluatorKind"),
        (MERGE_REFUSALS["a number beyond any int in the description"][0], "float infinity"),
    ],
)
def test_opening_a_package_with_an_unreadable_row_is_refused_by_name(
    package: Path, statement: str, problem: str
) -> None:
    _edit(package, statement)
    with pytest.raises(EvalStudioError, match=problem) as refused:
        _open(package)
    assert refused.value.where == str(package)


def test_the_package_as_written_merges_and_opens(workspace: Workspace, package: Path) -> None:
    """The baseline of the damage above."""
    merge_file(workspace, package)
    copy = package.with_name("copy.evs")
    shutil.copyfile(package, copy)
    assert _open(copy) is not None


def test_a_package_of_a_newer_format_is_refused_on_opening_as_on_merging(
    workspace: Workspace, package: Path
) -> None:
    _edit(package, "UPDATE package_info SET format_version = 99")
    opened = open_workspace(package)
    try:
        with pytest.raises(SessionError, match=r"newer format \(99\); upgrade EvalStudio to open"):
            package_of(opened)
    finally:
        opened.close()
    with pytest.raises(SessionError, match="newer format"):
        merge_file(workspace, package)
