"""The demo study's ground truth holds: tests, flaw lines and flaw spans match the twins."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import pytest

from evalstudio.core.verification import PairVerdict, TestStatus
from evalstudio.services.sandbox.pair_tests import verify_pair_tests

Record = dict[str, Any]

TASKS = Path(__file__).resolve().parents[2] / "resources" / "demo" / "tasks.jsonl"


def load_records() -> list[Record]:
    with TASKS.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


RECORDS = load_records()


def load_pairs(kind: str) -> list[tuple[Record, Record]]:
    twins: dict[str, dict[str, Record]] = {}
    for record in RECORDS:
        if "pair_id" in record:
            twins.setdefault(record["pair_id"], {})[record["truth"]] = record
    return [(t["correct"], t["flawed"]) for t in twins.values() if t["correct"]["kind"] == kind]


CODE_PAIRS = load_pairs("code")
TEXT_PAIRS = load_pairs("text")
ALL_PAIRS = CODE_PAIRS + TEXT_PAIRS
CORRECT_TWIN = {flawed["id"]: correct for correct, flawed in ALL_PAIRS}
FLAWED = [record for record in RECORDS if record.get("truth") == "flawed"]


def pair_ids(pairs: list[tuple[Record, Record]]) -> list[str]:
    return [correct["pair_id"] for correct, _ in pairs]


def diff_blocks(correct: str, flawed: str) -> list[tuple[int, int, int, int]]:
    """Line ranges (i1, i2, j1, j2), 0-based, of the blocks where the twins differ."""
    matcher = difflib.SequenceMatcher(a=correct.splitlines(), b=flawed.splitlines(), autojunk=False)
    return [(i1, i2, j1, j2) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


@pytest.mark.parametrize(("correct", "flawed"), CODE_PAIRS, ids=pair_ids(CODE_PAIRS))
def test_every_code_pair_test_passes_on_the_correct_twin_and_fails_on_the_flawed_twin(
    correct: Record, flawed: Record
) -> None:
    sources = {record["test"] for record in (correct, flawed) if "test" in record}
    assert len(sources) == 1, "the pair needs one test source, identical on both twins"
    verification = verify_pair_tests(correct["candidate"], flawed["candidate"], sources.pop())
    assert verification.correct.status is TestStatus.PASSED, verification.correct.output
    assert verification.flawed.status is TestStatus.FAILED, verification.flawed.output
    assert verification.verdict is PairVerdict.VERIFIED


@pytest.mark.parametrize("flawed", FLAWED, ids=[record["id"] for record in FLAWED])
def test_flaw_lines_point_inside_the_flawed_candidate(flawed: Record) -> None:
    start, end = flawed["flaw_lines"]
    assert 1 <= start <= end <= len(flawed["candidate"].splitlines())
    if flawed["id"] not in CORRECT_TWIN:
        return
    for _, _, j1, j2 in diff_blocks(CORRECT_TWIN[flawed["id"]]["candidate"], flawed["candidate"]):
        if j2 > j1:
            assert start - 1 <= j1 and j2 <= end, (
                f"changed lines {j1 + 1}-{j2} outside {start}-{end}"
            )
        else:
            assert start - 1 <= j1 <= end, f"lines deleted after line {j1} outside {start}-{end}"


@pytest.mark.parametrize(("correct", "flawed"), TEXT_PAIRS, ids=pair_ids(TEXT_PAIRS))
def test_text_flaw_span_marks_a_phrase_absent_from_the_correct_twin(
    correct: Record, flawed: Record
) -> None:
    start, end = flawed["flaw_span"]
    assert 0 <= start < end <= len(flawed["candidate"])
    phrase = flawed["candidate"][start:end]
    assert phrase == phrase.strip() and phrase
    assert correct["candidate"][start:end] != phrase
    assert phrase not in correct["candidate"]
    line = flawed["candidate"].count("\n", 0, start) + 1
    assert flawed["flaw_lines"][0] <= line <= flawed["flaw_lines"][1]


@pytest.mark.parametrize(("correct", "flawed"), ALL_PAIRS, ids=pair_ids(ALL_PAIRS))
def test_twins_differ_only_a_little(correct: Record, flawed: Record) -> None:
    assert correct["prompt"] == flawed["prompt"] and correct["task_id"] == flawed["task_id"]
    blocks = diff_blocks(correct["candidate"], flawed["candidate"])
    changed = sum(max(i2 - i1, j2 - j1) for i1, i2, j1, j2 in blocks)
    assert 1 <= changed <= 3


def test_demo_has_at_least_ten_code_pairs_and_four_text_pairs() -> None:
    assert len(CODE_PAIRS) >= 10
    assert len(TEXT_PAIRS) >= 4


def test_gold_items_are_single_records_with_known_truth() -> None:
    gold = [record for record in RECORDS if record.get("gold")]
    assert {record["kind"] for record in gold} == {"code", "text"}
    assert all(
        "pair_id" not in record and record["truth"] in {"correct", "flawed"} for record in gold
    )


def test_record_ids_are_unique() -> None:
    ids = [record["id"] for record in RECORDS]
    assert len(ids) == len(set(ids))
