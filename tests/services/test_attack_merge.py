"""A hostile evaluator's returned package, built with sqlite3 from a real one: SQL in column
names, a sock puppet, a package passed off as a workspace, work outside the queue, children of
a judgment in conflict, a huge text. Each is refused (or kept apart) and the workspace's
digest is unchanged; a bad file does not stop the next one; the report counts only what the
plan assigned."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.session_study import digest, edit_as_attacker, session_study

from evalstudio.core.errors import SessionError
from evalstudio.core.model import Evaluator, Study, Verdict
from evalstudio.core.review import JudgmentForm, Stage
from evalstudio.core.session_merge import MAX_WRITTEN
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.sessions.merge import merge_file, merge_files
from evalstudio.services.sessions.package import export_package, package_of
from evalstudio.services.studies.scores import study_scores
from evalstudio.services.workspace.evaluators import add_evaluator, list_evaluators
from evalstudio.services.workspace.opening import Workspace, open_workspace

AT = "2026-11-30T10:00:00+00:00"


@pytest.fixture
def workspace(offline_owner: Workspace) -> Workspace:
    return offline_owner


@pytest.fixture
def study(workspace: Workspace, tmp_path: Path) -> Study:
    return session_study(workspace, tmp_path)


def _person(workspace: Workspace, name: str) -> Evaluator:
    return next(e for e in list_evaluators(workspace) if e.name == name)


@pytest.fixture
def bob_judged(workspace: Workspace, study: Study) -> list[str]:
    """Bob's judgments in the owner's workspace: the work an attacker would rewrite."""
    bob = ReviewSession(workspace, study, _person(workspace, "Bob"))
    made = [
        bob.submit(e.item.item_id, Stage.FINAL, JudgmentForm(Verdict.FLAWED, 3, 3)).id
        for e in bob.queue[:3]
    ]
    return made


@pytest.fixture
def package(workspace: Workspace, study: Study, tmp_path: Path, bob_judged: list[str]) -> Path:
    """Ada's package after she judged two items in it and undid the second (a retraction)."""
    path = export_package(workspace, study.name, "Ada", tmp_path / "ada.evs").path
    opened = open_workspace(path)
    found = package_of(opened)
    assert found is not None
    ada = ReviewSession(opened, found.study, found.evaluator)
    for entry in ada.queue[:2]:
        ada.submit(entry.item.item_id, Stage.FINAL, JudgmentForm(Verdict.ACCEPTABLE, 5, 4))
    ada.undo_last()
    opened.close()
    return path


def _retracted(workspace: Workspace, ids: list[str]) -> int:
    marks = ", ".join("?" for _ in ids)
    return int(
        workspace.db.execute(
            f"SELECT count(*) FROM judgment_retractions WHERE judgment_id IN ({marks})", ids
        ).fetchone()[0]
    )


def _refused(workspace: Workspace, path: Path, problem: str) -> None:
    before = digest(workspace)
    with pytest.raises(SessionError, match=problem):
        merge_file(workspace, path)
    assert digest(workspace) == before


# The attack of the issue: a retraction table whose last column's *name* closes the column
# list and turns the merge's INSERT into INSERT ... SELECT over the owner's judgments.
_INJECTED = (
    "created_at) SELECT lower(hex(randomblob(16))), id, created_at FROM main.judgments "
    "WHERE id NOT IN (SELECT judgment_id FROM main.judgment_retractions) /*"
)


def _rebuilt_retractions(path: Path) -> None:
    edit_as_attacker(
        path,
        f'CREATE TABLE r2 (id TEXT PRIMARY KEY, judgment_id TEXT NOT NULL, "{_INJECTED}" TEXT)',
        "INSERT INTO r2 SELECT id, judgment_id, created_at FROM judgment_retractions",
        "DROP TABLE judgment_retractions",
        "ALTER TABLE r2 RENAME TO judgment_retractions",
    )


