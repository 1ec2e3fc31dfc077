"""Session packages: what `session export` writes holds the evaluator's share of the study and
nothing of the answer key (every table and column checked), opens as the evaluator's session,
and shows manipulated and honest responses alike."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from support.session_study import (
    EVALUATORS,
    PAIRS,
    assistant,
    model_id,
    planted,
    session_study,
)

from evalstudio.assist.backend import Backend
from evalstudio.core.assistance import AssistKind
from evalstudio.core.errors import EvalStudioError, SessionError
from evalstudio.core.misleading import Misleading, plan_manipulation
from evalstudio.core.model import Evaluator, LineRange, Severity, Study, Verdict
from evalstudio.core.review import Condition, JudgmentForm, PointMark, ReportedFlaw, Stage
from evalstudio.services.models.pregen import pregenerate
from evalstudio.services.review.session import QueueEntry, ReviewSession
from evalstudio.services.sessions.package import export_package, package_of
from evalstudio.services.studies.studies import study_named
from evalstudio.services.workspace import owner
from evalstudio.services.workspace.evaluators import list_evaluators
from evalstudio.services.workspace.opening import Workspace, open_workspace
from evalstudio.services.workspace.resources import resources_dir
from evalstudio.store import content, package_rows

PASSPHRASE = "owner passphrase 1"

# What a package may fill with values, decided here on its own: the store's allow-list
# (store/package_rows.py) is held to it. Every other column of these tables holds only NULL or
# its declared default, and every other table is empty: a column or table added later stays
# out of packages until someone decides, in the store and here, that it may go in.
MAY_HOLD: dict[str, set[str]] = {
    "_sqlite_migrations": {"id", "migration_set", "name", "applied_at"},
    "assist_kinds": {"name"},  # reference data the migration writes: names only
    "studies": {"id", "name", "guidelines", "created_at", "commit_before_reveal"},
    "tasks": {
        "id",
        "study_id",
        "external_id",
        "prompt",
        "kind",
        "language",
        "reference",
        "conversation",
    },
    "candidates": {"id", "task_id", "external_id", "text"},
    # A compare or rank item's answers, renumbered in the order the evaluator sees them.
    "study_items": {"id", "study_id", "candidate_id", "external_id", "position", "layout"},
    "item_sides": {"study_item_id", "slot", "candidate_id"},
    "evaluators": {"id", "name", "kind", "created_at"},
    "assignments": {"study_id", "evaluator_id", "position", "study_item_id", "condition", "sides"},
    "study_designs": {"study_id", "definition", "created_at"},
    "assist_events": {
        "id",
        "study_item_id",
        "evaluator_id",
        "kind",
        "regenerates_id",
        "chat",
        "messages",
        "params",
        "backend",
        "model_id",
        "model_sha256",
        "seed",
        "requested_at",
        "first_token_at",
        "ended_at",
        "completion_tokens",
        "outcome",
        "error",
        "response",
        "pregenerated",
    },
    "judgments": {
        "id",
        "study_item_id",
        "evaluator_id",
        "verdict",
        "skipped_reason",
        "supersedes_id",
        "created_at",
        "stage",
        "condition",
        "quality",
        "confidence",
        "rationale",
        "active_ms",
    },
    "judgment_flaws": {
        "judgment_id",
        "position",
        "severity",
        "description",
        "line_start",
        "line_end",
        "span_start",
        "span_end",
        "source",
        "assist_event_id",
        "point_index",
    },
    "judgment_answers": {"judgment_id", "question_key", "value"},
    "judgment_orders": {"judgment_id", "tiers", "strength"},
    "judgment_retractions": {"id", "judgment_id", "created_at"},
    "drafts": {"evaluator_id", "study_item_id", "stage", "form", "saved_at"},
    "review_events": {
        "id",
        "evaluator_id",
        "study_item_id",
        "kind",
        "assist_event_id",
        "point_index",
        "mark",
        "at",
    },
    "package_info": {
        "id",
        "format_version",
        "study_id",
        "evaluator_id",
        "source",
        "model",
        "created_at",
        "token",  # the owner's signature: proves who it was written for, tells nothing
    },
}
# What the package writer fills itself (migrations, the blinded design, the package's own
# row); the rest of MAY_HOLD it copies through the store's allow-list.
WRITTEN = {"_sqlite_migrations", "assist_kinds", "study_designs", "package_info"}
# The answer key, and what tells a manipulated response from an honest one: in no package,
# whatever an allow-list says.
ANSWER_KEY: dict[str, set[str]] = {
    "studies": {"misleading_p"},
    "candidates": {
        "truth",
        "flaw_description",
        "flaw_severity",
        "flaw_line_start",
        "flaw_line_end",
        "flaw_span_start",
        "flaw_span_end",
        "gold",
    },
    "assist_events": {"manipulated", "manipulation", "misalignment", "basis_id", "prepared_for"},
}
SECRET_TABLES = {"pairs", "pair_checks", "study_secrets", "workspace_settings"}


@pytest.fixture
def workspace(offline_owner: Workspace) -> Workspace:
    """Here the owner's workspace holds the study "Offline", pre-generated by the real model."""
    return offline_owner


