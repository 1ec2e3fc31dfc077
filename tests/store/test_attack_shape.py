"""Attack (issue 17 §3): tell a misleading study's manipulated critiques from the honest ones by
their shape alone — number of points, mean and total length — as anyone holding session
packages could (a package hides which responses were manipulated, not their points).

The statistical test runs the real pipeline (study, pre-generation, prompts, schemas, parser)
on a stand-in model that writes what a model held to the schema writes: its own habit of
points and claim lengths, narrowed to what the schema allows. The shape a manipulated critique
gets is then the pipeline's doing alone. The bundled model is too slow on 2 cores for 300
critiques (seconds each), so it checks the schemas it is held to on a small sample instead.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from support.builders import pair, write_jsonl

from evalstudio.assist.backend import GenerationParams, Message, ModelInfo, Stream
from evalstudio.assist.critique import MAX_CLAIM, parse_critique, plan_schema
from evalstudio.assist.local_llama import LocalLlama
from evalstudio.core.assistance import AssistKind, Manipulation, Outcome
from evalstudio.core.misleading import HonestPoints, Misleading, MisleadingPlan
from evalstudio.core.model import LineRange, Verdict
from evalstudio.services.assistance.assistant import Assistant
from evalstudio.services.assistance.backends import ModelSettings
from evalstudio.services.models.pregen import pregenerate
from evalstudio.services.studies import studies
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.studies.setup import create_study
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import assist_log

pytestmark = pytest.mark.model  # real inference: the model is the subject

PAIRS = 100
# A model's own habit, by the verdict it reaches: how many points it lists.
HABIT = {"flawed": [1, 2, 2, 3, 3, 4, 5, 6], "acceptable": [0, 0, 0, 1, 1, 2]}


class ShapedModel:
    """A stand-in model: the verdict and number of points it would choose, narrowed to the
    schema (a verdict it may not give becomes the one it must; a number out of range the
    nearest allowed), a line the schema fixes where it fixes one, claims of 20 to 200
    characters whatever the request. Seeded by the request, so every run writes the same."""

    def info(self) -> ModelInfo:
        return ModelInfo("scripted", "shaped", None, 4096)

    def stream(self, messages: list[Message], params: GenerationParams) -> Stream:
        rng = random.Random(hashlib.sha256(json.dumps(messages).encode()).digest())
        schema = params.json_schema
        assert schema is not None
        allowed = schema["properties"]["verdict"]["enum"]
        verdict = rng.choice(["flawed", "flawed", "acceptable"])
        verdict = verdict if verdict in allowed else allowed[0]
        array = schema["properties"]["points"]
        count = min(max(rng.choice(HABIT[verdict]), array["minItems"]), array["maxItems"])
        shapes = array.get("prefixItems") or [array["items"]] * count
        points = []
        for shape in shapes[:count]:
            fixed = shape["properties"]["line_start"].get("enum")
            line = fixed[0] if fixed else rng.randint(1, 2)
            limit = shape["properties"]["claim"]["maxLength"]
            claim = ("this line does not do what the task asks " * 8)[: rng.randint(20, 200)]
            points.append(
                {
                    "line_start": line,
                    "line_end": line,
                    "severity": rng.choice(["minor", "major", "critical"]),
                    "claim": claim[:limit].strip(),
                }
            )
        stream = Stream(params.seed)
        stream.push(json.dumps({"points": points, "verdict": verdict}))
        stream.completion_tokens = 1
        stream.finish(Outcome.DONE)
        return stream

    def score(self, messages: list[Message], options: Sequence[str]) -> dict[str, float]:
        raise NotImplementedError

    def warm(self, variants: list[list[Message]]) -> Stream:
        stream = Stream()
        stream.finish(Outcome.DONE)
        return stream

    def close(self) -> None:
        pass


def _study(workspace: Workspace, folder: Path) -> str:
    """100 pairs, two evaluators, half of each one's items misleading, every response
    manipulated there: 200 honest critiques and about 100 manipulated ones."""
    records = []
    for n in range(PAIRS):
        records += pair(f"p{n}", prompt=f"Write add{n}(a, b).")
    write_jsonl(folder / "tasks.jsonl", records)
    (folder / "study.toml").write_text(
        'name = "Shape"\ntasks = "tasks.jsonl"\nseed = 3\nevaluators = ["Ada", "Bob"]\n'
        'conditions = ["assisted", "misleading"]\nmisleading_p = 1.0\npregenerated = true\n',
        encoding="utf-8",
    )
    create_study(workspace, folder / "study.toml")
    return studies.study_named(workspace, "Shape").id


def _shape(response: str) -> tuple[float, float, float]:
    points = parse_critique(response).points
    lengths = [len(p.claim) for p in points]
    return len(points), sum(lengths) / len(lengths) if lengths else 0.0, len(response)


def _best_balanced_accuracy(a: Sequence[float], b: Sequence[float]) -> float:
    """The balanced accuracy of the best rule "x >= t says a" or "x >= t says b": 1/2 plus
    half the largest gap between the two empirical distribution functions."""
    gap = max(
        abs(sum(x < t for x in a) / len(a) - sum(x < t for x in b) / len(b))
        for t in {*a, *b, math.inf}
    )
    return 0.5 + gap / 2


def _chance_tolerance(n: int, m: int) -> float:
    """How far above 1/2 the best threshold's balanced accuracy gets by chance alone: that gap
    is the two-sample Kolmogorov-Smirnov statistic, whose 0.1% critical value is
    1.95·sqrt((n + m) / (n·m)) (conservative for discrete values, as counts are)."""
    return 1.95 * math.sqrt((n + m) / (n * m)) / 2


@pytest.fixture
def shaped(workspace: Workspace) -> Iterator[Assistant]:
    helper = Assistant(workspace, ShapedModel(), ModelSettings(max_tokens=600))
    yield helper
    helper.stop_warming()


def test_manipulated_critiques_cannot_be_told_from_honest_ones_by_their_shape(
    shaped: Assistant, workspace: Workspace, tmp_path: Path
) -> None:
    study_id = _study(workspace, tmp_path)
    report = pregenerate(shaped, study_id, [AssistKind.CRITIQUE])
    assert report.failed == []
    rows = list(
        workspace.db.query(
            "SELECT response, manipulation FROM assist_events WHERE pregenerated = 1"
        )
    )
    honest = [r["response"] for r in rows if r["manipulation"] is None]
    manipulated = [r for r in rows if r["manipulation"] is not None]
    assert len(honest) == 2 * PAIRS and len(manipulated) >= 80
    assert {r["manipulation"] for r in manipulated} == {"pass", "flag"}
    groups = {
        "all": (honest, [r["response"] for r in manipulated]),
        # A reader sees the verdict too: a PASS must look like an honest "acceptable", a
        # FLAG like an honest "flawed".
        **{
            verdict.value: (
                [h for h in honest if parse_critique(h).verdict is verdict],
                [r["response"] for r in manipulated if r["manipulation"] == direction],
            )
            for verdict, direction in ((Verdict.ACCEPTABLE, "pass"), (Verdict.FLAWED, "flag"))
        },
    }
    for group, (plain, steered) in groups.items():
        tolerance = _chance_tolerance(len(plain), len(steered))
        plain_shapes = [_shape(text) for text in plain]
        steered_shapes = [_shape(text) for text in steered]
        for feature, name in enumerate(("point count", "mean point length", "total length")):
            accuracy = _best_balanced_accuracy(
                [s[feature] for s in plain_shapes], [s[feature] for s in steered_shapes]
            )
            assert accuracy <= 0.5 + tolerance, (
                f"{group}: the {name} tells manipulated critiques apart "
                f"(balanced accuracy {accuracy:.2f}, chance up to {0.5 + tolerance:.2f})"
            )


def test_the_best_threshold_finds_a_real_difference_and_tolerates_chance() -> None:
    """The classifier the attack uses is not blind: one point against several is found."""
    assert _best_balanced_accuracy([1] * 50, [3, 4] * 25) == 1.0
    rng = random.Random(7)
    same = [rng.randint(0, 6) for _ in range(300)]
    assert _best_balanced_accuracy(same[:200], same[200:]) <= 0.5 + _chance_tolerance(200, 100)


# --- the schemas --------------------------------------------------------------------------


def _points(schema: dict[str, Any]) -> dict[str, Any]:
    points: dict[str, Any] = schema["properties"]["points"]
    return points


def test_a_flag_schema_has_the_drawn_number_of_points_the_first_on_the_line() -> None:
    for count in range(1, 7):
        schema = plan_schema(MisleadingPlan(Manipulation.FLAG, 9, None, count))
        points = _points(schema)
        assert points["minItems"] == points["maxItems"] == count
        first, *others = points["prefixItems"]
        assert len(others) == count - 1 and "items" not in points
        assert first["properties"]["line_start"] == first["properties"]["line_end"] == {"enum": [9]}
        assert all(o["properties"]["line_start"] == {"type": "integer"} for o in others)
        assert schema["properties"]["verdict"] == {"enum": ["flawed"]}


def test_a_pass_schema_has_the_drawn_number_of_points_and_the_acceptable_verdict() -> None:
    for count in range(7):
        schema = plan_schema(MisleadingPlan(Manipulation.PASS, None, None, count))
        assert _points(schema)["minItems"] == _points(schema)["maxItems"] == count
        assert schema["properties"]["verdict"] == {"enum": ["acceptable"]}


def test_a_manipulated_point_is_the_honest_point_and_bounded_the_same() -> None:
    honest = _points(plan_schema(MisleadingPlan(None, None)))
    flag = _points(plan_schema(MisleadingPlan(Manipulation.FLAG, 2, None, 3)))
    pass_ = _points(plan_schema(MisleadingPlan(Manipulation.PASS, None, None, 2)))
    assert honest["minItems"] == 0 and honest["maxItems"] == 6
    assert pass_["items"] == honest["items"]
    assert flag["prefixItems"][1:] == [honest["items"]] * 2
    for claim in (p["properties"]["claim"] for p in [*flag["prefixItems"], pass_["items"]]):
        assert claim == {"type": "string", "minLength": 1, "maxLength": MAX_CLAIM}


def test_a_plan_without_its_number_of_points_or_line_is_refused() -> None:
    with pytest.raises(ValueError, match="number of points"):
        plan_schema(MisleadingPlan(Manipulation.PASS, None))
    with pytest.raises(ValueError, match="no line"):
        plan_schema(MisleadingPlan(Manipulation.FLAG, None, None, 2))


# --- the bundled model, held to them ------------------------------------------------------


@pytest.fixture
def greedy(workspace: Workspace, local_backend: LocalLlama) -> Iterator[Assistant]:
    helper = Assistant(workspace, local_backend, ModelSettings(temperature=0.0))
    yield helper
    helper.stop_warming()


@pytest.mark.parametrize(
    ("twin", "direction", "count"), [(0, Manipulation.FLAG, 2), (1, Manipulation.PASS, 1)]
)
def test_the_bundled_model_writes_the_drawn_number_of_points_in_the_forced_direction(
    greedy: Assistant,
    workspace: Workspace,
    tmp_path: Path,
    twin: int,
    direction: Manipulation,
    count: int,
) -> None:
    study = import_tasks(workspace, write_jsonl(tmp_path / "p.jsonl", pair("add")), "S").study
    item = studies.study_items(workspace, study.id)[twin].item_id
    honest = HonestPoints(flawed=(count,), acceptable=(count,))
    event = greedy.request(
        item,
        AssistKind.CRITIQUE,
        misleading=Misleading(p=1.0, seed="s", honest_points=honest),
        max_tokens=400,  # two claims of the longest the schema allows, and the JSON around
    ).wait()
    row = assist_log.event_row(workspace.db, event.id)
    assert row is not None and row["manipulation"] == direction.value
    assert event.outcome is Outcome.DONE, event.error
    critique = parse_critique(event.response)
    assert critique.structured, event.response
    assert len(critique.points) == count, event.response
    assert all(len(p.claim) <= MAX_CLAIM for p in critique.points)
    if direction is Manipulation.FLAG:
        assert critique.verdict is Verdict.FLAWED
        (line,) = _points(row["params"]["json_schema"])["prefixItems"][0]["properties"][
            "line_start"
        ]["enum"]
        assert critique.points[0].lines == LineRange(line, line)
    else:
        assert critique.verdict is Verdict.ACCEPTABLE