SCHEMA_ATTACKS = {
    "SQL as a column's name": _rebuilt_retractions,
    "an extra column named with SQL": lambda p: edit_as_attacker(
        p, f'ALTER TABLE judgments ADD COLUMN "x, {_INJECTED}" TEXT'
    ),
    "a retyped column": lambda p: edit_as_attacker(
        p,
        "CREATE TABLE r2 (id TEXT PRIMARY KEY, judgment_id TEXT NOT NULL, created_at BLOB)",
        "INSERT INTO r2 SELECT * FROM judgment_retractions",
        "DROP TABLE judgment_retractions",
        "ALTER TABLE r2 RENAME TO judgment_retractions",
    ),
    "reordered columns": lambda p: edit_as_attacker(
        p,
        "CREATE TABLE r2 (judgment_id TEXT NOT NULL UNIQUE, id TEXT PRIMARY KEY, "
        "created_at TEXT NOT NULL) STRICT",
        "INSERT INTO r2 SELECT judgment_id, id, created_at FROM judgment_retractions",
        "DROP TABLE judgment_retractions",
        "ALTER TABLE r2 RENAME TO judgment_retractions",
    ),
    "an extra table": lambda p: edit_as_attacker(p, "CREATE TABLE notes (text TEXT)"),
    "a missing table": lambda p: edit_as_attacker(p, "DROP TABLE flaw_reviews"),
}


@pytest.mark.parametrize("case", list(SCHEMA_ATTACKS))
def test_a_package_whose_schema_differs_is_refused_before_a_row_is_read(
    workspace: Workspace, package: Path, bob_judged: list[str], case: str
) -> None:
    SCHEMA_ATTACKS[case](package)
    _refused(workspace, package, "does not have this version's schema")
    assert _retracted(workspace, bob_judged) == 0


def test_a_sock_puppet_is_refused(workspace: Workspace, package: Path) -> None:
    """A new evaluator named like Bob, speaking for the package, judging every item it holds."""
    ada = _person(workspace, "Ada").id
    statements = [
        f"INSERT INTO evaluators (id, name, kind, created_at) VALUES ('puppet', 'Bob', 'human', "
        f"'{AT}')",
        "UPDATE package_info SET evaluator_id = 'puppet'",
    ]
    for table in ("judgments", "review_events", "drafts", "assist_events", "assignments"):
        statements.append(
            f"UPDATE {table} SET evaluator_id = 'puppet' WHERE evaluator_id = '{ada}'"
        )
    statements.append(
        "INSERT INTO judgments (id, study_item_id, evaluator_id, verdict, created_at, condition) "
        f"SELECT 'p-' || id, id, 'puppet', 'flawed', '{AT}', 'assisted' FROM study_items "
        "WHERE id NOT IN (SELECT study_item_id FROM judgments)"
    )
    edit_as_attacker(package, *statements)
    _refused(workspace, package, "not signed by this workspace for the evaluator it names")


def test_a_package_speaking_for_a_real_evaluator_is_refused(
    workspace: Workspace, package: Path
) -> None:
    ada, bob = _person(workspace, "Ada").id, _person(workspace, "Bob").id
    edit_as_attacker(
        package,
        f"INSERT INTO evaluators (id, name, kind, created_at) VALUES ('{bob}', 'Bob', 'human', "
        f"'{AT}')",
        f"UPDATE package_info SET evaluator_id = '{bob}'",
        *(
            f"UPDATE {t} SET evaluator_id = '{bob}' WHERE evaluator_id = '{ada}'"
            for t in ("judgments", "review_events", "drafts", "assist_events", "assignments")
        ),
    )
    _refused(workspace, package, "not signed by this workspace")


def test_a_package_passed_off_as_a_workspace_is_refused(
    workspace: Workspace, package: Path
) -> None:
    edit_as_attacker(package, "DELETE FROM package_info")
    _refused(workspace, package, "not a copy of this workspace")


def test_a_package_from_before_signatures_needs_the_owners_word(
    workspace: Workspace, package: Path
) -> None:
    edit_as_attacker(package, "UPDATE package_info SET token = NULL")
    _refused(workspace, package, "without a signature.*--trust-unsigned")
    summary = merge_file(workspace, package, trust_unsigned=True)
    assert summary.tables["judgments"].added == 2


def test_work_outside_the_evaluators_queue_is_refused(
    workspace: Workspace, study: Study, package: Path
) -> None:
    ada = ReviewSession(workspace, study, _person(workspace, "Ada"))
    mine = {e.item.item_id for e in ada.queue}
    other = next(
        i
        for (i,) in workspace.db.execute(
            "SELECT id FROM study_items WHERE study_id = ?", [study.id]
        ).fetchall()
        if i not in mine
    )
    edit_as_attacker(
        package,
        "INSERT INTO study_items (id, study_id, candidate_id, position, external_id) "
        f"SELECT '{other}', study_id, candidate_id, 999, '{other}' FROM study_items LIMIT 1",
        "INSERT INTO judgments (id, study_item_id, evaluator_id, verdict, created_at, condition) "
        f"SELECT 'outside', '{other}', evaluator_id, 'flawed', '{AT}', 'assisted' "
        "FROM package_info",
    )
    _refused(workspace, package, r"items the study does not give its evaluator .*: 1 in judgments")


