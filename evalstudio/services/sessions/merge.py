"""Merging returned work into the owner's workspace (`evalstudio merge`, File > Merge): an
evaluator's session package, or a whole workspace that shares studies with this one.

First the file is checked on a private copy (intact, ours, a schema this version knows —
an older one is migrated on the copy —, references that resolve); then, in one transaction,
every row in scope is copied by its stable id: an identical row is already here, a row under
a known id with other content is a conflict, reported and kept apart in `merge_conflicts`,
never written over the workspace's row. Any problem rolls the whole merge back.
docs/session-packages.md.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import assert_never

from evalstudio.core.errors import EvalStudioError, SessionError
from evalstudio.core.plurals import counted
from evalstudio.core.session_merge import (
    InvalidTime,
    MergeScope,
    MergeSummary,
    RowProblem,
    RowRefused,
    TooLong,
    UnknownResponse,
    UnplannedCondition,
    Unreadable,
    WrongAnswer,
    WrongJudgment,
)
from evalstudio.core.session_package import FORMAT_VERSION, UNREADABLE, PackageInfo
from evalstudio.core.signing import package_token, same_secret
from evalstudio.io.session_files import copy_for_merge
from evalstudio.services.workspace.backups import take_backup
from evalstudio.services.workspace.opening import Workspace, now
from evalstudio.store import (
    merge_rows,
    merge_tables,
    package_info,
    people,
    schema_shape,
    session_source,
    workspace_settings,
)
from evalstudio.store.sql_errors import as_session_error


@dataclass(frozen=True)
class _Source:
    """The checked copy of the file being merged, and what it is."""

    copy: Path
    package: PackageInfo | None
    secret: str | None  # a whole workspace's secret (store/workspace_settings.py)


def merge_files(
    workspace: Workspace,
    paths: list[Path],
    on_result: Callable[[Path, MergeSummary | SessionError], None] | None = None,
    *,
    trust_unsigned: bool = False,
) -> list[MergeSummary | SessionError]:
    """Merge each file in turn, each in its own transaction; a file refused does not stop the
    others. Returns each file's summary or the reason it was refused."""
    results: list[MergeSummary | SessionError] = []
    for path in paths:
        try:
            result: MergeSummary | SessionError = merge_file(
                workspace, path, trust_unsigned=trust_unsigned
            )
        except SessionError as e:
            result = e
        except EvalStudioError as e:  # the workspace could not be written: this file only
            result = SessionError(f"was not merged: {e.message}", where=str(path))
        results.append(result)
        if on_result is not None:
            on_result(path, result)
    return results


def merge_file(workspace: Workspace, path: Path, *, trust_unsigned: bool = False) -> MergeSummary:
    """Merge one file; raises SessionError (and writes nothing) when it cannot be merged.
    `trust_unsigned` takes a file this workspace cannot prove it wrote (core/signing.py): a
    package or workspace copy from before files were signed, on the owner's word."""
    where = str(path)
    db = workspace.db
    if package_info.is_package(db):
        raise SessionError(
            f"cannot be merged into {workspace.path.name}: that is a session package; merge "
            "into the owner's workspace",
            where=where,
        )
    if path.resolve() == workspace.path.resolve():
        raise SessionError("is this workspace itself", where=where)
    with tempfile.TemporaryDirectory(prefix="evalstudio-merge-") as folder:
        source = _checked_copy(path, Path(folder))
        take_backup(workspace.path, "before-merge")  # the file passed its checks
        with as_session_error(where, "the merge"), merge_rows.attached(db, source.copy):
            return _merge(workspace, source, where, trust_unsigned)


def _checked_copy(path: Path, folder: Path) -> _Source:
    where = str(path)
    copy = copy_for_merge(path, folder)
    session_source.check_intact(copy, where)
    try:
        opened = Workspace.open(copy)  # migrates an older file (the copy, never the original)
    except EvalStudioError as e:  # not ours, or its migration failed (edited steps)
        raise SessionError(e.message, where=where) from e
    try:
        with as_session_error(where, "reading the file"):
            unlike = schema_shape.differences(opened.db)
            if unlike:
                raise SessionError(
                    f"does not have this version's schema (edited by hand?): {unlike[0]}"
                    + (
                        f", and {counted(len(unlike) - 1, 'more difference', 'more differences')}"
                        if len(unlike) > 1
                        else ""
                    ),
                    where=where,
                )
            dangling = session_source.dangling_references(opened.db)
            if dangling:
                raise SessionError(
                    f"has {counted(len(dangling), 'row')} pointing at rows it does not hold "
                    f"(edited by hand?), e.g. {dangling[0]}",
                    where=where,
                )
            secret = workspace_settings.secret(opened.db)
            try:
                info = package_info.read(opened.db)
            except UNREADABLE as e:
                raise SessionError(
                    f"has an unreadable package description (edited by hand?): {e}", where=where
                ) from e
    finally:
        opened.close()
    if info is not None and info.format_version > FORMAT_VERSION:
        raise SessionError(
            f"is a session package of a newer format ({info.format_version}); upgrade "
            "EvalStudio to merge it",
            where=where,
        )
    return _Source(copy, info, secret)


