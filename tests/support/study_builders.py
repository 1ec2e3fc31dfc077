"""Builders of whole studies for tests: defined from a study file, created through the real
services, so what a test judges is what an evaluator would see."""

from __future__ import annotations

from pathlib import Path

from evalstudio.core.model import Study, Truth
from evalstudio.services.studies import studies
from evalstudio.services.studies.setup import create_study
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import content
from support.builders import pair, write_jsonl


def two_evaluator_study(
    workspace: Workspace, tmp_path: Path, name: str, pairs: int, seed: int, options: str
) -> tuple[Study, dict[str, bool]]:
    """A study of `pairs` perturbation pairs for Ada and Bob, defined with the extra TOML
    `options`; returns it and whether each of its items is the flawed twin."""
    records = [r for n in range(pairs) for r in pair(f"p{n}", prompt=f"Write add{n}.")]
    write_jsonl(tmp_path / "tasks.jsonl", records)
    (tmp_path / "study.toml").write_text(
        f'name = "{name}"\ntasks = "tasks.jsonl"\nseed = {seed}\n'
        f'evaluators = ["Ada", "Bob"]\n{options}',
        encoding="utf-8",
    )
    create_study(workspace, tmp_path / "study.toml")
    study = studies.study_named(workspace, name)
    truths = {c.id: c.truth for c in content.candidates_of_study(workspace.db, study.id)}
    items = content.item_ids_by_candidate(workspace.db, study.id)
    return study, {item: truths[candidate] is Truth.FLAWED for candidate, item in items.items()}