def test_a_judgment_in_conflict_keeps_its_flaws_and_retraction_out(
    workspace: Workspace, package: Path, bob_judged: list[str]
) -> None:
    """A judgment reusing Bob's judgment id is a conflict; the retraction and flaw that come
    with it must not land on Bob's judgment."""
    target = bob_judged[0]
    edit_as_attacker(
        package,
        "INSERT INTO judgments (id, study_item_id, evaluator_id, verdict, created_at, condition) "
        f"SELECT '{target}', study_item_id, evaluator_id, 'flawed', '{AT}', condition "
        "FROM judgments LIMIT 1",
        f"INSERT INTO judgment_retractions (id, judgment_id, created_at) "
        f"VALUES ('undo-bob', '{target}', '{AT}')",
        "INSERT INTO judgment_flaws (judgment_id, position, severity, description, source) "
        f"VALUES ('{target}', 7, 'critical', 'forged', 'own')",
    )
    summary = merge_file(workspace, package)
    assert _retracted(workspace, bob_judged) == 0
    assert workspace.db.execute(
        "SELECT count(*) FROM judgment_flaws WHERE judgment_id = ?", [target]
    ).fetchone() == (0,)
    conflicted = {(c.table, c.key) for c in summary.conflicts}
    assert ("judgments", target) in conflicted
    assert ("judgment_retractions", "undo-bob") in conflicted
    assert ("judgment_flaws", f"{target} / 7") in conflicted
    assert summary.tables["judgments"].added == 2  # Ada's own work still comes back


def test_a_flaw_added_to_an_earlier_judgment_is_kept_apart(
    workspace: Workspace, package: Path
) -> None:
    """Judgments are never changed: a flaw the workspace's copy of a judgment lacks is a
    conflict even when the judgment is the evaluator's own."""
    merge_file(workspace, package)
    edit_as_attacker(
        package,
        "INSERT INTO judgment_flaws (judgment_id, position, severity, description, source) "
        "SELECT id, 9, 'minor', 'added later', 'own' FROM judgments LIMIT 1",
    )
    before = workspace.db.execute("SELECT count(*) FROM judgment_flaws").fetchone()
    summary = merge_file(workspace, package)
    assert summary.tables["judgment_flaws"].conflicts == 1
    assert workspace.db.execute("SELECT count(*) FROM judgment_flaws").fetchone() == before


def test_a_huge_text_is_refused(workspace: Workspace, package: Path) -> None:
    edit_as_attacker(
        package,
        f"UPDATE judgments SET rationale = printf('%.*c', {MAX_WRITTEN + 1}, 'x') "
        "WHERE rowid = (SELECT min(rowid) FROM judgments)",
    )
    _refused(workspace, package, f"{MAX_WRITTEN + 1:,} characters in rationale")


def test_a_bad_file_does_not_stop_the_next(
    workspace: Workspace, package: Path, tmp_path: Path
) -> None:
    """The first file's INSERT would fail inside the merge's transaction (the old code let
    that end the whole run, "the workspace could not be written"); the second still merges."""
    bad = tmp_path / "bad.evs"
    shutil.copyfile(package, bad)
    edit_as_attacker(
        bad,
        'ALTER TABLE judgment_retractions ADD COLUMN "x) VALUES (1, 2, 3) nonsense /*" TEXT',
    )
    first, second = merge_files(workspace, [bad, package])
    assert isinstance(first, SessionError) and str(first).startswith(f"{bad}: ")
    assert not isinstance(second, SessionError) and second.tables["judgments"].added == 2


def test_the_report_counts_only_what_the_plan_assigned(workspace: Workspace, study: Study) -> None:
    """An evaluator the plan assigns nothing reviews every item, but is no part of the
    design: none of their judgments is scored."""
    dee = add_evaluator(workspace, "Dee")
    session = ReviewSession(workspace, study, dee)
    for entry in session.queue:
        session.submit(entry.item.item_id, Stage.FINAL, JudgmentForm(Verdict.FLAWED, 3, 3))
    ada = ReviewSession(workspace, study, _person(workspace, "Ada"))
    first = ada.queue[0].item.item_id
    ada.submit(first, Stage.FINAL, JudgmentForm(Verdict.FLAWED, 3, 3))
    scored = study_scores(workspace, study.id)
    assert {(s.judgment.evaluator_id, s.judgment.study_item_id) for s in scored} == {
        (ada.evaluator.id, first)
    }
