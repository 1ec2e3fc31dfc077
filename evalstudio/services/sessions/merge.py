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

import hashlib
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from evalstudio.core.errors import EvalStudioError, SessionError
from evalstudio.core.ids import new_id
from evalstudio.core.review import Condition, JudgmentForm
from evalstudio.core.session_merge import (
    MERGED_TABLES,
    Conflict,
    MergeSummary,
    differing_columns,
    text_cap,
)
from evalstudio.core.session_package import (
    FORMAT_VERSION,
    UNREADABLE,
    PackageInfo,
    Row,
    display_copy,
    is_display_copy,
    returned_condition,
)
from evalstudio.core.signing import package_token, same_secret
from evalstudio.io.session_files import copy_for_merge
from evalstudio.services.workspace.backups import take_backup
from evalstudio.services.workspace.opening import Workspace, now
from evalstudio.store import (
    content,
    merge_rows,
    package_info,
    people,
    schema_shape,
    session_source,
    workspace_settings,
)
from evalstudio.store.sql_errors import as_session_error

# Columns a merge reads as times (compared to decide which draft is newer) or as JSON.
_TIMES = {
    "evaluators": ("created_at",),
    "assist_events": ("requested_at",),
    "judgments": ("created_at",),
    "judgment_retractions": ("created_at",),
    "review_events": ("at",),
    "drafts": ("saved_at",),
}
_JSON = {"assist_events": ("messages", "params", "chat"), "drafts": ("form",)}


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
                    + (f", and {len(unlike) - 1} more difference(s)" if len(unlike) > 1 else ""),
                    where=where,
                )
            dangling = session_source.dangling_references(opened.db)
            if dangling:
                raise SessionError(
                    f"has {len(dangling)} row(s) pointing at rows it does not hold (edited by "
                    f"hand?), e.g. {dangling[0]}",
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
        names = {s["id"]: s["name"] for s in found}
        if not any(s["here"] for s in found if s["id"] == package.study_id):
            raise SessionError(
                f"is a session package of the study '{names.get(package.study_id, '?')}' "
                f"({package.study_id}), which this workspace does not have",
                where=where,
            )
        merged = [s for s in found if s["id"] == package.study_id]
    else:
        merged = [s for s in found if s["here"]]
        if not merged:
            theirs = ", ".join(f"'{s['name']}'" for s in found) or "none"
            raise SessionError(
                f"shares no study with this workspace (its studies: {theirs})", where=where
            )
    _check_origin(workspace, source, where, trust_unsigned)
    params = merge_rows.scope([s["id"] for s in merged], package is not None)
    _check_scope(workspace, params, package, where)
    summary = MergeSummary(
        source=where,
        package=package is not None,
        studies=tuple(s["name"] for s in merged),
        evaluators=(),
    )
    with merge_rows.transaction(db):
        _Merge(workspace, params, package, summary, where).run()
    return summary


def _check_scope(
    workspace: Workspace, params: dict[str, Any], package: PackageInfo | None, where: str
) -> None:
    """What must hold before a row is written: a package holds only its evaluator's work on
    its study; every item worked on is this workspace's, in the same study; every reference
    resolves here or among the rows merged with it."""
    db = workspace.db
    if package is not None:
        foreign = merge_rows.foreign_work(db, params, package.evaluator_id)
        if foreign:
            counts = ", ".join(f"{n} in {table}" for table, n in foreign.items())
            raise SessionError(
                "holds rows that are not its evaluator's work on its study (a package holds "
                f"only that; edited by hand?): {counts}",
                where=where,
            )
        outside = merge_rows.outside_queue(db, params, package.evaluator_id)
        if outside:
            counts = ", ".join(f"{n} in {table}" for table, n in outside.items())
            raise SessionError(
                "holds work on items the study does not give its evaluator (a package holds "
                f"only work on the evaluator's own queue; edited by hand?): {counts}",
                where=where,
            )
    unknown = merge_rows.unknown_items(db, params)
    if unknown:
        raise SessionError(
            f"has work on {len(unknown)} item(s) this workspace does not have in that study "
            f"(edited by hand, or written from another workspace?), e.g. item {unknown[0]}",
            where=where,
        )
    unresolved = merge_rows.unresolved_references(db, params)
    if unresolved:
        table, ref = unresolved[0]
        raise SessionError(
            f"has {len(unresolved)} reference(s) to rows neither it nor this workspace holds, "
            f"e.g. in {table} to {ref}",
            where=where,
        )


class _Merge:
    """One merge inside its transaction: table by table, new rows appended, identical ones
    counted, conflicts kept apart. Raises SessionError (the transaction rolls back) on a row
    that cannot be taken."""

    def __init__(
        self,
        workspace: Workspace,
        params: dict[str, Any],
        package: PackageInfo | None,
        summary: MergeSummary,
        where: str,
    ) -> None:
        self.db = workspace.db
        self.params = params
        self.package = package
        self.summary = summary
        self.where = where
        self.conflict_rows: list[Row] = []
        self.added: dict[str, list[Row]] = {}
        # Judgments of this file the workspace took (new) or had already (identical): only
        # under these may the file's flaws and retractions land. A judgment in conflict (its id
        # the workspace holds with other content, perhaps someone else's) takes its children
        # into conflict with it.
        self.judgments_new: set[str] = set()
        self.judgments_same: set[str] = set()

    def run(self) -> None:
        assigned = merge_rows.assigned_conditions(self.db, self.params)
        for table in MERGED_TABLES:
            rows = merge_rows.incoming_rows(self.db, table, self.params)
            for row in rows:
                self._check_row(table, row)
            if table == "judgments":
                rows = [self._returned(row, assigned) for row in rows]
            if table == "drafts":
                self._drafts(rows)
            else:
                self._append_only(table, rows)
        self._drop_consumed_drafts()
        self._lower_frontiers()
        self.summary.conflicts_recorded = merge_rows.record_conflicts(self.db, self.conflict_rows)
        self.summary.evaluators = self._whose()

    def _whose(self) -> tuple[str, ...]:
        """The names of the evaluators whose work came in (a package's: its evaluator)."""
        ids = {self.package.evaluator_id} if self.package is not None else set()
        for table in ("judgments", "review_events", "drafts", "assist_events"):
            ids |= {r["evaluator_id"] for r in self.added.get(table, []) if r["evaluator_id"]}
        return tuple(e.name for e in people.evaluators(self.db) if e.id in ids)

    def _append_only(self, table: str, rows: list[Row]) -> None:
        existing = merge_rows.existing_rows(self.db, table, self.params)
        retracted = (
            merge_rows.retracted(self.db, [r["judgment_id"] for r in rows])
            if table == "judgment_retractions"
            else set()
        )
        counts = self.summary.tables[table]
        new = []
        for row in rows:
            key = merge_rows.key_of(table, row)
            have = existing.get(key)
            copied = table == "assist_events" and is_display_copy(row)
            if not self._parent_taken(table, row, have):
                self._conflict(table, key, ("judgment_id",), row)
                counts.conflicts += 1
                continue
            if have is None:
                if copied:
                    raise self._refuse(
                        "holds responses from before it was written that this workspace does "
                        "not have; merge it into the workspace it was written from",
                        row,
                    )
                if table == "judgment_retractions" and row["judgment_id"] in retracted:
                    # The judgment is undone here already, by another retraction.
                    self._conflict(table, key, ("id",), row)
                    counts.conflicts += 1
                    continue
                new.append(row)
                continue
            # A package shows the workspace's own rows blinded: compare it with them so.
            theirs = display_copy(have, stamp="") if copied else have
            if row == theirs:
                counts.unchanged += 1
            else:
                self._conflict(table, key, differing_columns(row, theirs), row)
                counts.conflicts += 1
        merge_rows.insert(self.db, table, new)
        counts.added += len(new)
        self.added[table] = new
        if table == "judgments":
            self.judgments_new = {r["id"] for r in new}
            self.judgments_same = {
                r["id"] for r in rows if existing.get(merge_rows.key_of(table, r)) == r
            }

    def _parent_taken(self, table: str, row: Row, have: Row | None) -> bool:
        """Whether a flaw or retraction may land: its judgment came in with this file, or —
        for a retraction, and for a flaw the workspace holds already — is the workspace's own
        identical copy of one of this file's judgments. A flaw added to a judgment made
        before is a changed judgment, which is never written."""
        if table == "judgment_retractions":
            return row["judgment_id"] in self.judgments_new | self.judgments_same
        if table == "judgment_flaws":
            if row["judgment_id"] in self.judgments_new:
                return True
            return row["judgment_id"] in self.judgments_same and have is not None
        return True

    def _drafts(self, rows: list[Row]) -> None:
        """The newer draft of an item wins; one older than a judgment the evaluator has made
        on the item since was consumed by it and is not taken."""
        keys = [merge_rows.key_of("drafts", r) for r in rows]
        pairs = [(str(e), str(i)) for e, i in keys]
        existing = merge_rows.drafts_of(self.db, pairs)
        judged = merge_rows.newest_final_judgments(self.db, pairs)
        counts = self.summary.tables["drafts"]
        for row, key in zip(rows, keys, strict=True):
            have = existing.get(key)
            if have == row:
                counts.unchanged += 1
            elif key in judged and _time(judged[key]) > _time(row["saved_at"]):
                counts.older += 1
            elif have is None:
                merge_rows.insert(self.db, "drafts", [row])
                counts.added += 1
                self.added.setdefault("drafts", []).append(row)
            elif _time(row["saved_at"]) > _time(have["saved_at"]):
                merge_rows.replace_draft(self.db, row)
                counts.replaced += 1
                self.added.setdefault("drafts", []).append(row)
            elif _time(row["saved_at"]) < _time(have["saved_at"]):
                counts.older += 1
            else:
                self._conflict("drafts", key, differing_columns(row, have), row)
                counts.conflicts += 1

    def _drop_consumed_drafts(self) -> None:
        """The workspace's drafts older than a final judgment that came in: the submit that
        made the judgment consumed them (as it does in the app)."""
        finals = {
            (r["evaluator_id"], r["study_item_id"])
            for r in self.added.get("judgments", [])
            if r["stage"] == "final"
        }
        if not finals:
            return
        keys = sorted(finals)
        judged = merge_rows.newest_final_judgments(self.db, keys)
        for key, draft in merge_rows.drafts_of(self.db, keys).items():
            if key in judged and _time(draft["saved_at"]) < _time(judged[key]):
                merge_rows.drop_draft(self.db, *key)
                self.summary.drafts_dropped += 1

    def _lower_frontiers(self) -> None:
        """An undo that came in opens its item again: the evaluator's judging frontier (every
        item before it judged) moves back to it."""
        added = [r["id"] for r in self.added.get("judgment_retractions", [])]
        if added:
            for evaluator, study, position in merge_rows.retraction_positions(self.db, added):
                content.lower_frontier(self.db, evaluator, study, position)

    def _returned(self, row: Row, assigned: dict[tuple[str, str], str]) -> Row:
        """A judgment with the condition the study assigned its item: a package shows the
        misleading condition as assisted; anything else must match the plan."""
        shown = row["condition"]
        if shown is None:
            return row  # made before conditions were recorded
        plan = Condition(assigned.get((row["evaluator_id"], row["study_item_id"]), "assisted"))
        if self.package is not None:
            stored = returned_condition(shown, plan)
        else:
            stored = plan if shown == plan.value else None
        if stored is None:
            raise self._refuse(
                f"has a judgment made under the condition '{shown}' on an item the study "
                f"assigns '{plan.value}' (edited by hand?)",
                row,
            )
        return {**row, "condition": stored.value}

    def _check_row(self, table: str, row: Row) -> None:
        """Times must read as times, JSON as JSON, and no text longer than its cap: a row
        edited by hand into something else would mislead the merge (which draft is newer),
        break the app later, or fill the workspace."""
        for column, value in row.items():
            cap = text_cap(table, column)
            if isinstance(value, str | bytes) and len(value) > cap:
                problem = f"has {len(value):,} characters in {column} (at most {cap:,})"
                raise self._refuse(problem, row)
        for column in _TIMES.get(table, ()):
            try:
                _time(row[column])
            except (TypeError, ValueError):
                problem = f"has an invalid time {row[column]!r} in {column}"
                raise self._refuse(problem, row) from None
        for column in _JSON.get(table, ()):
            if row[column] is None:
                continue
            try:
                value = json.loads(row[column])
                if column == "form":
                    JudgmentForm.from_json(value)
            except UNREADABLE:
                raise self._refuse(f"has unreadable {column} data", row) from None

    def _conflict(
        self, table: str, key: tuple[Any, ...], columns: tuple[str, ...], row: Row
    ) -> None:
        text = json.dumps(row, sort_keys=True)
        row_key = json.dumps(list(key))
        self.summary.conflicts.append(Conflict(table, " / ".join(map(str, key)), columns))
        self.conflict_rows.append(
            {
                "id": new_id(),
                "table_name": table,
                "row_key": row_key,
                "columns": json.dumps(list(columns)),
                "row": text,
                "row_sha256": hashlib.sha256(text.encode()).hexdigest(),
                "source": self.where,
                "merged_at": now(),
            }
        )

    def _refuse(self, problem: str, row: Row) -> SessionError:
        ident = row.get("id") or row.get("judgment_id") or row.get("study_item_id")
        return SessionError(f"{problem} (row {ident}); nothing was merged", where=self.where)


def _time(value: Any) -> datetime:
    """A stored time (ISO 8601 with its UTC offset, as every row is written)."""
    if not isinstance(value, str):
        raise TypeError(value)
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(value)
    return moment
