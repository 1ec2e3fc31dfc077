"""Any file content gives an import report or a named refusal, never a crash or a half write."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalstudio.core.errors import EvalStudioError, ImportRejected
from evalstudio.core.task_records import ALL_FIELDS
from evalstudio.services.importing import import_tasks
from evalstudio.services.workspace import Workspace

_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 50),
    st.text(max_size=30),
    st.lists(st.integers(-2, 40), max_size=3),
    st.sampled_from(["code", "text", "correct", "flawed", "major", "3-5", "p1", "p2"]),
)
_records = st.dictionaries(st.sampled_from([*ALL_FIELDS, "extra"]), _values, max_size=10)
_SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _counts(ws: Workspace) -> tuple[int, ...]:
    return tuple(
        ws.db.table(t).count for t in ("studies", "tasks", "candidates", "pairs", "study_items")
    )


def _import(ws: Workspace, path: Path) -> None:
    before = _counts(ws)
    try:
        report = import_tasks(ws, path, "Fuzz", skip_invalid=False)
    except ImportRejected as e:
        assert e.problems and all(p.line >= 1 for p in e.problems)
        assert _counts(ws) == before
    except EvalStudioError as e:
        assert e.where == str(path)
        assert _counts(ws) == before
    else:
        assert _counts(ws)[4] == before[4] + report.items


@_SETTINGS
@given(records=st.lists(_records, min_size=1, max_size=6))
def test_any_jsonl_records_are_imported_or_refused_by_line(
    workspace: Workspace, records: list[dict[str, object]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
        _import(workspace, path)


@_SETTINGS
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".jsonl", ".csv"]))
def test_any_bytes_are_imported_or_refused_by_line(
    workspace: Workspace, data: bytes, suffix: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"t{suffix}"
        path.write_bytes(b"id,prompt,candidate,kind\n" + data if suffix == ".csv" else data)
        _import(workspace, path)