def _check_origin(workspace: Workspace, source: _Source, where: str, trust_unsigned: bool) -> None:
    """A package must carry this workspace's signature for its own study and evaluator, and a
    whole workspace must be a copy of this one (the same secret): so a package brings the work
    of exactly the evaluator it was written for, and nobody else's."""
    ours = workspace_settings.secret(workspace.db)
    package = source.package
    if package is not None and package.token is not None:
        expected = package_token(ours, package.study_id, package.evaluator_id) if ours else None
        if not same_secret(package.token, expected):
            raise SessionError(
                "is not signed by this workspace for the evaluator it names: its evaluator or "
                "study was changed after it was written (edited by hand?), or another "
                "workspace wrote it; nothing was merged",
                where=where,
            )
        return
    if trust_unsigned:
        return
    if package is not None:
        raise SessionError(
            "is a session package without a signature (written by an EvalStudio from before "
            "packages were signed); merge it with --trust-unsigned if you know who sent it",
            where=where,
        )
    if not same_secret(source.secret, ours):
        raise SessionError(
            "is a workspace file but not a copy of this workspace (a session package with its "
            "mark removed, another owner's workspace, or a copy made before this version); "
            "merge it with --trust-unsigned only if it is yours",
            where=where,
        )


def _merge(workspace: Workspace, source: _Source, where: str, trust_unsigned: bool) -> MergeSummary:
    db = workspace.db
    found = merge_rows.incoming_studies(db)
    package = source.package
    if package is not None:
        names = {s.id: s.name for s in found}
        if not any(s.here for s in found if s.id == package.study_id):
            raise SessionError(
                f"is a session package of the study '{names.get(package.study_id, '?')}' "
                f"({package.study_id}), which this workspace does not have",
                where=where,
            )
        merged = [s for s in found if s.id == package.study_id]
    else:
        merged = [s for s in found if s.here]
        if not merged:
            theirs = ", ".join(f"'{s.name}'" for s in found) or "none"
            raise SessionError(
                f"shares no study with this workspace (its studies: {theirs})", where=where
            )
    _check_origin(workspace, source, where, trust_unsigned)
    scope = MergeScope(tuple(s.id for s in merged), package is not None)
    _check_scope(workspace, scope, package, where)
    summary = MergeSummary(
        source=where,
        package=package is not None,
        studies=tuple(s.name for s in merged),
        evaluators=(),
    )
    with merge_rows.transaction(db):
        try:
            came = merge_tables.take(db, scope, summary, source=where, merged_at=now())
        except RowRefused as e:
            raise SessionError(
                f"{_refusal(e.problem)} (row {e.row}); nothing was merged", where=where
            ) from None
        # Whose work came in: a package's evaluator's, always.
        ids = came | ({package.evaluator_id} if package is not None else set())
        summary.evaluators = tuple(e.name for e in people.evaluators(db) if e.id in ids)
    return summary


def _check_scope(
    workspace: Workspace, scope: MergeScope, package: PackageInfo | None, where: str
) -> None:
    """What must hold before a row is written: a package holds only its evaluator's work on
    its study; every item worked on is this workspace's, in the same study; every reference
    resolves here or among the rows merged with it."""
    db = workspace.db
    if package is not None:
        foreign = merge_rows.foreign_work(db, scope, package.evaluator_id)
        if foreign:
            counts = ", ".join(f"{n} in {table}" for table, n in foreign.items())
            raise SessionError(
                "holds rows that are not its evaluator's work on its study (a package holds "
                f"only that; edited by hand?): {counts}",
                where=where,
            )
        outside = merge_rows.outside_queue(db, scope, package.evaluator_id)
        if outside:
            counts = ", ".join(f"{n} in {table}" for table, n in outside.items())
            raise SessionError(
                "holds work on items the study does not give its evaluator (a package holds "
                f"only work on the evaluator's own queue; edited by hand?): {counts}",
                where=where,
            )
    unknown = merge_rows.unknown_items(db, scope)
    if unknown:
        raise SessionError(
            f"has work on {counted(len(unknown), 'item')} this workspace does not have in that "
            f"study (edited by hand, or written from another workspace?), e.g. item {unknown[0]}",
            where=where,
        )
    unresolved = merge_rows.unresolved_references(db, scope)
    if unresolved:
        table, ref = unresolved[0]
        raise SessionError(
            f"has {counted(len(unresolved), 'reference')} to rows neither it nor this "
            f"workspace holds, e.g. in {table} to {ref}",
            where=where,
        )


def _refusal(problem: RowProblem) -> str:
    """Why an incoming row cannot be taken, as the one line that refuses the file says it."""
    match problem:
        case TooLong(column, length, cap):
            return f"has {length:,} characters in {column} (at most {cap:,})"
        case InvalidTime(column, value):
            return f"has an invalid time {value!r} in {column}"
        case Unreadable(column):
            return f"has unreadable {column} data"
        case UnknownResponse():
            return (
                "holds responses from before it was written that this workspace does not "
                "have; merge it into the workspace it was written from"
            )
        case UnplannedCondition(shown, assigned):
            return (
                f"has a judgment made under the condition '{shown}' on an item the study "
                f"assigns '{assigned}' (edited by hand?)"
            )
        case WrongAnswer(why):
            return f"has an answer its study does not take ({why})"
        case WrongJudgment(why):
            return f"has a judgment its item does not take ({why})"
        case _:
            assert_never(problem)
