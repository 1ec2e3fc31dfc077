"""A merge as the domain sees it: what it takes of a file, why it refuses a row, and what it
did (rows added, already there, in conflict, per table) and how to say it."""

from __future__ import annotations

from dataclasses import dataclass, field

from evalstudio.core.plurals import counted

# The tables a merge copies, in the order it writes them (each row's references come first).
MERGED_TABLES = (
    "evaluators",
    "assist_events",
    "judgments",
    "judgment_flaws",
    "judgment_answers",
    "judgment_orders",
    "judgment_retractions",
    "review_events",
    "drafts",
)

# The longest text a merged cell may hold, in characters. What people write (a rationale, a
# flaw's description, a name) fits in the first many times over; requests, responses and
# drafts carry a candidate and a conversation and get the second (which cells do:
# store/merge_checks.py). A file over either was made by hand, and would fill the workspace
# and every package written from it.
MAX_WRITTEN = 100_000
MAX_RECORDED = 4_000_000


@dataclass(frozen=True)
class IncomingStudy:
    """A study of the file given to merge, and whether this workspace has it."""

    id: str
    name: str
    here: bool


@dataclass(frozen=True)
class MergeScope:
    """What a merge takes of a file: the work on the items of these studies; of a session
    package, without its pre-generated responses (they are the owner's)."""

    studies: tuple[str, ...]
    package: bool


# Why a merge refuses an incoming row (and with it the whole file).


@dataclass(frozen=True)
class TooLong:
    column: str
    length: int
    cap: int


@dataclass(frozen=True)
class InvalidTime:
    column: str
    value: object


@dataclass(frozen=True)
class Unreadable:
    column: str  # JSON that does not read, or not as what it holds


@dataclass(frozen=True)
class UnknownResponse:
    """A package's copy of a response from before it was written that the workspace lacks."""


@dataclass(frozen=True)
class UnplannedCondition:
    shown: str
    assigned: str


@dataclass(frozen=True)
class WrongAnswer:
    """An answer to a rubric question its study does not ask, or a value it does not take."""

    why: str


@dataclass(frozen=True)
class WrongJudgment:
    """A judgment that is not one of its item: a verdict on a compare or rank item, neither a
    verdict nor a skip on a single one, an order missing, or one that is not an order of the
    item's answers as its study takes them."""

    why: str


RowProblem = (
    TooLong
    | InvalidTime
    | Unreadable
    | UnknownResponse
    | UnplannedCondition
    | WrongAnswer
    | WrongJudgment
)


class RowRefused(Exception):
    """An incoming row a merge cannot take, raised inside the merge's transaction (which it
    rolls back); the service says why."""

    def __init__(self, row: object, problem: RowProblem) -> None:
        super().__init__(row, problem)
        self.row = row  # its id, or what else names it (a message shows it as it is)
        self.problem = problem


@dataclass(frozen=True)
class Conflict:
    """A row whose key the workspace holds with other content: the incoming row is kept in
    `merge_conflicts`, the workspace's row stays as it is."""

    table: str
    key: str
    columns: tuple[str, ...]  # the columns that differ


@dataclass
class TableCounts:
    added: int = 0
    unchanged: int = 0  # the workspace had the row already, identical
    conflicts: int = 0
    replaced: int = 0  # drafts only: the incoming draft was newer
    older: int = 0  # drafts only: the workspace's draft was newer and stays


@dataclass
class MergeSummary:
    source: str
    package: bool  # a session package (else a workspace file)
    studies: tuple[str, ...]  # names of the studies whose work was merged
    evaluators: tuple[str, ...]  # whose work came in (a package's evaluator, always)
    tables: dict[str, TableCounts] = field(
        default_factory=lambda: {name: TableCounts() for name in MERGED_TABLES}
    )
    conflicts: list[Conflict] = field(default_factory=list)
    conflicts_recorded: int = 0  # conflicts new to `merge_conflicts` (0 when merged before)
    drafts_dropped: int = 0  # the workspace's drafts consumed by a judgment that came in

    @property
    def added(self) -> int:
        return sum(c.added + c.replaced for c in self.tables.values()) + self.drafts_dropped

    def lines(self) -> list[str]:
        """The summary as the CLI prints it and File > Merge shows it."""
        kind = "session package" if self.package else "workspace"
        who = f"work of {', '.join(self.evaluators)}" if self.evaluators else "no new work"
        head = f"Merged {self.source} ({kind}; {', '.join(self.studies)}; {who}):"
        lines = [head]
        for name, c in self.tables.items():
            parts = [f"{c.added} added", f"{c.unchanged} already here"]
            if c.replaced or c.older:
                parts.append(f"{c.replaced} replaced by a newer one, {c.older} older kept out")
            if c.conflicts:
                parts.append(f"{c.conflicts} in conflict")
            if c.added or c.unchanged or c.conflicts or c.replaced or c.older:
                lines.append(f"  {name}: {', '.join(parts)}")
        if self.drafts_dropped:
            lines.append(f"  drafts: {self.drafts_dropped} dropped (their item's judgment came in)")
        if self.conflicts:
            again = len(self.conflicts) - self.conflicts_recorded
            lines.append(
                f"  {counted(len(self.conflicts), 'conflict')}: same id, different content; the "
                "workspace's rows were kept, the incoming ones saved in merge_conflicts"
                + (f" ({again} from an earlier merge)" if again else "")
                + ":"
            )
            lines += [
                f"    {c.table} {c.key}: {', '.join(c.columns)} differ" for c in self.conflicts
            ]
        if not self.added and not self.conflicts_recorded:
            lines.append("  Nothing new: the workspace had all of it already.")
        return lines
