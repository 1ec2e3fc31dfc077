"""Import a task file into a study: every row checked, all or nothing unless told otherwise."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evalstudio.core.comparison import Layout
from evalstudio.core.errors import EvalStudioError, ImportRejected, Problem
from evalstudio.core.ids import new_id, new_secret
from evalstudio.core.import_plan import naming_warning, plan_import
from evalstudio.core.model import Study, has_control_character
from evalstudio.core.task_records import BadRecord, parse_record
from evalstudio.io.task_files import read_task_file
from evalstudio.services.workspace.opening import Workspace, now
from evalstudio.store import content, designs, studies


@dataclass(frozen=True)
class ImportReport:
    """What an import added, the rows it left out (only with skip_invalid), and warnings
    about rows it added (record ids that name their item's truth)."""

    source: str
    study: Study
    items: int
    tasks: int
    pairs: int
    problems: list[Problem]
    warnings: list[Problem]

    @property
    def skipped_rows(self) -> int:
        return len({p.line for p in self.problems})

    @property
    def naming_warning(self) -> str | None:
        """The warnings as one paragraph for the report a person reads; None if none."""
        return naming_warning(self.warnings)


def import_tasks(
    workspace: Workspace,
    path: Path,
    study_name: str,
    *,
    skip_invalid: bool = False,
    guidelines: str = "",
    pairs_as: Layout | None = None,
) -> ImportReport:
    """Import `path` into the study named `study_name`, creating the study if it is new.
    Pairs become items as `pairs_as` says (None: as the study's definition says; single).

    Raises ImportRejected (and writes nothing) if any row is bad, unless `skip_invalid`.
    """
    source = str(path)
    study_name = study_name.strip()
    if not study_name:
        raise EvalStudioError("a study needs a name", where=source)
    if has_control_character(study_name):
        raise EvalStudioError("a study's name may not hold a control character", where=source)
    rows = [
        BadRecord(row.line, None, [row]) if isinstance(row, Problem) else parse_record(*row)
        for row in read_task_file(path)
    ]
    if not rows:
        raise EvalStudioError("the file holds no records; nothing imported", where=source)
    db = workspace.db
    with db.atomic():
        study = studies.study_by_name(db, study_name)
        if study is None:
            study = Study(new_id(), study_name, guidelines, now())
            studies.insert_study(db, study)
            studies.insert_secret(db, study.id, new_secret())
        plan = plan_import(
            study.id,
            rows,
            existing_ids=content.external_ids_of_study(db, study.id),
            existing_tasks=content.tasks_of_study(db, study.id),
            existing_pair_ids=content.pair_ids_of_study(db, study.id),
            first_position=content.next_position(db, study.id),
            secret=studies.secret_of(db, study.id),
            pairs_as=pairs_as or _pairs_as(workspace, study.id),
        )
        if plan.problems and not skip_invalid:
            raise ImportRejected(source, plan.problems)
        content.insert_plan(db, plan)
    return ImportReport(
        source,
        study,
        len(plan.items),
        len(plan.tasks),
        len(plan.pairs),
        plan.problems,
        plan.warnings,
    )


def _pairs_as(workspace: Workspace, study_id: str) -> Layout:
    design = designs.design_of(workspace.db, study_id)
    return design.pairs_as if design is not None else Layout.SINGLE