def _person(workspace: Workspace, name: str) -> Evaluator:
    return next(e for e in list_evaluators(workspace) if e.name == name)


def _entries(session: ReviewSession, condition: Condition) -> list[QueueEntry]:
    return [e for e in session.queue if e.condition is condition]


def _owner_workspace_with_work(workspace: Workspace, tmp_path: Path, backend: Backend) -> Study:
    """The study with the owner's passphrase set, Bob's work, and Ada's first work done in the
    owner's workspace (a judgment with a flaw, a manipulated live critique, a shown prepared
    critique with a marked point, a draft)."""
    study = session_study(workspace, tmp_path)
    owner.set_passphrase(workspace, PASSPHRASE)
    helper = assistant(workspace, backend)
    bob = ReviewSession(workspace, study, _person(workspace, "Bob"))
    first = bob.queue[0].item.item_id
    helper.request(first, AssistKind.CRITIQUE, evaluator_id=bob.evaluator.id).wait()
    bob.submit(first, Stage.FINAL, JudgmentForm(Verdict.FLAWED, 3, 2, rationale="Bob's view"))

    ada = ReviewSession(workspace, study, _person(workspace, "Ada"))
    misleading = _entries(ada, Condition.MISLEADING)[0]
    item = misleading.item.item_id
    ada.opened(item)
    shown = ada.stored_response(misleading, AssistKind.CRITIQUE, model_id(backend))
    assert shown is not None
    ada.shown(item, shown.id)
    ada.mark_point(item, shown.id, 0, PointMark.VALID)
    live = helper.request(
        item,
        AssistKind.CRITIQUE,
        evaluator_id=ada.evaluator.id,
        misleading=Misleading(1.0, seed=study.id),  # certainly manipulated
    ).wait()
    assert live.manipulated
    flaw = ReportedFlaw(
        Severity.MAJOR, "from the critique", lines=LineRange(2, 2), assist_event_id=live.id
    )
    ada.submit(item, Stage.FINAL, JudgmentForm(Verdict.FLAWED, 5, 4, (flaw,), "see line 2"))
    draft_item = _entries(ada, Condition.ASSISTED)[0].item.item_id
    ada.save_draft(draft_item, Stage.FINAL, JudgmentForm(Verdict.ACCEPTABLE, rationale="half"))
    return study


@pytest.fixture
def package(workspace: Workspace, tmp_path: Path, local_backend: Backend) -> Path:
    study = _owner_workspace_with_work(workspace, tmp_path, local_backend)
    return export_package(workspace, study.name, "Ada", tmp_path / "ada.evs").path


def _cells(path: Path) -> dict[str, list[dict[str, object]]]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        tables = [
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not r[0].startswith("sqlite_")
        ]
        return {t: [dict(r) for r in conn.execute(f"SELECT * FROM [{t}]")] for t in tables}
    finally:
        conn.close()


