"""What a merge did: rows added, already there, in conflict, per table; and how to say it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The tables a merge copies, in the order it writes them (each row's references come first).
MERGED_TABLES = (
    "evaluators",
    "assist_events",
    "judgments",
    "judgment_flaws",
    "judgment_retractions",
    "review_events",
    "drafts",
)

# The longest text a merged cell may hold, in characters. What people write (a rationale, a
# flaw's description, a name) fits in the first many times over; requests, responses and
# drafts carry a candidate and a conversation and get the second. A file over either was made
# by hand, and would fill the workspace and every package written from it.
MAX_WRITTEN = 100_000
MAX_RECORDED = 4_000_000
_RECORDED = {
    "assist_events": ("messages", "response", "chat", "params", "error"),
    "drafts": ("form",),
}


def text_cap(table: str, column: str) -> int:
    return MAX_RECORDED if column in _RECORDED.get(table, ()) else MAX_WRITTEN


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
                f"  {len(self.conflicts)} conflict(s): same id, different content; the "
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


def differing_columns(incoming: dict[str, Any], existing: dict[str, Any]) -> tuple[str, ...]:
    """The columns whose values differ between two versions of a row."""
    return tuple(name for name in incoming if incoming[name] != existing.get(name))
