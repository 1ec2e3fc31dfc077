"""Attacks on the answer key through ids and row order (issue 17): an evaluator holding only
their session package tries to tell the twins apart by recomputing the derived item ids from
guessed record ids, by reading record ids left in the file, or by the order of its rows."""

from __future__ import annotations

import json
import shutil
import sqlite3
import uuid
from collections.abc import Sequence
from pathlib import Path

from click.testing import CliRunner
from sqlite_utils import Database
from support.builders import pair, record, write_jsonl

from evalstudio.assist.backend import GenerationParams, Message, ModelInfo, Stream
from evalstudio.cli.main import main
from evalstudio.core.assistance import AssistKind, Outcome
from evalstudio.core.ids import new_id
from evalstudio.core.import_plan import plan_import
from evalstudio.core.model import Study, Truth, Verdict
from evalstudio.core.review import JudgmentForm, Stage
from evalstudio.core.task_records import parse_record
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.assistance.backends import ModelSettings
from evalstudio.services.models.pregen import pregenerate
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.sessions.merge import merge_file
from evalstudio.services.sessions.package import export_package, package_of
from evalstudio.services.studies import studies
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.studies.setup import check_study_file, create_study, overview_text
from evalstudio.services.workspace.evaluators import add_evaluator
from evalstudio.services.workspace.opening import Workspace, open_workspace
from evalstudio.services.workspace.resources import demo_dir
from evalstudio.store import content
from evalstudio.store import studies as study_rows
from evalstudio.store.migrations import migrations

# The namespace of the plain derivation, public in the source of every release before this one.
NAMESPACE = uuid.UUID("6f1c1f52-2f3a-4d0e-9a55-2b7c0b9e6a11")
WORDS = {
    **dict.fromkeys(("correct", "ok", "good", "fixed"), Truth.CORRECT),
    **dict.fromkeys(("flawed", "bug", "buggy", "bad", "broken", "wrong"), Truth.FLAWED),
}


def plain_id(study_id: str, *parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "\x1f".join((study_id, *parts))))