def _declared_defaults(path: Path) -> dict[str, dict[str, object]]:
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        found: dict[str, dict[str, object]] = {}
        for table in tables:
            found[table] = {}
            for _, name, _, _, default, _ in conn.execute(f"PRAGMA table_info([{table}])"):
                found[table][name] = (
                    None if default is None else conn.execute(f"SELECT {default}").fetchone()[0]
                )
        return found
    finally:
        conn.close()


def _secrets(workspace: Workspace) -> list[str]:
    """Texts of the answer key and of other people that must not be anywhere in the package."""
    db = workspace.db
    texts = [planted(n) for n in range(PAIRS)]
    texts += [f"p{n}-bug" for n in range(PAIRS)] + [f"p{n}-ok" for n in range(PAIRS)]
    texts += ["gold0", "gold1", "misleading pilot", "Bob's view"]
    texts += [r[0] for r in db.execute("SELECT secret FROM study_secrets")]  # the ids' secrets
    texts += [e for e in EVALUATORS if e != "Ada"]
    texts.append(db.execute("SELECT value FROM workspace_settings").fetchone()[0])
    for name in ("misleading_pass.md", "misleading_flag.md"):
        steering = (resources_dir() / "prompts" / name).read_text(encoding="utf-8")
        texts.append(steering.split("$")[0].strip()[:60])
    return texts


def _allowed() -> dict[str, set[str]]:
    """The store's allow-list: what the package writer copies into a package."""
    return {table: set(columns) for table, columns in package_rows.PACKAGE_COLUMNS.items()}


def test_the_stores_allow_list_is_the_one_decided_here_and_lets_no_answer_key_in() -> None:
    allowed = _allowed()
    assert allowed == {t: columns for t, columns in MAY_HOLD.items() if t not in WRITTEN}
    for may_hold in (allowed, MAY_HOLD):
        assert not SECRET_TABLES & may_hold.keys()
        for table, secret in ANSWER_KEY.items():
            assert not secret & may_hold.get(table, set()), f"{table}: answer key allowed"


def test_every_table_and_column_of_a_package_holds_only_what_it_may(
    workspace: Workspace, package: Path
) -> None:
    cells = _cells(package)
    defaults = _declared_defaults(package)
    may_hold = {table: MAY_HOLD[table] for table in WRITTEN} | _allowed()
    for table, columns in may_hold.items():
        assert columns <= set(defaults[table]), f"{table}: the allow-list names no column"
    for table, rows in cells.items():
        if table not in may_hold:
            assert rows == [], f"{table} must stay empty in a package"
            continue
        for name, default in defaults[table].items():
            if name in may_hold[table]:
                continue
            values = {row[name] for row in rows}
            assert values <= {None, default}, f"{table}.{name} carries {values - {default}}"
    assert {r["name"] for r in cells["evaluators"]} == {"Ada"}
    named = cells["tasks"] + cells["candidates"] + cells["study_items"]
    assert all(r["external_id"] == r["id"] for r in named)  # no record or task id of the owner


def test_no_text_of_the_answer_key_or_of_others_is_in_any_cell_or_byte(
    workspace: Workspace, package: Path
) -> None:
    secrets = _secrets(workspace)
    for table, rows in _cells(package).items():
        for row in rows:
            for column, value in row.items():
                if isinstance(value, str):
                    found = [s for s in secrets if s in value]
                    assert not found, f"{table}.{column} holds {found}"
                    named = value == "misleading" or '"misleading"' in value
                    assert not named, f"{table}.{column} names the misleading condition"
    raw = package.read_bytes()  # free pages too: nothing was ever written and deleted
    assert not [s for s in secrets if s.encode() in raw]


def test_the_package_keeps_its_design_but_not_the_owners(
    workspace: Workspace, package: Path
) -> None:
    (row,) = _cells(package)["study_designs"]
    definition = json.loads(str(row["definition"]))
    assert definition["evaluators"] == ["Ada"]
    assert definition["seed"] == "-" and definition["description"] == ""
    assert "misleading" not in definition["conditions"]
    assert definition["misleading_p"] == 0.3  # the default, whatever the study's
    assert definition["pregenerated"] is True


