"""The report's numbers from a study run through the real store: scripted evaluators whose
catches are known, then every rate and the effect checked against hand counts."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from statistics import NormalDist

import pytest
from click.testing import CliRunner
from PySide6.QtCore import QUrl
from PySide6.QtGui import QTextDocument
from pytestqt.qtbot import QtBot
from support.builders import pair, write_jsonl
from support.study_builders import two_evaluator_study
from support.windows import open_main_window

from evalstudio.assist.local_llama import LocalLlama
from evalstudio.cli.main import main
from evalstudio.core.analysis.effect import Outcomes, cluster_robust
from evalstudio.core.model import LineRange, Severity, Verdict
from evalstudio.core.review import Condition, JudgmentForm, PointMark, ReportedFlaw, Stage
from evalstudio.services.report.study_report import build_report
from evalstudio.services.review.session import ReviewSession
from evalstudio.services.studies import studies
from evalstudio.services.studies.scores import study_scores
from evalstudio.services.studies.setup import create_study
from evalstudio.services.workspace import evaluators
from evalstudio.services.workspace.opening import Workspace
from evalstudio.store import assist_log, content
from evalstudio.ui.report_view import figure_resource

NAMES = ["Ada", "Bob", "Cy", "Di", "Ed", "Flo"]
AT_PLANT = ReportedFlaw(Severity.MAJOR, "subtracts", lines=LineRange(2, 2))


def _run_study(
    workspace: Workspace, tmp_path: Path, commit_first: bool = False
) -> tuple[str, Counter[tuple[str, str, bool]]]:
    """Six evaluators; assisted judgments catch every planted flaw, unassisted ones only on
    pairs 0-3 (of 10); everyone calls a correct twin flawed on pair 9 only. Returns the study
    and the hand count of (condition, twin, said flawed)."""
    records = [r for n in range(10) for r in pair(f"p{n}", prompt=f"Write add{n}.")]
    write_jsonl(tmp_path / "tasks.jsonl", records)
    (tmp_path / "study.toml").write_text(
        'name = "R"\ntasks = "tasks.jsonl"\nseed = 3\n'
        f"evaluators = {json.dumps(NAMES)}\n"
        f"commit_before_reveal = {'true' if commit_first else 'false'}\n",
        encoding="utf-8",
    )
    create_study(workspace, tmp_path / "study.toml")
    study = studies.study_named(workspace, "R")
    truth = {c.id: c for c in content.candidates_of_study(workspace.db, study.id)}
    items = content.item_ids_by_candidate(workspace.db, study.id)
    item_to_candidate = {item: candidate for candidate, item in items.items()}
    counts: Counter[tuple[str, str, bool]] = Counter()
    for evaluator in evaluators.list_evaluators(workspace):
        session = ReviewSession(workspace, study, evaluator)
        for entry in session.queue:
            candidate = truth[item_to_candidate[entry.item.item_id]]
            pair_no = int(candidate.external_id[1:].split("-")[0])
            assisted = entry.condition is Condition.ASSISTED
            if candidate.truth.value == "flawed":
                says_flawed = assisted or pair_no < 4
            else:
                says_flawed = pair_no == 9
            verdict = Verdict.FLAWED if says_flawed else Verdict.ACCEPTABLE
            flaws = (AT_PLANT,) if says_flawed else ()
            item = entry.item.item_id
            if session.first_verdict_needed(entry):
                session.submit(item, Stage.FIRST, JudgmentForm(Verdict.ACCEPTABLE, None, 3))
            session.submit(item, Stage.FINAL, JudgmentForm(verdict, 4, 3, flaws))
            counts[(entry.condition.value, candidate.truth.value, says_flawed)] += 1
    return study.id, counts


def test_rates_and_the_effect_match_hand_counts(workspace: Workspace, tmp_path: Path) -> None:
    _, counts = _run_study(workspace, tmp_path)
    report = build_report(workspace, "R")
    for condition in ("assisted", "unassisted"):
        rates = report.conditions[condition]
        caught, missed = counts[(condition, "flawed", True)], counts[(condition, "flawed", False)]
        alarms, passes = counts[(condition, "correct", True)], counts[(condition, "correct", False)]
        assert (rates.catches, rates.flawed_judged) == (caught, caught + missed)
        assert rates.detection_rate == pytest.approx(caught / (caught + missed))
        assert rates.false_alarm_rate == pytest.approx(alarms / (alarms + passes))
        total = caught + missed + alarms + passes
        assert rates.accuracy == pytest.approx((caught + passes) / total)
        assert rates.judgments == total
        # Every "flawed" verdict named the plant, so sensitivity is the detection rate here.
        assert rates.sensitivity == pytest.approx(caught / (caught + missed))
        assert rates.specificity == pytest.approx(passes / (alarms + passes))
        z = NormalDist().inv_cdf
        hit, alarm = (caught + 0.5) / (caught + missed + 1), (alarms + 0.5) / (alarms + passes + 1)
        assert rates.d_prime == pytest.approx(z(hit) - z(alarm))
        # Every judgment said confidence 3 (75%): one point on the reliability curve.
        (level,) = rates.calibration
        assert (level.confidence, level.stated, level.judged) == (3, 0.75, total)
        assert level.right_share == pytest.approx(rates.accuracy)
        assert rates.brier == pytest.approx(
            ((caught + passes) * 0.25**2 + (missed + alarms) * 0.75**2) / total
        )
        assert rates.unplanted_flaws == alarms  # the flaw reported on each false alarm
    assisted, unassisted = report.conditions["assisted"], report.conditions["unassisted"]
    assert assisted.detection_rate == 1.0 and 0 < unassisted.detection_rate < 1
    # The splits add up to the conditions they split.
    assert len(report.by_evaluator) == 2 * len(NAMES)
    for condition, rates in report.conditions.items():
        parts = [r for k, r in report.by_evaluator.items() if k.startswith(f"{condition} / ")]
        assert sum(r.judgments for r in parts) == rates.judgments
        assert sum(r.catches for r in parts) == rates.catches
        assert report.by_kind[f"{condition} / code"] == rates  # every answer here is code
        major = report.by_severity[f"{condition} / major"]  # every planted flaw is major
        assert (major.flawed_judged, major.catches) == (rates.flawed_judged, rates.catches)
    (effect,) = report.effects
    assert effect.treated == "assisted" and effect.control == "unassisted"
    assert effect.effect.difference == pytest.approx(1.0 - unassisted.detection_rate)
    assert effect.effect.difference_ci is not None and effect.effect.difference_ci.low > 0
    assert effect.p_value < 0.05
    assert report.reveal == {} and report.gold is None
    assert report.usage["assisted"].items_with_help == 0  # nobody asked for help here


def test_the_effect_is_the_analysis_of_the_same_judgments(
    workspace: Workspace, tmp_path: Path
) -> None:
    study_id, _ = _run_study(workspace, tmp_path)
    rows = [s for s in study_scores(workspace, study_id) if s.truth and s.truth.value == "flawed"]
    outcomes = Outcomes.of(
        [s.judgment.evaluator_id for s in rows],
        [s.judgment.study_item_id for s in rows],
        [s.judgment.condition is Condition.ASSISTED for s in rows],
        [s.scored.score.value == "catch" for s in rows],
    )
    found, expected = build_report(workspace, "R").effects[0].effect, cluster_robust(outcomes)
    assert found.difference_ci is not None and expected.difference_ci is not None
    assert (found.rate_treated, found.rate_control) == (
        expected.rate_treated,
        expected.rate_control,
    )
    assert found.difference_ci.low == pytest.approx(expected.difference_ci.low)
    assert found.difference_ci.high == pytest.approx(expected.difference_ci.high)


def test_change_after_reveal_counts_moves_toward_and_away_from_the_truth(
    workspace: Workspace, tmp_path: Path
) -> None:
    _, counts = _run_study(workspace, tmp_path, commit_first=True)
    (condition, reveal), *others = build_report(workspace, "R").reveal.items()
    assert condition == "assisted" and not others  # unassisted items take no first verdict
    # First verdicts were all "acceptable": every final "flawed" on a flawed twin moved toward
    # the truth, every final "flawed" on a correct twin (pair 9) away from it, the other
    # correct twins kept a right verdict.
    assert reveal.toward_truth == counts[("assisted", "flawed", True)] > 0
    assert reveal.away_from_truth == counts[("assisted", "correct", True)] > 0
    assert reveal.stayed_right == counts[("assisted", "correct", False)] > 0
    assert reveal.stayed_wrong == 0
    assert reveal.judged_twice == sum(n for key, n in counts.items() if key[0] == "assisted")


def test_report_json_holds_every_number_with_a_format_version(
    workspace: Workspace, workspace_path: Path, tmp_path: Path
) -> None:
    _run_study(workspace, tmp_path)
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        main, ["--db", str(workspace_path), "report", "--study", "R", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "assisted vs unassisted: detection 100% vs" in result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["format_version"] == 1
    assert data["verdict_alpha"] is not None and -1 <= data["verdict_alpha"] <= 1
    assert data["conditions"]["assisted"]["brier"] is not None
    assert data["effects"][0]["conservative"]["method"] == "two-way bootstrap (conservative)"
    assert data["conditions"]["assisted"]["detection_rate"] == 1.0
    assert data["effects"][0]["effect"]["difference_ci"]["low"] > 0
    # Unassisted catches fall on pairs 0-3 only: enough bootstrap resamples draw none of them
    # (R = +inf) that R's conservative upper limit is unbounded, which JSON writes as null.
    conservative = build_report(workspace, "R").effects[0].conservative.ratio_ci
    assert conservative is not None and conservative.high == math.inf
    assert data["effects"][0]["conservative"]["ratio_ci"] == {
        "low": pytest.approx(conservative.low),
        "high": None,
    }


def test_the_html_report_is_one_offline_file_with_the_json_s_numbers(
    workspace: Workspace, workspace_path: Path, tmp_path: Path
) -> None:
    _run_study(workspace, tmp_path)
    page, numbers = tmp_path / "report.html", tmp_path / "report.json"
    args = ["--db", str(workspace_path), "report", "--study", "R"]
    result = CliRunner().invoke(main, [*args, "--html", str(page), "--json", str(numbers)])
    assert result.exit_code == 0, result.output
    text = page.read_text(encoding="utf-8")
    data = json.loads(numbers.read_text(encoding="utf-8"))
    assert text.count("data:image/png;base64,") == 3  # rates, time, per evaluator: inside
    assert "src='http" not in text and 'src="http' not in text and "<script" not in text
    assert "default-src 'none'" in text  # and the page may fetch nothing
    for name, rates in data["conditions"].items():
        assert f"<td class='name'>{name}</td><td>{rates['judgments']}</td>" in text
        assert f"<td>{rates['detection_rate']:.0%}</td>" in text
    effect = data["effects"][0]["effect"]
    assert f"<td>{effect['difference']:+.1%}</td>" in text
    assert effect["difference_ci"]["high"] <= 1.0  # a difference of rates is at most 100%
    r_low = data["effects"][0]["conservative"]["ratio_ci"]["low"]  # its high: null, unbounded
    assert f"<td>{r_low:.2f} to ∞</td>" in text


def test_the_command_needs_somewhere_to_write(workspace_path: Path) -> None:
    result = CliRunner().invoke(main, ["--db", str(workspace_path), "report", "--study", "R"])
    assert result.exit_code != 0 and "--json FILE, --html FILE, or both" in result.output


def test_the_in_app_report_shows_the_json_s_numbers(
    qtbot: QtBot, workspace: Workspace, tmp_path: Path, local_backend: LocalLlama
) -> None:
    _run_study(workspace, tmp_path)
    data = build_report(workspace, "R").to_json()
    with open_main_window(qtbot, workspace, local_backend) as window:
        window.owner_tools.open_report("R")
        qtbot.waitUntil(lambda: window.owner_tools.report_view is not None, timeout=30_000)
        view = window.owner_tools.report_view
        assert view is not None
        text = view.view.toPlainText()
        for rates in data["conditions"].values():
            assert f"{rates['detection_rate']:.0%}" in text
            assert f"{rates['false_alarm_rate']:.0%}" in text
        assert f"{data['effects'][0]['effect']['difference']:+.1%}" in text
        r_low = data["effects"][0]["conservative"]["ratio_ci"]["low"]
        assert f"{r_low:.2f} to ∞" in text  # the bootstrap's unbounded upper limit of R
        document = view.view.document()
        for name in ("detection", "time", "evaluators"):  # the figures, given to the view
            image = document.resource(
                QTextDocument.ResourceType.ImageResource, QUrl(figure_resource(name))
            )
            assert image is not None and not image.isNull(), name


def _logged_critique(
    workspace: Workspace, evaluator: str, item: str, manipulated: bool, response: str = ""
) -> str:
    """A finished critique row as the assistance service writes it (history for the report)."""
    event_id = f"ev-{evaluator[:8]}-{item[:8]}"
    with workspace.db.atomic():
        assist_log.start_event(
            workspace.db,
            {
                "id": event_id,
                "study_item_id": item,
                "evaluator_id": evaluator,
                "kind": "critique",
                "messages": [],
                "params": {},
                "backend": "local",
                "model_id": "m",
                "requested_at": "2026-11-23T00:00:00",
                "manipulated": int(manipulated),
            },
        )
        assist_log.update_running(workspace.db, event_id, {"outcome": "done", "response": response})
    return event_id


def test_the_misleading_condition_splits_accuracy_and_counts_accepted_manipulations(
    workspace: Workspace, tmp_path: Path
) -> None:
    study, flawed_item = two_evaluator_study(
        workspace,
        tmp_path,
        "M",
        pairs=4,
        seed=5,
        options='conditions = ["misleading"]\nmisleading_p = 1.0\n',
    )
    manipulated_right = honest_right = valid = 0
    for evaluator in evaluators.list_evaluators(workspace):
        session = ReviewSession(workspace, study, evaluator)
        for n, entry in enumerate(session.queue):
            item = entry.item.item_id
            flawed = flawed_item[item]
            manipulated = n % 2 == 0  # half the responses manipulated, half honest
            event = _logged_critique(workspace, evaluator.id, item, manipulated)
            if manipulated:
                accepted = n % 4 == 0
                mark = PointMark.VALID if accepted else PointMark.INVALID
                session.mark_point(item, event, 0, mark)
                valid += accepted
            says_flawed = not flawed if manipulated else flawed  # misled vs right
            right = says_flawed == flawed
            manipulated_right += manipulated and right
            honest_right += (not manipulated) and right
            verdict = Verdict.FLAWED if says_flawed else Verdict.ACCEPTABLE
            session.submit(item, Stage.FINAL, JudgmentForm(verdict, 4, 3))
    report = build_report(workspace, "M")
    usage = report.usage["misleading"]
    assert (usage.items, usage.items_with_help) == (8, 8)
    assert usage.requests_per_item == {"critique": 1.0}
    found = report.misleading
    assert found is not None
    assert (found.judged_after_manipulation, found.judged_after_honest) == (4, 4)
    assert found.accuracy_after_manipulation == manipulated_right / 4 == 0.0
    assert found.accuracy_after_honest == honest_right / 4 == 1.0
    assert found.manipulated_points_marked_valid == valid
    assert found.over_reliance == valid / 4


def test_appropriate_reliance_counts_switches_to_right_and_staying_right(
    workspace: Workspace, tmp_path: Path
) -> None:
    study, flawed_item = two_evaluator_study(
        workspace,
        tmp_path,
        "A",
        pairs=4,
        seed=2,
        options='conditions = ["assisted"]\ncommit_before_reveal = true\n',
    )
    expected = [0, 0, 0, 0]
    for evaluator in evaluators.list_evaluators(workspace):
        session = ReviewSession(workspace, study, evaluator)
        for n, entry in enumerate(session.queue):
            item = entry.item.item_id
            truth = Verdict.FLAWED if flawed_item[item] else Verdict.ACCEPTABLE
            wrong = Verdict.ACCEPTABLE if truth is Verdict.FLAWED else Verdict.FLAWED
            honest = n % 2 == 0
            said = truth if honest else wrong
            # An honest "flawed" points at the planted line 2, or (every other time) at line
            # 1: the right verdict for the wrong reason, which does not count as right.
            line = 2 if n % 4 == 0 else 1
            point = {"line_start": line, "line_end": line, "severity": "major", "claim": "x"}
            points = [point] if said is Verdict.FLAWED else []
            critique = json.dumps({"points": points, "verdict": said.value})
            _logged_critique(workspace, evaluator.id, item, not honest, critique)
            first = Verdict.ACCEPTABLE  # right on correct twins, wrong on flawed ones
            final = said  # follows the assistant
            session.submit(item, Stage.FIRST, JudgmentForm(first, None, 3))
            session.submit(item, Stage.FINAL, JudgmentForm(final, 4, 3))
            assistant_right = honest and (truth is Verdict.ACCEPTABLE or line == 2)
            if first is not truth and assistant_right:
                expected[0] += 1
                expected[1] += final is truth
            elif first is truth and not assistant_right:
                expected[2] += 1
                expected[3] += final is truth
    reliance = build_report(workspace, "A").reliance
    assert reliance is not None
    found = [
        reliance.first_wrong_assistant_right,
        reliance.switched_to_right,
        reliance.first_right_assistant_wrong,
        reliance.stayed_right,
    ]
    assert found == expected and expected[0] > 0 and expected[2] > 0
    assert reliance.rair == 1.0 and reliance.rsr == 0.0  # followed the assistant every time


def test_critique_points_are_split_by_whether_they_point_at_the_planted_flaw(
    workspace: Workspace, tmp_path: Path
) -> None:
    study, flawed_item = two_evaluator_study(
        workspace, tmp_path, "P", 3, 4, 'conditions = ["assisted"]\n'
    )
    point = {"line_start": 2, "line_end": 2, "severity": "major", "claim": "line 2 subtracts"}
    flawed_items = correct_items = 0
    for evaluator in evaluators.list_evaluators(workspace):
        session = ReviewSession(workspace, study, evaluator)
        for entry in session.queue:
            item = entry.item.item_id
            flawed = flawed_item[item]
            critique = json.dumps({"points": [point], "verdict": "flawed"})
            event = _logged_critique(workspace, evaluator.id, item, False, critique)
            session.mark_point(item, event, 0, PointMark.VALID if flawed else PointMark.INVALID)
            session.submit(item, Stage.FINAL, JudgmentForm(Verdict.FLAWED, 3, 3))
            flawed_items += flawed
            correct_items += not flawed
    points = build_report(workspace, "P").points
    assert points is not None
    assert (points.at_plant, points.at_plant_valid, points.at_plant_invalid) == (
        flawed_items,
        flawed_items,
        0,
    )
    assert (points.elsewhere, points.elsewhere_valid, points.elsewhere_invalid) == (
        correct_items,
        0,
        correct_items,
    )
