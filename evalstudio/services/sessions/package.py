"""Session packages: one evaluator's share of a study written to one file with no answer key
(`evalstudio session export`), and what the app needs to open one. docs/session-packages.md.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from evalstudio.core.errors import EvalStudioError, SessionError
from evalstudio.core.model import Evaluator, Study
from evalstudio.core.plurals import counted
from evalstudio.core.review import Condition
from evalstudio.core.session_package import (
    FORMAT_VERSION,
    UNREADABLE,
    PackageInfo,
    PackageModel,
    PackageShare,
    StoredResponse,
    blind_definition,
    package_condition,
)
from evalstudio.core.signing import package_token
from evalstudio.core.study_definition import DEFAULT_CONDITIONS, StudyDefinition
from evalstudio.io.session_files import check_target, discard, place, staging_path
from evalstudio.services.assistance.backends import ModelSettings
from evalstudio.services.studies.studies import study_named
from evalstudio.services.workspace.evaluators import list_evaluators
from evalstudio.services.workspace.opening import Workspace, now
from evalstudio.store import (
    assignments,
    content,
    designs,
    judgments,
    package_info,
    package_rows,
    studies,
    workspace_settings,
)
from evalstudio.store.sql_errors import as_session_error


@dataclass(frozen=True)
class PackageReport:
    """What a written package holds."""

    path: Path
    study: str
    evaluator: str
    items: int
    judged: int  # items the evaluator had judged already (their work goes along)
    stored: int  # pre-generated responses it shows
    prepared: int  # of those, made for this evaluator (the misleading condition's)


@dataclass(frozen=True)
class OpenPackage:
    """A session package opened as the workspace: whose session it is."""

    info: PackageInfo
    study: Study
    evaluator: Evaluator


def export_package(
    workspace: Workspace, study_name: str, evaluator_name: str, out: Path
) -> PackageReport:
    """Write the evaluator's share of the study to `out` (a new file), blinded; the owner's
    workspace is only read."""
    check_target(out)
    db = workspace.db
    if package_info.is_package(db):
        raise SessionError(
            "is a session package; write packages from the owner's workspace",
            where=str(workspace.path),
        )
    study = study_named(workspace, study_name)
    evaluator = _evaluator_named(workspace, evaluator_name)
    queue = assignments.assigned(db, study.id, evaluator.id) or [
        (item, Condition.ASSISTED) for item in package_rows.study_item_ids(db, study.id)
    ]
    if not queue:
        raise SessionError(f"the study '{study.name}' has no items", where=str(out))
    misleading = [item for item, c in queue if c is Condition.MISLEADING]
    # Assistance on compare and rank items is not pre-generated (services/models/pregen.py):
    # offline it is live, so it cannot be manipulated there (a package holds no truth).
    several = {item.id for item in content.multi_items(db, study.id)}
    if several & set(misleading):
        raise SessionError(
            f"cannot be packaged for {evaluator.name}: compare or rank items under the "
            "misleading condition need their responses made ahead, and those are not "
            "pre-generated yet; review them in the workspace",
            where=study.name,
        )
    design = designs.design_of(db, study.id)
    # A misleading item's responses are the prepared ones; showing live ones on the other
    # items would set those apart by their speed, so then every assisted item shows stored.
    shows_stored = design is None or design.pregenerated or bool(misleading)
    shared = (
        [item for item, c in queue if c is Condition.ASSISTED and item not in several]
        if shows_stored
        else []
    )
    stored = package_rows.stored_responses(db, shared)
    prepared = package_rows.stored_responses(db, misleading, evaluator.id) if misleading else []
    if misleading:
        _check_prepared(study, evaluator, shared, misleading, stored, prepared)
    info = PackageInfo(
        study_id=study.id,
        evaluator_id=evaluator.id,
        source=workspace.path.name,
        model=_model_of(stored + prepared),
        created_at=now(),
        token=_signature(workspace, study.id, evaluator.id),
    )
    share = _share(workspace, study, evaluator, queue, stored + prepared, info)
    blinded = None
    if design is not None:
        shown = {package_condition(c) for _, c in queue}
        conditions = tuple(c for c in DEFAULT_CONDITIONS if c in shown)
        blinded = blind_definition(design, evaluator.name, conditions, pregenerated=shows_stored)
    _write(out, workspace, share, blinded, info)
    queued = {item for item, _ in queue}
    return PackageReport(
        path=out,
        study=study.name,
        evaluator=evaluator.name,
        items=len(queue),
        judged=len(judgments.done_items(db, study.id, evaluator.id) & queued),
        stored=len(stored) + len(prepared),
        prepared=len(prepared),
    )


def _share(
    workspace: Workspace,
    study: Study,
    evaluator: Evaluator,
    queue: list[tuple[str, Condition]],
    stored: list[StoredResponse],
    info: PackageInfo,
) -> PackageShare:
    """What the package gets: the evaluator's queue, their own work on it (the store adds
    that), and the stored responses it shows with the times it gives them."""
    item_ids = [item for item, _ in queue]
    position = {item: n for n, item in enumerate(item_ids)}
    # Earlier pre-generated responses the evaluator saw or used: older than the current ones.
    earlier = _referenced_responses(workspace, evaluator, item_ids, {r.id for r in stored})
    stamps = {r.id: study.created_at for r in earlier} | {r.id: info.created_at for r in stored}

    def in_queue_order(response: StoredResponse) -> tuple[int, str, str]:
        """Pre-generated responses in the evaluator's order, an item's kinds side by side:
        the owner's order (shared ones first, prepared ones after) would set apart the
        misleading items by their rows' places in the file."""
        return (
            position.get(response.study_item_id, len(position)),
            response.kind,
            response.requested_at,
        )

    return PackageShare(
        study_id=study.id,
        evaluator_id=evaluator.id,
        queue=tuple(queue),
        responses=tuple((r.id, stamps[r.id]) for r in sorted(stored + earlier, key=in_queue_order)),
        created_at=info.created_at,
    )


