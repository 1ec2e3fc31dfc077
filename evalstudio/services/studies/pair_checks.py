"""Verifying perturbation pairs by their tests: in a task file, or a study's pairs (stored)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from evalstudio.core.model import Kind, Truth
from evalstudio.core.verification import PairVerification
from evalstudio.services.sandbox.pair_tests import verify_pair_tests
from evalstudio.services.studies.pair_authoring import read_records
from evalstudio.services.workspace.opening import Workspace, now
from evalstudio.store import content, pair_checks

Progress = Callable[[str], None]


def verify_file(
    path: Path, timeout_s: float = 10.0, on_pair: Progress | None = None
) -> dict[str, PairVerification]:
    """Pair id → verification for every code pair of the file that has a test."""
    twins: dict[str, dict[Truth, str]] = {}
    tests: dict[str, str] = {}
    for record in read_records(path):
        if record.pair_id is None or record.kind is not Kind.CODE or record.truth is None:
            continue
        twins.setdefault(record.pair_id, {})[record.truth] = record.candidate
        if record.test:
            tests[record.pair_id] = record.test
    found = {}
    for pair_id in sorted(tests):
        if on_pair is not None:
            on_pair(pair_id)
        both = twins[pair_id]
        found[pair_id] = verify_pair_tests(
            both[Truth.CORRECT], both[Truth.FLAWED], tests[pair_id], timeout_s=timeout_s
        )
    return found


def verify_study(
    workspace: Workspace, study_id: str, timeout_s: float = 10.0
) -> dict[str, PairVerification]:
    """Pair external id → verification for the study's pairs with a test; each is stored."""
    db = workspace.db
    candidates = {c.id: c for c in content.candidates_of_study(db, study_id)}
    found = {}
    for pair in content.pairs_of_study(db, study_id):
        if not pair.test:
            continue
        check = verify_pair_tests(
            candidates[pair.correct_id].text,
            candidates[pair.flawed_id].text,
            pair.test,
            timeout_s=timeout_s,
        )
        with db.atomic():
            pair_checks.record_check(db, pair.id, check, now())
        found[pair.external_id] = check
    return found
