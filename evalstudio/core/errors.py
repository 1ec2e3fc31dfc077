"""The one error type shown to users: a message that says where and what."""

from __future__ import annotations

from dataclasses import dataclass


class EvalStudioError(Exception):
    """A problem the user can act on. The CLI shows it as a click error, the UI as a dialog."""

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class WorkspaceError(EvalStudioError):
    """The workspace file cannot be opened as it is (not ours, newer schema, unreadable)."""


class StorageError(EvalStudioError):
    """A write to the workspace failed (disk full, read-only file, held by another program);
    the transaction rolled back, so nothing of it was written."""


class SessionError(EvalStudioError):
    """A session package cannot be written, or a file cannot be merged: `where` names the file,
    the message says what is wrong, in one line; nothing was written."""

    def __init__(self, message: str, *, where: str | None = None) -> None:
        # The message may quote the file (an id, a name), which may hold line breaks.
        super().__init__(" ".join(message.splitlines()), where=where)


@dataclass(frozen=True)
class Problem:
    """One bad row or field of an input file: the line it starts on, the field, what is wrong."""

    line: int
    field: str | None
    message: str

    def describe(self, source: str) -> str:
        field = f" field '{self.field}':" if self.field else ""
        return f"{source}:{self.line}:{field} {self.message}"


class ImportRejected(EvalStudioError):
    """An import that wrote nothing because rows were bad; every bad row is listed."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(p.describe(source) for p in problems)
        rows = len({p.line for p in problems})
        super().__init__(
            f"nothing imported: {rows} bad row{'s' if rows != 1 else ''} "
            f"(use --skip-invalid to import the good ones)\n{lines}",
            where=source,
        )