def _write(
    out: Path,
    workspace: Workspace,
    share: PackageShare,
    definition: StudyDefinition | None,
    info: PackageInfo,
) -> None:
    staged = staging_path(out)
    discard(staged)  # left over from an export that was killed
    try:
        with as_session_error(str(out), "writing the package"):
            _fill(staged, workspace, share, definition, info)
    except BaseException:
        discard(staged)
        raise
    place(staged, out)


def _fill(
    staged: Path,
    workspace: Workspace,
    share: PackageShare,
    definition: StudyDefinition | None,
    info: PackageInfo,
) -> None:
    package = Workspace.open(staged)
    try:
        db = package.db
        with db.atomic():
            package_rows.copy_share(workspace.db, db, share)
            if definition is not None:
                designs.insert_design(db, info.study_id, definition, info.created_at)
            package_info.write(db, info)
        package.use_single_file()
    finally:
        package.close()


def _check_prepared(
    study: Study,
    evaluator: Evaluator,
    shared: list[str],
    misleading: list[str],
    stored: list[StoredResponse],
    prepared: list[StoredResponse],
) -> None:
    """A misleading study's package needs the evaluator's responses made ahead: it carries no
    truth, so nothing in it can aim a manipulation. Every item the evaluator gets assistance
    on must have each pre-generated kind (prepared ones on misleading items, shared ones on
    the others), or the missing ones would stand out."""
    kinds = {r.kind for r in stored + prepared}
    have = {(r.study_item_id, r.kind) for r in stored + prepared}
    missing = [(i, k) for i in shared + misleading for k in sorted(kinds) if (i, k) not in have]
    if kinds and not missing:
        return
    items = len({i for i, _ in missing}) if kinds else len(misleading)
    raise SessionError(
        f"cannot be packaged for {evaluator.name} yet: the study has the misleading condition, "
        "and a package carries no truth to manipulate responses with, so they must be made "
        f"ahead; {items} of {evaluator.name}'s items have no pre-generated response"
        + (f" ({', '.join(sorted(kinds))})" if kinds else "")
        + f'. Run `evalstudio pregen --study "{study.name}"` with the study\'s model first.',
        where=study.name,
    )


