"""Studies from a definition file (study.toml): check it, create the study with its plan, and
describe it (counts, plan balance, power) — what `evalstudio study …` and study setup call."""

from __future__ import annotations

import tomllib
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import tomli_w

from evalstudio.core.analysis.simulate import Scenario, SimulationReport, simulated_power
from evalstudio.core.comparison import Layout, pair_sides, shown_order
from evalstudio.core.errors import EvalStudioError
from evalstudio.core.model import Evaluator, Study, Truth
from evalstudio.core.percent import percent
from evalstudio.core.plan import Assignment, Design, PairUnit, make_plan, queues
from evalstudio.core.plurals import counted
from evalstudio.core.power import PowerEstimate, estimate
from evalstudio.core.review import Condition
from evalstudio.core.study_definition import StudyDefinition, parse_definition
from evalstudio.core.verification import PairVerdict
from evalstudio.services.studies.importing import import_tasks
from evalstudio.services.studies.pair_checks import verify_study
from evalstudio.services.workspace.evaluators import add_evaluator, list_evaluators
from evalstudio.services.workspace.opening import Workspace, now
from evalstudio.store import assignments, content, designs, pair_checks, studies


def simulated_studies(evaluators: int, pairs: int) -> int:
    """How many studies to simulate: 400 (±2.5% on the power, half a second at 12 × 40),
    fewer for large plans, whose power is near 100% anyway (50 × 200: 100, about 2 s)."""
    return max(100, min(400, 400 * 2000 // max(1, evaluators * pairs)))


@dataclass(frozen=True)
class StudyOverview:
    """A study as its owner sees it before and during labeling."""

    study: Study
    definition: StudyDefinition | None
    items: int
    pairs: int
    gold: int
    queue_sizes: dict[str, int]  # evaluator name → items in their queue
    flawed_share: dict[str, float]  # evaluator name → share of their pair items that are flawed
    power: PowerEstimate | None  # normal approximation: the smallest detectable rise
    simulated: SimulationReport | None  # this design simulated: power at the 1.5x target
    target: float | None  # the detection rate the simulation plants under assistance
    checks: dict[str, tuple[PairVerdict, str]]  # pair id → its test's verdict, explanation
    untested_pairs: int
    multi: dict[Layout, int] = field(default_factory=dict)  # compare / rank items: how many
    # The import's warning about record ids that name their truth (creating or checking a
    # study from its file; a study looked up by name has none).
    naming_warning: str | None = None


def load_definition(path: Path) -> StudyDefinition:
    """Read and check a definition file; every problem is listed with its key."""
    source = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EvalStudioError("no such file", where=source) from None
    except OSError as e:
        raise EvalStudioError(f"cannot be read: {e.strerror}", where=source) from None
    except UnicodeDecodeError as e:
        raise EvalStudioError(f"not UTF-8 text (byte {e.start})", where=source) from None
    except tomllib.TOMLDecodeError as e:
        raise EvalStudioError(f"not valid TOML: {e}", where=source) from None
    except ValueError:  # tomllib lets int()'s refusal of over 4,300 digits through
        raise EvalStudioError("holds a number of more than 4,300 digits", where=source) from None
    except RecursionError:
        raise EvalStudioError("is nested too deeply to read", where=source) from None
    found = parse_definition(data)
    if isinstance(found, list):
        raise EvalStudioError("\n".join(found), where=source)
    for key, relative in (("tasks", found.tasks), ("guidelines", found.guidelines)):
        if not relative:
            continue
        target = path.parent / relative
        try:
            exists = target.is_file()
        except OSError as e:  # is_file() passes on some errors, such as a name too long
            raise EvalStudioError(f"{key}: {target}: {e.strerror}", where=source) from None
        if not exists:
            raise EvalStudioError(f"{key}: no file {target}", where=source)
    return found


def write_definition(path: Path, definition: StudyDefinition) -> None:
    """Write a definition file (what study setup saves), replacing it in one step."""
    text = tomli_w.dumps(definition.to_json())
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except OSError as e:
        temporary.unlink(missing_ok=True)
        raise EvalStudioError(f"cannot be written: {e.strerror}", where=str(path)) from e


def create_study(workspace: Workspace, path: Path) -> StudyOverview:
    """Create the study the file defines: import its tasks, add missing evaluators by name,
    store the definition and every evaluator's queue — all in one transaction."""
    definition = load_definition(path)
    db = workspace.db
    if studies.study_by_name(db, definition.name) is not None:
        raise EvalStudioError(
            f"a study named '{definition.name}' exists already; a definition creates a new "
            "study (rename it in the file)",
            where=str(path),
        )
    guidelines = _guidelines(path, definition.guidelines) if definition.guidelines else ""
    with db.atomic():
        report = import_tasks(
            workspace,
            path.parent / definition.tasks,
            definition.name,
            guidelines=guidelines,
            pairs_as=definition.pairs_as,
        )
        study = report.study
        studies.set_review_options(
            db,
            study.id,
            commit_before_reveal=definition.commit_before_reveal,
            misleading_p=definition.misleading_p,
        )
        designs.insert_design(db, study.id, definition, now())
        people_by_name = _evaluators(workspace, definition.evaluators)
        plan = make_plan(_design(workspace, study.id, definition, people_by_name))
        sizes = {i.id: len(i.slots) for i in content.multi_items(db, study.id)}
        for evaluator_id, queue in queues(plan).items():
            assignments.insert_assignments(
                db,
                study.id,
                evaluator_id,
                [(a.item, a.condition) for a in queue],
                {
                    a.item: _sides(a, sizes[a.item], definition.seed)
                    for a in queue
                    if a.item in sizes
                },
            )
    verify_study(workspace, study.id)  # after the commit: a slow test holds no lock
    return replace(overview(workspace, definition.name), naming_warning=report.naming_warning)


def _guidelines(path: Path, relative: str) -> str:
    """The text of the definition's guidelines file; a problem with it names the key."""
    target = path.parent / relative
    try:
        return target.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        problem = f"not UTF-8 text (byte {e.start})"
    except OSError as e:
        problem = f"cannot be read: {e.strerror}"
    raise EvalStudioError(f"guidelines: {target}: {problem}", where=str(path))


def check_study_file(workspace: Workspace, path: Path) -> StudyOverview:
    """Everything `create_study` would do, rolled back: the file, its tasks, the plan."""
    db = workspace.db
    try:
        with db.atomic():
            found = create_study(workspace, path)
            raise _RollBack(found)
    except _RollBack as done:
        return done.overview


class _RollBack(Exception):
    def __init__(self, overview: StudyOverview) -> None:
        self.overview = overview


def overview(workspace: Workspace, study_name: str) -> StudyOverview:
    db = workspace.db
    study = studies.study_by_name(db, study_name)
    if study is None:
        raise EvalStudioError(f"no study named '{study_name}'")
    definition = designs.design_of(db, study.id)
    candidates = {c.id: c for c in content.candidates_of_study(db, study.id)}
    pair_rows = content.pairs_of_study(db, study.id)
    paired = {p.correct_id for p in pair_rows} | {p.flawed_id for p in pair_rows}
    names = {e.id: e.name for e in list_evaluators(workspace)}
    by_item = {v: k for k, v in content.item_ids_by_candidate(db, study.id).items()}
    sizes: dict[str, int] = {}
    flawed: dict[str, float] = {}
    for evaluator_id, name in names.items():
        queue = assignments.assigned(db, study.id, evaluator_id)
        if not queue:
            continue
        sizes[name] = len(queue)
        truths = Counter(
            candidates[by_item[item]].truth
            for item, _ in queue
            if item in by_item and by_item[item] in paired
        )
        seen = truths[Truth.FLAWED] + truths[Truth.CORRECT]
        flawed[name] = truths[Truth.FLAWED] / seen if seen else 0.0
    pairs = len(pair_rows)
    untested = sum(1 for p in pair_rows if not p.test)
    power = simulated = target = None
    if definition is not None:
        target = min(0.99, definition.expected_detection * 1.5)
        per_evaluator = (
            pairs * (definition.judgments_per_pair or len(definition.evaluators))
        ) / len(definition.evaluators)
        compared = definition.pairs_as is Layout.COMPARE
        power = estimate(
            len(definition.evaluators),
            per_evaluator,
            len(definition.conditions),
            baseline=definition.expected_detection,
            targets=(target,),
            compared=compared,
        )
        # The simulator deals twins one at a time and counts flawed ones: it would halve the
        # judgments of pairs shown as compare items, so it does not speak for them.
        assisted = {Condition.UNASSISTED, Condition.ASSISTED} <= set(definition.conditions)
        if assisted and pairs and not compared:
            simulated = simulated_power(
                Scenario(
                    len(definition.evaluators),
                    pairs,
                    definition.expected_detection,
                    target,
                    conditions=definition.conditions,
                    judgments_per_pair=definition.judgments_per_pair,
                ),
                studies=simulated_studies(len(definition.evaluators), pairs),
            )
    multi = content.multi_items(db, study.id)
    return StudyOverview(
        study=study,
        definition=definition,
        items=len(by_item) + len(multi),
        pairs=pairs,
        gold=sum(1 for c in candidates.values() if c.gold),
        queue_sizes=sizes,
        flawed_share=flawed,
        power=power,
        simulated=simulated,
        target=target,
        checks=pair_checks.checks_of_study(db, study.id),
        untested_pairs=untested,
        multi=dict(Counter(item.layout for item in multi)),
    )


def _multi_text(multi: dict[Layout, int]) -> str:
    """ " (4 compare, 2 rank)": how many of the items show several answers."""
    parts = [f"{multi[layout]} {layout.value}" for layout in Layout if multi.get(layout)]
    return f" ({', '.join(parts)})" if parts else ""


def _evaluators(workspace: Workspace, names: tuple[str, ...]) -> dict[str, Evaluator]:
    """The named evaluators, created if this workspace has nobody of that name yet."""
    existing = {e.name: e for e in list_evaluators(workspace)}
    for name in names:
        if name not in existing:
            existing[name] = add_evaluator(workspace, name)
    return {name: existing[name] for name in names}


def _sides(assignment: Assignment, n: int, seed: str) -> tuple[int, ...]:
    """The order an evaluator sees a compare or rank item's candidates in: a pair's sides as
    the plan counterbalances them (its twin draw says whether the flawed one is on the left),
    any other item's shuffled from the seed."""
    if assignment.pair_id is not None and assignment.twin_flawed is not None:
        return pair_sides(flawed_first=assignment.twin_flawed)
    return shown_order(seed, assignment.evaluator, assignment.item, n)


def _design(
    workspace: Workspace,
    study_id: str,
    definition: StudyDefinition,
    people_by_name: dict[str, Evaluator],
) -> Design:
    db = workspace.db
    item_of = content.item_ids_by_candidate(db, study_id)
    candidates = content.candidates_of_study(db, study_id)
    pairs = content.pairs_of_study(db, study_id)
    multi = content.multi_items(db, study_id)
    # A pair shown as one compare item is both of its "twins" for the plan: the twin it draws
    # for an evaluator says which side the flawed one is shown on.
    compared = {item.slots: item.id for item in multi}
    units = tuple(
        PairUnit(p.id, item, item)
        if (item := compared.get((p.correct_id, p.flawed_id)))
        else PairUnit(p.id, item_of[p.correct_id], item_of[p.flawed_id])
        for p in pairs
    )
    in_pairs = {p.correct_id for p in pairs} | {p.flawed_id for p in pairs}
    alone = [c for c in candidates if c.id in item_of]
    return Design(
        evaluators=tuple(people_by_name[name].id for name in definition.evaluators),
        pairs=units,
        conditions=definition.conditions,
        seed=definition.seed,
        singles=tuple(
            [item_of[c.id] for c in alone if c.id not in in_pairs and not c.gold]
            + [item.id for item in multi if item.id not in {u.correct_item for u in units}]
        ),
        gold=tuple(item_of[c.id] for c in alone if c.gold),
        gold_rate=definition.gold_rate,
        judgments_per_pair=definition.judgments_per_pair,
    )


def overview_text(found: StudyOverview) -> str:
    """The overview as plain text (the CLI prints it; study setup shows it)."""
    lines = [
        f"Study: {found.study.name}",
        f"  {counted(found.items, 'item')}{_multi_text(found.multi)} · "
        f"{counted(found.pairs, 'perturbation pair')} · {found.gold} gold",
    ]
    if found.naming_warning:
        lines.append(f"  {found.naming_warning}")
    d = found.definition
    if d is None:
        lines.append("  No definition: every evaluator sees every item, assisted.")
        return "\n".join(lines)
    lines += [
        f"  Conditions: {', '.join(c.value for c in d.conditions)}"
        + (f" (misleading p = {d.misleading_p:g})" if "misleading" in d.conditions else ""),
        f"  Assistance: {', '.join(k.value for k in d.assist_kinds)}; "
        + ("pre-generated" if d.pregenerated else "live")
        + ("; first judgment before the assistance" if d.commit_before_reveal else ""),
        f"  Judgments per pair: {d.judgments_per_pair or len(d.evaluators)} · "
        f"gold rate {percent(d.gold_rate)} · seed {d.seed!r}",
    ]
    if d.questions:
        asked = ", ".join(
            f"{q.key} ({q.type.value}{', required' if q.required else ''})" for q in d.questions
        )
        lines.append(f"  Rubric: {counted(len(d.questions), 'question')}: {asked}")
    if d.pairs_as is Layout.COMPARE or found.multi:
        shown = "side by side (which is better)" if d.pairs_as is Layout.COMPARE else "alone"
        scale = " · ".join(p.label for p in d.compare_scale.points())
        lines.append(f"  Comparisons: pairs shown {shown}; scale: {scale}")
    lines += [
        "  Queues:",
    ]
    for name, size in found.queue_sizes.items():
        share = found.flawed_share.get(name, 0.0)
        flawed = (
            "" if d.pairs_as is Layout.COMPARE else f", {percent(share)} of paired items flawed"
        )
        lines.append(f"    {name}: {counted(size, 'item')}{flawed}")
    if found.pairs:
        verdicts = Counter(verdict for verdict, _ in found.checks.values())
        lines.append(
            f"  Pairs checked by their tests: {verdicts[PairVerdict.VERIFIED]} verified, "
            f"{verdicts[PairVerdict.UNVERIFIED]} unverified, {verdicts[PairVerdict.BROKEN]} "
            f"broken; {found.untested_pairs} without a test"
        )
        for pair_id, (verdict, explanation) in found.checks.items():
            if verdict is not PairVerdict.VERIFIED:
                lines.append(f"    {pair_id}: {explanation}")
    power = found.power
    if power is not None:
        compared = d.pairs_as is Layout.COMPARE
        rate = "share of comparisons picking the correct twin" if compared else "detection rate"
        if power.detectable is None:
            lines.append(
                f"  Power: too few judgments to detect any rise from a "
                f"{percent(power.baseline)} {rate} with 80% power."
            )
        else:
            target, chance = next(iter(power.power_at.items()))
            judged = "comparisons of pairs" if compared else "flawed-twin judgments"
            lines.append(
                f"  Power (normal approximation, {power.flawed_per_condition:.0f} {judged} "
                f"per condition{f'; the rate: the {rate}' if compared else ''}): detects "
                f"{percent(power.baseline)} → {percent(power.detectable)} with 80% power; "
                f"{percent(power.baseline)} → {percent(target)} with {percent(chance)} power."
            )
    if found.simulated is not None and power is not None and found.target is not None:
        lines.append(
            f"  Power by simulation of this plan ({found.simulated.studies} simulated studies, "
            f"evaluators and items varying as in STUDY.md, the report's interval): "
            f"{percent(power.baseline)} → {percent(found.target)} detected in "
            f"{percent(found.simulated.power)} of them."
        )
    return "\n".join(lines)