def demo_records() -> list[dict[str, object]]:
    text = (demo_dir() / "tasks.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def attack(package: Path, known: dict[str, Truth]) -> dict[str, Truth]:
    """What the evaluator learns from the package alone: for each candidate whose id they can
    recompute from a guessed record id, its truth. Guesses: record ids named after the task
    with a twin word, and every record id they know with its truth (`known`: the public demo
    file, or a copy of the owner's file they saw)."""
    conn = sqlite3.connect(package)
    try:
        (study_id,) = conn.execute("SELECT id FROM studies").fetchone()
        stems = {stem for (stem,) in conn.execute("SELECT external_id FROM tasks")}
        candidates = [cid for (cid,) in conn.execute("SELECT id FROM candidates")]
    finally:
        conn.close()
    guesses = dict(known)
    for stem in stems:
        for word, truth in WORDS.items():
            for sep in "-_.":
                guesses.setdefault(f"{stem}{sep}{word}", truth)
    table = {plain_id(study_id, "candidate", g): truth for g, truth in guesses.items()}
    assert len(table) > len(known)  # a real attempt: guesses beyond the known ids
    return {c: table[c] for c in candidates if c in table}


def twins_recovered(workspace: Workspace, study_id: str, learned: dict[str, Truth]) -> int:
    """Pairs where the attacker knows which twin is the flawed one."""
    found = 0
    for p in content.pairs_of_study(workspace.db, study_id):
        if learned.get(p.flawed_id) is Truth.FLAWED or learned.get(p.correct_id) is Truth.CORRECT:
            found += 1
    return found


def demo_package(workspace: Workspace, tmp_path: Path) -> tuple[Study, Path]:
    study = studies.ensure_demo_study(workspace)
    add_evaluator(workspace, "Ada")
    out = export_package(workspace, study.name, "Ada", tmp_path / "ada.evs").path
    return study, out


def test_a_package_alone_gives_away_no_twin_by_its_ids(
    workspace: Workspace, tmp_path: Path
) -> None:
    study, package = demo_package(workspace, tmp_path)
    known = {str(r["id"]): Truth(str(r["truth"])) for r in demo_records()}
    pairs = len(content.pairs_of_study(workspace.db, study.id))
    assert pairs == 20
    # The attacker holds every record id of the public demo with its truth, and guesses the
    # rest from task names: with the plain derivation that named 20 of 20 twins.
    assert twins_recovered(workspace, study.id, attack(package, known)) == 0
    conn = sqlite3.connect(package)
    tasks = conn.execute("SELECT id, external_id FROM tasks").fetchall()
    conn.close()
    assert tasks and all(task_id == external for task_id, external in tasks)


def test_a_package_holds_no_record_id_and_no_secret_in_any_byte(
    workspace: Workspace, tmp_path: Path
) -> None:
    study, package = demo_package(workspace, tmp_path)
    secret = study_rows.secret_of(workspace.db, study.id)
    assert secret is not None and len(secret) >= 32
    raw = package.read_bytes()
    ids = [str(r["id"]) for r in demo_records()]
    assert [i for i in ids if i.encode() in raw] == []
    assert secret.encode() not in raw and bytes.fromhex(secret) not in raw
    conn = sqlite3.connect(package)
    assert conn.execute("SELECT count(*) FROM study_secrets").fetchone() == (0,)
    conn.close()


def test_the_same_file_gives_the_same_ids_in_a_copy_of_the_workspace_and_not_elsewhere(
    workspace: Workspace, workspace_path: Path, tmp_path: Path
) -> None:
    first = write_jsonl(tmp_path / "first.jsonl", pair("p0") + pair("p1"))
    more = write_jsonl(tmp_path / "more.jsonl", pair("p2"))
    study = import_tasks(workspace, first, "S").study
    workspace.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(workspace_path, tmp_path / "copy.sqlite")  # the owner's other machine
    copy = open_workspace(tmp_path / "copy.sqlite")
    import_tasks(workspace, more, "S")
    import_tasks(copy, more, "S")  # the same file, imported on both machines
    here = {c.external_id: c.id for c in content.candidates_of_study(workspace.db, study.id)}
    there = {c.external_id: c.id for c in content.candidates_of_study(copy.db, study.id)}
    assert here == there and len(here) == 6
    assert content.item_ids_by_candidate(workspace.db, study.id) == (
        content.item_ids_by_candidate(copy.db, study.id)
    )
    copy.close()
    # A new study of the same file: other ids, none of them the plain derivation.
    other = import_tasks(workspace, first, "T").study
    theirs = {c.external_id: c.id for c in content.candidates_of_study(workspace.db, other.id)}
    assert not set(theirs.values()) & set(here.values())
    assert all(cid != plain_id(other.id, "candidate", ext) for ext, cid in theirs.items())


def test_a_study_from_before_keeps_its_ids_and_derives_new_ones_as_before(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite"
    old = Database(path)
    migrations.apply(old, stop_before="m012_study_secrets")
    study = Study(new_id(), "Old", "", "2026-01-01T00:00:00+00:00")
    study_rows.insert_study(old, study)
    rows = [parse_record(n, r) for n, r in enumerate(pair("p0"), start=1)]
    plan = plan_import(
        study.id,
        rows,
        existing_ids=set(),
        existing_tasks={},
        existing_pair_ids=set(),
        first_position=0,
    )  # what the version before this one wrote: no secret
    with old.conn:  # insert_plan writes inside its caller's transaction
        content.insert_plan(old, plan)
    old.close()
    ws = open_workspace(path)  # migrated
    try:
        assert study_rows.secret_of(ws.db, study.id) is None
        more = write_jsonl(tmp_path / "more.jsonl", pair("p1"))
        import_tasks(ws, more, "Old")
        found = content.candidates_of_study(ws.db, study.id)
        assert len(found) == 4
        for c in found:
            assert c.id == plain_id(study.id, "candidate", c.external_id)
        for p in content.pairs_of_study(ws.db, study.id):
            assert p.id == plain_id(study.id, "pair", p.external_id)
        items = content.item_ids_by_candidate(ws.db, study.id)
        externals = {c.id: c.external_id for c in found}
        assert all(i == plain_id(study.id, "item", externals[c]) for c, i in items.items())
    finally:
        ws.close()


class RecordedReplies:
    """A backend that answers every request with one fixed reply at once: the model is not
    the subject here, only which rows a package writes and in what order."""

    REPLY = '{"verdict": "acceptable", "points": []}'

    def info(self) -> ModelInfo:
        return ModelInfo("server", "recorded", None, 2048)

    def stream(self, messages: list[Message], params: GenerationParams) -> Stream:
        stream = Stream(params.seed)
        stream.prompt_tokens, stream.completion_tokens = 10, 5
        stream.push(self.REPLY)
        stream.finish(Outcome.DONE)
        return stream

    def score(self, messages: list[Message], options: Sequence[str]) -> dict[str, float]:
        return dict.fromkeys(options, -1.0)

    def warm(self, variants: list[list[Message]]) -> Stream:
        stream = Stream()
        stream.finish(Outcome.DONE)
        return stream

    def close(self) -> None:
        pass


def _auc(order: list[bool]) -> float:
    """The chance that a random True row comes after a random False one (0.5: no signal)."""
    later = falses = 0
    for flag in order:
        if flag:
            later += falses
        else:
            falses += 1
    trues = sum(order)
    return later / (trues * (len(order) - trues))


def misleading_study(workspace: Workspace, tmp_path: Path, pairs: int) -> Study:
    """A study of `pairs` pairs for Ada and Bob, half of each queue misleading at p = 1, its
    critiques and explanations pre-generated (recorded replies)."""
    records = [r for n in range(pairs) for r in pair(f"p{n}", prompt=f"Write add{n}.")]
    write_jsonl(tmp_path / "tasks.jsonl", records)
    (tmp_path / "study.toml").write_text(
        'name = "M"\ntasks = "tasks.jsonl"\nseed = 3\nevaluators = ["Ada", "Bob"]\n'
        'conditions = ["assisted", "misleading"]\nmisleading_p = 1.0\npregenerated = true\n'
        'assist_kinds = ["critique", "explain"]\n',
        encoding="utf-8",
    )
    create_study(workspace, tmp_path / "study.toml")
    study = studies.study_named(workspace, "M")
    helper = Assistant(workspace, RecordedReplies(), ModelSettings(max_tokens=16))
    report = pregenerate(helper, study.id, [AssistKind.CRITIQUE, AssistKind.EXPLAIN])
    assert report.failed == []
    return study


def test_a_packages_row_order_does_not_set_manipulated_responses_apart(
    workspace: Workspace, tmp_path: Path
) -> None:
    study = misleading_study(workspace, tmp_path, 60)
    manipulated = dict(workspace.db.execute("SELECT id, manipulated FROM assist_events").fetchall())
    item_of = content.item_ids_by_candidate(workspace.db, study.id)
    aucs = []
    for name in ("Ada", "Bob"):
        package = export_package(workspace, "M", name, tmp_path / f"{name}.evs").path
        conn = sqlite3.connect(package)
        rows = conn.execute(
            "SELECT id, study_item_id, kind FROM assist_events WHERE pregenerated = 1 "
            "ORDER BY rowid"
        ).fetchall()
        queue = [
            i for (i,) in conn.execute("SELECT study_item_id FROM assignments ORDER BY position")
        ]
        items = [i for (i,) in conn.execute("SELECT id FROM study_items ORDER BY rowid")]
        candidates = [c for (c,) in conn.execute("SELECT id FROM candidates ORDER BY rowid")]
        conn.close()
        flags = [bool(manipulated[r[0]]) for r in rows]
        assert sum(flags) == len(flags) // 2 == len(queue)  # p = 1: half of the responses
        # Not a tail (as written before: every prepared response after the shared ones), not
        # a head: the manipulated ones sit among the honest ones.
        assert not all(flags[flags.index(True) :]) and any(flags[flags.index(False) :])
        aucs.append(_auc(flags))
        # Each item's responses side by side, in the evaluator's queue order, kinds in one order.
        assert list(dict.fromkeys(r[1] for r in rows)) == queue
        assert [r[2] for r in rows] == ["critique", "explain"] * len(queue)
        # The content tables follow the queue too, not the owner's file (twins side by side).
        assert items == queue and [item_of[c] for c in candidates] == queue
    # Where a manipulated response sits says nothing: the chance that one comes after an
    # honest one is near one half (it was 1.0); each queue's own shuffle is all that varies.
    assert 0.2 < sum(aucs) / len(aucs) < 0.8


def test_work_in_a_blinded_package_merges_back_by_id(workspace: Workspace, tmp_path: Path) -> None:
    study = misleading_study(workspace, tmp_path, 4)
    package = export_package(workspace, "M", "Ada", tmp_path / "ada.evs").path
    opened = open_workspace(package)
    found = package_of(opened)
    assert found is not None
    session = ReviewSession(opened, found.study, found.evaluator)
    judged = [e.item.item_id for e in session.queue]
    for item in judged:
        session.submit(item, Stage.FINAL, JudgmentForm(Verdict.ACCEPTABLE, 4, 3))
    opened.close()
    first = merge_file(workspace, package)
    assert first.tables["judgments"].added == len(judged) == 4
    again = merge_file(workspace, package)
    assert again.tables["judgments"].added == 0 and again.tables["judgments"].conflicts == 0
    ada = ReviewSession(workspace, study, found.evaluator)
    assert set(ada.done) == set(judged)


BAD_IDS = [
    record("binsearch-correct", pair_id="binsearch", truth="correct"),
    record(
        "binsearch_Flawed",
        pair_id="binsearch",
        truth="flawed",
        flaw_description="x",
        flaw_lines=[2, 2],
    ),
    record("gold.7", truth="correct", gold=True),
    record("goldfish-1"),  # a word inside a token is not a whole token
]


def test_import_warns_of_record_ids_that_name_the_truth_but_imports_them(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "tasks.jsonl", BAD_IDS)
    report = import_tasks(workspace, path, "W")
    assert report.items == 4 and report.problems == []
    assert [(w.line, w.field) for w in report.warnings] == [(1, "id"), (2, "id"), (3, "id")]
    assert "'correct'" in report.warnings[0].message
    assert "'flawed'" in report.warnings[1].message and "'gold'" in report.warnings[2].message
    demo = import_tasks(workspace, demo_dir() / "tasks.jsonl", "Demo again")
    assert demo.warnings == []  # the demo's own ids say nothing of the truth


def test_the_warning_shows_in_the_cli_import_and_in_study_validate_and_create(
    tmp_path: Path,
) -> None:
    runner, db = CliRunner(), str(tmp_path / "w.sqlite")
    path = write_jsonl(tmp_path / "tasks.jsonl", BAD_IDS)
    (tmp_path / "study.toml").write_text(
        'name = "V"\ntasks = "tasks.jsonl"\nseed = 1\nevaluators = ["Ada", "Bob"]\n',
        encoding="utf-8",
    )
    for command in ("validate", "create"):
        result = runner.invoke(main, ["--db", db, "study", command, str(tmp_path / "study.toml")])
        assert result.exit_code == 0, result.output
        assert "warning: 3 record ids name their" in result.output, command
    imported = runner.invoke(main, ["--db", db, "import", str(path), "--study", "W"])
    assert imported.exit_code == 0, imported.output
    assert "Imported 4 items" in imported.output
    assert "warning: 3 record ids name their" in imported.output
    assert "binsearch-correct" in imported.output


def test_the_study_setup_report_shows_the_warning(workspace: Workspace, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "tasks.jsonl", BAD_IDS)
    (tmp_path / "study.toml").write_text(
        'name = "V"\ntasks = "tasks.jsonl"\nseed = 1\nevaluators = ["Ada", "Bob"]\n',
        encoding="utf-8",
    )
    text = overview_text(check_study_file(workspace, tmp_path / "study.toml"))
    assert "warning: 3 record ids name their" in text and "gold.7" in text