def test_opening_a_package_gives_its_evaluators_queue_in_plan_order(
    workspace: Workspace, package: Path
) -> None:
    ada = _person(workspace, "Ada")
    planned = ReviewSession(workspace, _study(workspace), ada)
    opened = open_workspace(package)
    found = package_of(opened)
    assert found is not None and found.evaluator == ada
    session = ReviewSession(opened, found.study, found.evaluator)
    assert [e.item.item_id for e in session.queue] == [e.item.item_id for e in planned.queue]
    assert [e.item.position for e in session.queue] == list(range(len(planned.queue)))
    shown = [Condition.ASSISTED if c is Condition.MISLEADING else c for c in _conds(planned)]
    assert _conds(session) == shown
    assert session.study.guidelines == "# Read every line\n"
    assert [e.item.candidate for e in session.queue] == [e.item.candidate for e in planned.queue]
    # Ada's earlier work came along: her judgment, her draft, her mark.
    assert session.done == planned.done
    drafted = _entries(planned, Condition.ASSISTED)[0].item.item_id
    assert session.state(drafted).item.draft == planned.state(drafted).item.draft
    opened.close()


def _study(workspace: Workspace) -> Study:
    return study_named(workspace, "Offline")


def _conds(session: ReviewSession) -> list[Condition]:
    return [e.condition for e in session.queue]


def test_a_package_shows_each_assisted_item_one_stored_critique_manipulated_or_not_alike(
    workspace: Workspace, package: Path, local_backend: Backend
) -> None:
    ada = _person(workspace, "Ada")
    planned = ReviewSession(workspace, _study(workspace), ada)
    opened = open_workspace(package)
    session = ReviewSession(opened, planned.study, ada)
    prepared_ids = set()
    for mine, theirs in zip(session.queue, planned.queue, strict=True):
        shown = session.stored_response(mine, AssistKind.CRITIQUE, "some other model")
        expected = planned.stored_response(theirs, AssistKind.CRITIQUE, model_id(local_backend))
        assert (shown is None) == (expected is None) == (not theirs.condition.assisted)
        if shown is not None and expected is not None:
            assert shown.id == expected.id and shown.response == expected.response
            if theirs.condition is Condition.MISLEADING:
                prepared_ids.add(shown.id)
    assert prepared_ids
    cells = _cells(package)["assist_events"]
    stored = [r for r in cells if r["pregenerated"]]
    looks = {
        tuple(sorted((k, v is None) for k, v in r.items() if k not in ("id", "study_item_id")))
        for r in stored
    }
    assert len(looks) == 1  # same columns empty, prepared or shared
    assert len({(r["requested_at"], r["ended_at"]) for r in stored}) == 1
    assert {r["manipulated"] for r in cells} == {0}
    # The owner's workspace still knows which were manipulated (Ada's live critique was).
    owners = dict(workspace.db.execute("SELECT id, manipulated FROM assist_events").fetchall())
    assert prepared_ids <= set(owners)
    assert any(owners[r["id"]] for r in cells if not r["pregenerated"])
    opened.close()


def test_live_requests_in_a_package_are_never_manipulated(
    workspace: Workspace, package: Path, local_backend: Backend
) -> None:
    opened = open_workspace(package)
    found = package_of(opened)
    assert found is not None
    session = ReviewSession(opened, found.study, found.evaluator)
    helper = assistant(opened, local_backend)
    for entry in session.queue:
        assert session.misleading(entry) is None
        if entry.condition.assisted:
            event = helper.request(
                entry.item.item_id,
                AssistKind.EXPLAIN,
                evaluator_id=found.evaluator.id,
                misleading=session.misleading(entry),
            ).wait()
            assert not event.manipulated
    opened.close()


def test_a_package_is_one_file_that_keeps_every_commit(workspace: Workspace, package: Path) -> None:
    opened = open_workspace(package)
    assert opened.db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    found = package_of(opened)
    assert found is not None
    session = ReviewSession(opened, found.study, found.evaluator)
    session.save_draft(session.queue[-1].item.item_id, Stage.FINAL, JudgmentForm(quality=2))
    assert not package.with_name(package.name + "-wal").exists()
    copy = package.with_name("copy.evs")
    copy.write_bytes(package.read_bytes())  # sent back while the app is still open
    opened.close()
    again = open_workspace(copy)
    forms = [json.loads(f) for (f,) in again.db.execute("SELECT form FROM drafts").fetchall()]
    assert sorted(f["quality"] or 0 for f in forms) == [0, 2]
    again.close()


