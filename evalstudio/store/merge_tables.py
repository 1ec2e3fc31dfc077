"""How a merge takes the incoming rows in scope, table by table inside its transaction: by
stable key, a new row appended, an identical one counted, one under a known key with other
content kept apart in `merge_conflicts` and never written over the workspace's row, the newer
draft of an item winning. A row that cannot be taken raises RowRefused (core/session_merge.py)
and the caller's transaction rolls the whole merge back.

The statements are in merge_rows.py; what each cell must hold, in merge_checks.py.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlite_utils import Database

from evalstudio.core.comparison import DEFAULT_SCALE, CompareScale, Layout, ordering_problems
from evalstudio.core.errors import WorkspaceError
from evalstudio.core.ids import new_id
from evalstudio.core.review import Condition
from evalstudio.core.rubric import Question, answer_of_json
from evalstudio.core.session_merge import (
    MERGED_TABLES,
    Conflict,
    MergeScope,
    MergeSummary,
    UnknownResponse,
    UnplannedCondition,
    WrongAnswer,
    WrongJudgment,
)
from evalstudio.core.session_package import returned_condition
from evalstudio.store import content, designs, merge_rows, package_rows
from evalstudio.store.judgments import ordering_of
from evalstudio.store.merge_checks import check_row, refused, time_of

Row = dict[str, Any]


def take(
    db: Database, scope: MergeScope, summary: MergeSummary, *, source: str, merged_at: str
) -> set[str]:
    """Take the incoming rows into the workspace, counting into `summary`; conflicts are
    recorded as from `source` at `merged_at`. Returns the ids of the evaluators whose work came
    in."""
    merge = _Merge(db, scope, summary, source, merged_at)
    merge.run()
    return merge.whose()


class _Merge:
    """One merge inside its transaction."""

    def __init__(
        self, db: Database, scope: MergeScope, summary: MergeSummary, source: str, at: str
    ) -> None:
        self.db = db
        self.scope = scope
        self.summary = summary
        self.source = source
        self.at = at
        self.conflict_rows: list[Row] = []
        self.added: dict[str, list[Row]] = {}
        # Judgments of this file the workspace took (new) or had already (identical): only
        # under these may the file's flaws and retractions land. A judgment in conflict (its id
        # the workspace holds with other content, perhaps someone else's) takes its children
        # into conflict with it.
        self.judgments_new: set[str] = set()
        self.judgments_same: set[str] = set()
        self.incoming_judgments: dict[str, Row] = {}

    def run(self) -> None:
        assigned = merge_rows.assigned_conditions(self.db, self.scope)
        for table in MERGED_TABLES:
            rows = merge_rows.incoming_rows(self.db, table, self.scope)
            for row in rows:
                check_row(table, row)
            if table == "judgment_answers":
                self._check_answers(rows)
            if table == "judgment_orders":
                self._check_orders(rows)
            if table == "judgments":
                rows = [self._returned(row, assigned) for row in rows]
                self.incoming_judgments = {row["id"]: row for row in rows}
            if table == "drafts":
                self._drafts(rows)
            else:
                self._append_only(table, rows)
        self._drop_consumed_drafts()
        self._lower_frontiers()
        self.summary.conflicts_recorded = merge_rows.record_conflicts(self.db, self.conflict_rows)

    def whose(self) -> set[str]:
        return {
            r["evaluator_id"]
            for table in ("judgments", "review_events", "drafts", "assist_events")
            for r in self.added.get(table, [])
            if r["evaluator_id"]
        }

    def _append_only(self, table: str, rows: list[Row]) -> None:
        existing = merge_rows.existing_rows(self.db, table, self.scope)
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
            copied = table == "assist_events" and package_rows.is_display_copy(row)
            if not self._parent_taken(table, row, have):
                self._conflict(table, key, ("judgment_id",), row)
                counts.conflicts += 1
                continue
            if have is None:
                if copied:
                    raise refused(row, UnknownResponse())
                if table == "judgment_retractions" and row["judgment_id"] in retracted:
                    # The judgment is undone here already, by another retraction.
                    self._conflict(table, key, ("id",), row)
                    counts.conflicts += 1
                    continue
                new.append(row)
                continue
            # A package shows the workspace's own rows blinded: compare it with them so.
            theirs = package_rows.as_displayed(self.db, have) if copied else have
            if row == theirs:
                counts.unchanged += 1
            else:
                self._conflict(table, key, _differing(row, theirs), row)
                counts.conflicts += 1
        merge_rows.insert(self.db, table, new)
        counts.added += len(new)
        self.added[table] = new
        if table == "judgments":
            self.judgments_new = {r["id"] for r in new}
            self.judgments_same = {
                r["id"] for r in rows if existing.get(merge_rows.key_of(table, r)) == r
            }

    def _check_answers(self, rows: list[Row]) -> None:
        """Each answer must be one its judgment's study asks and takes, on a final judgment
        that is not a skip (the session writes no other): a package edited to answer an unknown
        key or to hold a value of another type would reach exports and the report as if an
        evaluator had given it."""
        study_of = merge_rows.answerable_judgments(self.db, [r["judgment_id"] for r in rows])
        asked: dict[tuple[str, str], dict[str, Question]] = {}
        for row in rows:
            found = study_of.get(row["judgment_id"])
            if found is None:
                raise refused(row, WrongAnswer("on a skip, a first verdict or no judgment"))
            if found not in asked:  # the study's questions of the item's layout
                study, layout = found
                design = designs.design_of(self.db, study)
                questions = design.questions if design else ()
                asked[found] = {q.key: q for q in questions if layout in q.layouts}
            question = asked[found].get(row["question_key"])
            if question is None:
                raise refused(row, WrongAnswer(f"no question '{row['question_key']}'"))
            try:
                answer_of_json(question, json.loads(row["value"]))
            except (ValueError, TypeError) as error:
                raise refused(row, WrongAnswer(str(error))) from None

    def _check_orders(self, rows: list[Row]) -> None:
        """Each judgment of the file must be one its item takes: a single item's a verdict
        or a skip; a compare or rank item's no verdict, and unless a skip, exactly one order
        of the item's answers that its study's scale takes (the session writes no other). The
        loosened check of m017 leaves this to the merge: a package edited to hold a verdict-
        less judgment of a single item would reach the report as a judgment without one."""
        orders = {row["judgment_id"]: row for row in rows}
        judgments = self.incoming_judgments
        items = merge_rows.judged_items(self.db, [j["study_item_id"] for j in judgments.values()])
        for row in rows:
            if row["judgment_id"] not in judgments:
                raise refused(row, WrongJudgment("an order without its judgment"))
        scales: dict[str, CompareScale] = {}
        for judgment in judgments.values():
            item = items.get(judgment["study_item_id"])
            if item is None:
                continue  # an unknown item is refused by the merge's own check
            skipped = judgment["skipped_reason"] is not None
            order = orders.get(judgment["id"])
            if item.layout is Layout.SINGLE:
                if judgment["verdict"] is None and not skipped:
                    raise refused(judgment, WrongJudgment("neither a verdict nor a skip"))
                if order is not None:
                    raise refused(order, WrongJudgment("an order on a single answer"))
                continue
            if judgment["verdict"] is not None:
                raise refused(judgment, WrongJudgment(f"a verdict on a {item.layout} item"))
            if skipped or order is None:
                if not skipped:
                    raise refused(judgment, WrongJudgment("no order of the answers"))
                if order is not None:
                    raise refused(order, WrongJudgment("an order on a skip"))
                continue
            if item.study_id not in scales:
                design = designs.design_of(self.db, item.study_id)
                scales[item.study_id] = design.compare_scale if design else DEFAULT_SCALE
            try:
                ordering = ordering_of(order["tiers"], order["strength"])
            except WorkspaceError as error:
                raise refused(order, WrongJudgment(str(error))) from None
            problems = ordering_problems(ordering, item.slots, item.layout, scales[item.study_id])
            if problems:
                raise refused(order, WrongJudgment("; ".join(problems)))

    def _parent_taken(self, table: str, row: Row, have: Row | None) -> bool:
        """Whether a flaw, answer or retraction may land: its judgment came in with this file, or —
        for a retraction, and for a flaw the workspace holds already — is the workspace's own
        identical copy of one of this file's judgments. A flaw added to a judgment made
        before is a changed judgment, which is never written."""
        if table == "judgment_retractions":
            return row["judgment_id"] in self.judgments_new | self.judgments_same
        if table in ("judgment_flaws", "judgment_answers", "judgment_orders"):
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
            elif key in judged and time_of(judged[key]) > time_of(row["saved_at"]):
                counts.older += 1
            elif have is None:
                merge_rows.insert(self.db, "drafts", [row])
                counts.added += 1
                self.added.setdefault("drafts", []).append(row)
            elif time_of(row["saved_at"]) > time_of(have["saved_at"]):
                merge_rows.replace_draft(self.db, row)
                counts.replaced += 1
                self.added.setdefault("drafts", []).append(row)
            elif time_of(row["saved_at"]) < time_of(have["saved_at"]):
                counts.older += 1
            else:
                self._conflict("drafts", key, _differing(row, have), row)
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
            if key in judged and time_of(draft["saved_at"]) < time_of(judged[key]):
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
        if self.scope.package:
            stored = returned_condition(shown, plan)
        else:
            stored = plan if shown == plan.value else None
        if stored is None:
            raise refused(row, UnplannedCondition(shown, plan.value))
        return {**row, "condition": stored.value}

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
                "source": self.source,
                "merged_at": self.at,
            }
        )


def _differing(incoming: Row, existing: Row) -> tuple[str, ...]:
    """The columns whose values differ between two versions of a row."""
    return tuple(name for name in incoming if incoming[name] != existing.get(name))