def _referenced_responses(
    workspace: Workspace, evaluator: Evaluator, item_ids: list[str], have: set[str]
) -> list[StoredResponse]:
    """Responses the evaluator's work refers to that the package does not hold yet: earlier
    pre-generated ones they were shown. Anything else is not theirs to carry."""
    db = workspace.db
    wanted = package_rows.referenced_responses(db, evaluator.id, item_ids) - have
    found = package_rows.shown_responses(db, wanted, evaluator.id)
    if len(found) != len(wanted):
        raise SessionError(
            f"{evaluator.name}'s work refers to "
            f"{counted(len(wanted) - len(found), 'assistance response')} that are neither "
            "theirs nor pre-generated; it cannot be packaged",
        )
    return found


def _signature(workspace: Workspace, study_id: str, evaluator_id: str) -> str:
    """The package's proof that this workspace wrote it for the evaluator (core/signing.py)."""
    secret = workspace_settings.secret(workspace.db)
    if secret is None:  # only a package lacks one, and packages are refused above
        raise EvalStudioError("this workspace has no secret to sign a package with")
    return package_token(secret, study_id, evaluator_id)


def _model_of(responses: list[StoredResponse]) -> PackageModel:
    """The model settings of the newest pre-generated response, else the default model's."""
    defaults = ModelSettings()
    if responses:
        newest = max(responses, key=lambda r: r.requested_at)
        return PackageModel(
            newest.backend,
            newest.model_id,
            int(newest.params.get("max_tokens", defaults.max_tokens)),
            float(newest.params.get("temperature", defaults.temperature)),
        )
    backend, model_id = defaults.backend_and_model()
    return PackageModel(backend, model_id, defaults.max_tokens, defaults.temperature)


def _evaluator_named(workspace: Workspace, name: str) -> Evaluator:
    people = list_evaluators(workspace)
    for person in people:
        if person.name == name.strip():
            return person
    known = ", ".join(p.name for p in people) or "none yet"
    raise EvalStudioError(f"no evaluator named '{name}' (evaluators: {known})")


def package_of(workspace: Workspace) -> OpenPackage | None:
    """Whose session the workspace is, if it is a session package."""
    db = workspace.db
    where = str(workspace.path)
    try:
        with as_session_error(where, "reading the file"):
            info = package_info.read(db)
            if info is None:
                return None
            study = studies.study_by_id(db, info.study_id)
            people = list_evaluators(workspace)
    except UNREADABLE as e:  # a row edited by hand: opening checks the schema, not the rows
        raise SessionError(
            f"has an unreadable package description, study or evaluator (edited by hand?): {e}",
            where=where,
        ) from e
    if info.format_version > FORMAT_VERSION:
        raise SessionError(
            f"is a session package of a newer format ({info.format_version}); upgrade "
            "EvalStudio to open it",
            where=where,
        )
    evaluator = next((e for e in people if e.id == info.evaluator_id), None)
    if study is None or evaluator is None:
        raise SessionError("is a session package without its study or evaluator", where=where)
    return OpenPackage(info, study, evaluator)


def package_model_settings(
    current: ModelSettings, model: PackageModel
) -> tuple[ModelSettings, str | None]:
    """The settings a package's live requests use: the study's generation settings on the
    model this machine has; and a note when that model is not the one the package's
    responses came from."""
    settings = replace(current, max_tokens=model.max_tokens, temperature=model.temperature)
    backend, model_id = settings.backend_and_model()
    if (backend, model_id) == (model.backend, model.model_id):
        return settings, None
    return settings, (
        f"This package's prepared responses come from {model.model_id}; live answers come "
        f"from {model_id} (Settings › Model)."
    )