def test_a_misleading_study_is_packaged_only_once_its_responses_are_prepared(
    workspace: Workspace, tmp_path: Path
) -> None:
    study = session_study(workspace, tmp_path, name="Unprepared", pregen=False)
    out = tmp_path / "ada.evs"
    with pytest.raises(SessionError, match=r"misleading condition.*evalstudio pregen --study"):
        export_package(workspace, study.name, "Ada", out)
    assert not out.exists() and not list(tmp_path.glob(".ada.evs*"))


@pytest.mark.parametrize(
    ("study", "evaluator", "problem"),
    [
        ("Nope", "Ada", "no study named 'Nope'"),
        ("Offline", "Zed", "no evaluator named 'Zed'"),
    ],
)
def test_export_names_an_unknown_study_or_evaluator(
    workspace: Workspace, tmp_path: Path, study: str, evaluator: str, problem: str
) -> None:
    session_study(workspace, tmp_path)
    with pytest.raises(EvalStudioError, match=problem):
        export_package(workspace, study, evaluator, tmp_path / "x.evs")


def test_export_never_replaces_a_file_and_never_packages_a_package(
    workspace: Workspace, package: Path
) -> None:
    before = package.read_bytes()
    with pytest.raises(SessionError, match="exists already"):
        export_package(workspace, "Offline", "Ada", package)
    assert package.read_bytes() == before
    opened = open_workspace(package)
    with pytest.raises(SessionError, match="write packages from the owner's workspace"):
        export_package(opened, "Offline", "Ada", package.with_name("again.evs"))
    opened.close()


def test_pregeneration_prepares_each_misleading_items_responses_for_its_evaluator(
    workspace: Workspace, tmp_path: Path, local_backend: Backend
) -> None:
    study = session_study(workspace, tmp_path)
    db = workspace.db
    misleading = db.execute(
        "SELECT evaluator_id, study_item_id FROM assignments WHERE condition = 'misleading'"
    ).fetchall()
    prepared = db.execute(
        "SELECT id, prepared_for, study_item_id, evaluator_id, manipulated, manipulation "
        "FROM assist_events WHERE prepared_for IS NOT NULL"
    ).fetchall()
    assert sorted((p[1], p[2]) for p in prepared) == sorted(misleading)
    for _, evaluator_id, item_id, asker, manipulated, manipulation in prepared:
        assert asker is None  # prepared, not asked: it counts once shown
        found = content.task_and_candidate(db, item_id)
        assert found is not None
        plan = plan_manipulation(
            p=study.misleading_p,
            seed=study.id,
            evaluator_id=evaluator_id,
            item_id=item_id,
            kind=AssistKind.CRITIQUE,
            truth=found[1].truth,
            candidate=found[1].text,
        )  # the draw a live request of the evaluator's would make
        assert bool(manipulated) is (plan.manipulation is not None)
        assert manipulation == (plan.manipulation.value if plan.manipulation else None)
    again = pregenerate(assistant(workspace, local_backend), study.id, [AssistKind.CRITIQUE])
    items = db.execute("SELECT count(*) FROM study_items").fetchone()[0]
    assert (again.generated, again.skipped) == (0, items + len(misleading))
    # In the owner's app, too, a misleading item shows the evaluator's prepared critique.
    ada = ReviewSession(workspace, study, _person(workspace, "Ada"))
    mine = {p[0] for p in prepared if p[1] == ada.evaluator.id}
    for entry in ada.queue:
        shown = ada.stored_response(entry, AssistKind.CRITIQUE, model_id(local_backend))
        if entry.condition is Condition.MISLEADING:
            assert shown is not None and shown.id in mine
        elif entry.condition is Condition.ASSISTED:
            assert shown is not None and shown.id not in {p[0] for p in prepared}
