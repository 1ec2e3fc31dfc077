"""Exporting a study: its judgments, its assistance log, its preference pairs (perturbation
pairs the verdicts separate) or the preferences its comparisons and rankings state, as JSONL
or CSV (docs/export-format.md). Rows stream from the workspace a chunk at a time into a file that
appears only whole."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

from evalstudio.core.errors import EvalStudioError
from evalstudio.core.rubric import Question
from evalstudio.io import export_files, export_records
from evalstudio.services.studies.studies import study_named
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import designs, export_rows

Progress = Callable[[int, int], None]  # (rows done, rows in all)


class ExportFormat(StrEnum):
    JUDGMENTS_JSONL = "judgments-jsonl"
    JUDGMENTS_CSV = "judgments-csv"
    EVENTS_JSONL = "events-jsonl"
    EVENTS_CSV = "events-csv"
    PAIRS = "pairs"
    PREFERENCES = "preferences"

    @property
    def needs_truth(self) -> bool:
        """Whether the format is made from the ground truth (only the owner may export it)."""
        return self is ExportFormat.PAIRS

    @property
    def content(self) -> str:
        """What the format holds: judgments, events, pairs or preferences."""
        return self.value.split("-")[0]

    @property
    def suffix(self) -> str:
        return ".csv" if self.value.endswith("-csv") else ".jsonl"


@dataclass(frozen=True)
class ExportReport:
    path: Path
    format: ExportFormat
    records: int  # lines (or CSV rows) written
    # Judgments, events or pairs read (pairs whose twins are not separated: no line; a
    # comparison or ranking: a line per preference it states)
    rows: int
    with_truth: bool


def export_study(
    workspace: Workspace,
    study_name: str,
    format: ExportFormat,
    path: Path,
    *,
    with_truth: bool = False,
    include_ties: bool = False,
    progress: Progress | None = None,
) -> ExportReport:
    """Write the study's records in `format` to `path`, replacing it once complete.

    Ground truth is included only `with_truth`; pairs need it. Preferences leave out the
    candidates an evaluator tied unless `include_ties`. Raises EvalStudioError (and
    leaves `path` as it was) for an unknown study, a target that cannot be written or is the
    workspace itself, or pairs asked for without the truth.
    """
    if format.needs_truth and not with_truth:
        raise EvalStudioError(
            "preference pairs are made from the ground truth (which twin is flawed): "
            "only the study owner exports them, with the truth included"
        )
    if _is_workspace(path, workspace):
        raise EvalStudioError("is the workspace itself; export to another file", where=str(path))
    study = study_named(workspace, study_name)
    db = workspace.db
    tell = progress or (lambda done, total: None)
    records = rows = 0
    with db.atomic():  # one snapshot of the workspace: the total and the rows agree
        total, chunks = _source(workspace, study.id, format)
        tell(0, total)
        with export_files.whole_file(path) as out:
            design = designs.design_of(db, study.id)
            questions = design.questions if design else ()
            shape = _shape(format, study.name, with_truth, questions, include_ties)
            write = _writer(format, out, with_truth, questions)
            for chunk in chunks:
                for row in chunk:
                    for record in shape(row):
                        write(record)
                        records += 1
                rows += len(chunk)
                tell(rows, total)
    return ExportReport(path, format, records, rows, with_truth)


def _is_workspace(path: Path, workspace: Workspace) -> bool:
    """Whether `path` is the workspace file or one of SQLite's files beside it (a slip of the
    tab key would otherwise replace the study with its export)."""
    own = workspace.path.resolve()
    names = {own.name + suffix for suffix in ("", "-wal", "-shm", "-journal")}
    target = path.resolve()
    return target.parent == own.parent and target.name in names


def _source(
    workspace: Workspace, study_id: str, format: ExportFormat
) -> tuple[int, Iterator[list[Any]]]:
    """The format's total and its chunks of records (core/exported.py), which `_shape` takes."""
    db = workspace.db
    if format.content == "judgments":
        return export_rows.count_judgments(db, study_id), export_rows.judgment_chunks(db, study_id)
    if format.content == "events":
        return export_rows.count_events(db, study_id), export_rows.event_chunks(db, study_id)
    if format is ExportFormat.PREFERENCES:  # people's orderings only: no model's preference
        return (
            export_rows.count_judgments(db, study_id, compared_by_people=True),
            export_rows.judgment_chunks(db, study_id, compared_by_people=True),
        )
    return export_rows.count_pairs(db, study_id), export_rows.pair_chunks(db, study_id)


def _shape(
    format: ExportFormat,
    study: str,
    with_truth: bool,
    questions: tuple[Question, ...],
    include_ties: bool,
) -> Callable[[Any], Sequence[export_records.Record]]:
    """The records a row makes: one, or none (pairs the verdicts do not separate), or as many
    as the preferences a comparison or ranking states."""
    if format.content == "judgments":
        return lambda row: [export_records.judgment_record(row, study, with_truth, questions)]
    if format.content == "events":
        return lambda row: [export_records.event_record(row, study, with_truth)]
    if format is ExportFormat.PREFERENCES:
        return lambda row: export_records.preference_records(row, study, with_truth, include_ties)

    def separated(row: Any) -> list[export_records.Record]:
        record = export_records.pair_record(row, study)
        return [record] if record is not None else []

    return separated


def _writer(
    format: ExportFormat, out: TextIO, with_truth: bool, questions: tuple[Question, ...]
) -> export_files.Write:
    if format is ExportFormat.JUDGMENTS_CSV:
        return export_files.judgments_csv_writer(out, with_truth, questions)
    if format is ExportFormat.EVENTS_CSV:
        return export_files.events_csv_writer(out, with_truth)
    return export_files.jsonl_writer(out)
