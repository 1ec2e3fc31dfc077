"""Turns checked records into the tasks, candidates, pairs and items one import adds to a study."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from evalstudio.core.comparison import Layout
from evalstudio.core.errors import Problem
from evalstudio.core.ids import derived_id
from evalstudio.core.model import Candidate, Pair, StudyItem, Task, Truth
from evalstudio.core.plurals import counted
from evalstudio.core.task_records import BadRecord, TaskRecord, revealing_words

# What records of one task must agree on: (attribute, the record's field that gives it).
_TASK_FIELDS = (
    ("prompt", "prompt"),
    ("conversation", "messages"),
    ("kind", "kind"),
    ("language", "language"),
    ("reference", "reference"),
)
# How many of the records a naming warning quotes; the rest are counted.
_QUOTED = 5


@dataclass
class ImportPlan:
    """What one import adds, the problems of the rows it leaves out, and warnings about rows
    it adds (record ids that name their item's truth)."""

    tasks: list[Task] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    pairs: list[Pair] = field(default_factory=list)
    items: list[StudyItem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def plan_import(
    study_id: str,
    rows: Iterable[TaskRecord | BadRecord],
    *,
    existing_ids: set[str],
    existing_tasks: dict[str, Task],
    existing_pair_ids: set[str],
    first_position: int,
    secret: str | None = None,
    pairs_as: Layout = Layout.SINGLE,
) -> ImportPlan:
    """Check the rows against each other and the study; build what the good ones add, their
    ids derived under the study's `secret` (core/ids.py; None for a study from before).

    A pair is kept or dropped whole: if one twin is bad, the other is dropped too, so a study
    never holds half a pair. With `pairs_as` COMPARE a pair is one compare item (its pair id
    names it; slot 0 the correct twin), not two single items.
    """
    plan = ImportPlan()
    records: list[TaskRecord] = []
    bad_twin_line: dict[str, int] = {}
    for row in rows:
        if isinstance(row, BadRecord):
            plan.problems.extend(row.problems)
            if row.pair_id is not None:
                bad_twin_line.setdefault(row.pair_id, row.line)
        else:
            records.append(row)
    bad: dict[int, list[Problem]] = defaultdict(list)
    for problem in _duplicate_ids(records, existing_ids, pairs_as) + _task_conflicts(
        records, existing_tasks
    ):
        bad[problem.line].append(problem)
    twins = _pairs(records, bad, existing_pair_ids, bad_twin_line)
    for pair_id, group in twins.items():
        twin = next((r.line for r in group if r.line in bad), bad_twin_line.get(pair_id))
        for record in group:
            if twin is not None and record.line not in bad:
                bad[record.line].append(
                    Problem(record.line, "pair_id", f"left out: its twin on line {twin} is bad")
                )
    for problems in bad.values():
        plan.problems.extend(problems)
    plan.problems.sort(key=lambda p: p.line)
    good = [r for r in records if r.line not in bad]
    _build(plan, study_id, secret, good, twins, set(existing_tasks), first_position, pairs_as)
    plan.warnings = [w for r in good if (w := _naming(r)) is not None]
    return plan


def _naming(record: TaskRecord) -> Problem | None:
    """A warning if the record's id, or the task id it gives, names its truth ("mean-bug")."""
    for name, value in (("id", record.id), ("task_id", record.task_key)):
        if name == "task_id" and not record.task_key_given:
            continue  # no task id given: the task is its prompt or conversation, which is prose
        words = revealing_words(value)
        if words:
            said = ", ".join(f"'{w}'" for w in words)
            return Problem(record.line, name, f"'{value}' says {said}")
    return None


def naming_warning(warnings: list[Problem]) -> str | None:
    """One paragraph about an import's record ids that name the truth, for its report."""
    if not warnings:
        return None
    quoted = "; ".join(f"line {w.line} {w.message}" for w in warnings[:_QUOTED])
    more = f"; and {len(warnings) - _QUOTED} more" if len(warnings) > _QUOTED else ""
    return (
        f"warning: {counted(len(warnings), 'record id')} "
        f"name{'s' if len(warnings) == 1 else ''} their item's truth ({quoted}{more}). "
        "Session packages never carry record ids, but your exports, reports and task file "
        "do: ids that say nothing of the truth (binsearch-a / binsearch-b, either twin "
        "either letter) keep the answer key out of them. Imported all the same."
    )


def _duplicate_ids(
    records: list[TaskRecord], existing_ids: set[str], pairs_as: Layout
) -> list[Problem]:
    """Record ids, the ids of a record's candidates and (pairs shown as compare items) pair
    ids name items and candidates: each once in the study."""
    problems: list[Problem] = []
    first_line: dict[str, int] = {}
    for r in records:
        named = [("id", r.id)] + [("candidates", side) for side, _ in r.sides]
        if pairs_as is Layout.COMPARE and r.pair_id is not None and r.truth is Truth.CORRECT:
            named.append(("pair_id", r.pair_id))  # its compare item's name
        for field_name, name in named:
            if name in existing_ids:
                problems.append(Problem(r.line, field_name, f"'{name}' is already in this study"))
            elif name in first_line:
                problems.append(
                    Problem(
                        r.line,
                        field_name,
                        f"duplicate id '{name}' (first on line {first_line[name]})",
                    )
                )
            else:
                first_line[name] = r.line
    return problems


def _task_conflicts(records: list[TaskRecord], existing: dict[str, Task]) -> list[Problem]:
    """Records of one task must agree on what the task is, with each other and the study."""
    problems: list[Problem] = []
    first: dict[str, TaskRecord] = {}
    for r in records:
        seen = first.setdefault(r.task_key, r)
        stored = existing.get(r.task_key)
        # The conversation comes from the record's `messages`, and is reported under it.
        for name, given in _TASK_FIELDS:
            if stored is not None and getattr(r, name) != getattr(stored, name):
                task = (
                    f"task '{r.task_key}'"
                    if r.conversation is None or r.task_key_given
                    else "the task of the same conversation"
                )
                problems.append(Problem(r.line, given, f"differs from {task} already in the study"))
            elif getattr(r, name) != getattr(seen, name):
                problems.append(
                    Problem(
                        r.line, given, f"differs from line {seen.line}, which has the same task"
                    )
                )
    return problems


def _pairs(
    records: list[TaskRecord],
    bad: dict[int, list[Problem]],
    existing_pair_ids: set[str],
    bad_twin_line: dict[str, int],
) -> dict[str, list[TaskRecord]]:
    groups: dict[str, list[TaskRecord]] = defaultdict(list)
    for r in records:
        if r.pair_id is not None:
            groups[r.pair_id].append(r)
    for pair_id, group in groups.items():
        if pair_id in bad_twin_line:
            continue  # the bad twin's own problems say what is wrong
        message = (
            "is already in this study" if pair_id in existing_pair_ids else _pair_problem(group)
        )
        if message:
            for r in group:
                bad[r.line].append(Problem(r.line, "pair_id", f"pair '{pair_id}': {message}"))
    return groups


def _pair_problem(group: list[TaskRecord]) -> str | None:
    lines = ", ".join(str(r.line) for r in group)
    if len(group) != 2:
        return f"has {counted(len(group), 'record')} (lines {lines}); a pair is exactly two twins"
    truths = {r.truth for r in group}
    if truths != {Truth.CORRECT, Truth.FLAWED}:
        return f"needs one truth=correct and one truth=flawed twin (lines {lines})"
    if group[0].task_key != group[1].task_key:
        return f"twins answer different tasks (lines {lines})"
    tests = {r.test for r in group if r.test is not None}
    if len(tests) > 1:
        return f"twins carry different tests (lines {lines})"
    return None


def _build(
    plan: ImportPlan,
    study_id: str,
    secret: str | None,
    records: list[TaskRecord],
    twins: dict[str, list[TaskRecord]],
    existing_task_keys: set[str],
    first_position: int,
    pairs_as: Layout,
) -> None:
    def derived(*parts: str) -> str:
        return derived_id(study_id, *parts, secret=secret)

    def add_item(name: str, slots: tuple[str, ...]) -> None:
        plan.items.append(
            StudyItem(
                derived("item", name),
                study_id,
                slots[0],
                first_position + len(plan.items),
                name,
                Layout.for_sides(len(slots)),
                slots if len(slots) > 1 else (),
            )
        )

    kept = {r.line for r in records}
    # A pair shown as one compare item: its item takes the place of its first twin.
    compared = {
        pair_id: group
        for pair_id, group in twins.items()
        if pairs_as is Layout.COMPARE and all(r.line in kept for r in group)
    }
    tasks: dict[str, str] = {}
    for r in records:
        task_id = derived("task", r.task_key)
        if r.task_key not in tasks and r.task_key not in existing_task_keys:
            plan.tasks.append(
                Task(
                    task_id,
                    study_id,
                    r.task_key,
                    r.prompt,
                    r.kind,
                    r.language,
                    r.reference,
                    r.conversation,
                )
            )
        tasks[r.task_key] = task_id
        if r.sides:
            slots = tuple(derived("candidate", side) for side, _ in r.sides)
            plan.candidates.extend(
                Candidate(cid, task_id, side, text, None, None, False)
                for cid, (side, text) in zip(slots, r.sides, strict=True)
            )
            add_item(r.id, slots)
            continue
        candidate_id = derived("candidate", r.id)
        plan.candidates.append(
            Candidate(candidate_id, task_id, r.id, r.candidate, r.truth, r.flaw, r.gold)
        )
        pair_id = r.pair_id
        if pair_id is None or pair_id not in compared:
            add_item(r.id, (candidate_id,))
        elif r is compared[pair_id][0]:
            correct = next(t for t in compared[pair_id] if t.truth is Truth.CORRECT)
            flawed = next(t for t in compared[pair_id] if t.truth is Truth.FLAWED)
            add_item(pair_id, (derived("candidate", correct.id), derived("candidate", flawed.id)))
    for pair_id, group in twins.items():
        if not all(r.line in kept for r in group):
            continue
        correct = next(r for r in group if r.truth is Truth.CORRECT)
        flawed = next(r for r in group if r.truth is Truth.FLAWED)
        plan.pairs.append(
            Pair(
                derived("pair", pair_id),
                tasks[correct.task_key],
                pair_id,
                derived("candidate", correct.id),
                derived("candidate", flawed.id),
                correct.test or flawed.test,
            )
        )
