"""The study report as one self-contained HTML file: tables, figures embedded, nothing fetched."""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from evalstudio.core.plurals import counted
from evalstudio.render.hidden_chars import TEXT, reveal_plain


@dataclass(frozen=True)
class PageColours:
    """The page's colours (CSS colour strings): the exported file is printed on white paper
    (`PRINT`); the app's view gives its palette's."""

    text: str
    muted: str
    rule: str
    lead_background: str
    background: str = ""  # none: the paper's, or the view's own


PRINT = PageColours(text="#1d1d1f", muted="#666", rule="#ddd", lead_background="#f3f6fa")


def report_css(colours: PageColours) -> str:
    c = colours
    background = f" background: {c.background};" if c.background else ""
    return f"""
body {{ font-family: system-ui, sans-serif; max-width: 76rem; margin: 2rem auto; padding: 0 1rem;
       color: {c.text};{background} line-height: 1.45; }}
h1 {{ font-size: 1.6rem; margin-bottom: 4px; }} h2 {{ font-size: 1.2rem; margin-top: 28px; }}
table {{ margin: 8px 0; font-size: 0.92rem; }}
th, td {{ padding: 5px 12px; border-bottom: 1px solid {c.rule}; text-align: right; }}
.name {{ text-align: left; white-space: nowrap; }}
.muted {{ color: {c.muted}; font-size: 0.9rem; }} img {{ max-width: 100%; height: auto; }}
.figure {{ line-height: 100%; }}  /* Qt would scale an image's line by the body's */
.lead {{ font-size: 1.1rem; background: {c.lead_background}; padding: 0.8rem 1rem;
        border-radius: 6px; }}
h3 {{ font-size: 1.05rem; margin-top: 20px; }}
code {{ font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
        font-size: 0.85rem; }}
.ci {{ color: {c.muted}; font-size: 0.85rem; white-space: nowrap; }}
"""


_FIGURE_ALT = {
    "detection": "Rates per condition and the effect of assistance",
    "time": "Time per item and calibration per condition",
    "evaluators": "Detection per evaluator with and without the assistant",
    "reveal": "Verdicts before and after the assistance was revealed",
    # "sandwich-<n>": one per sandwiching run, see _figure_alt
}
UNPLANTED_ROWS = 25  # the items with the most unplanted flaws; the JSON has every item


def report_html(
    report: dict[str, Any],
    figures: dict[str, bytes],
    generated_at: str,
    figure_src: Callable[[str], str] | None = None,
    colours: PageColours = PRINT,
) -> str:
    """The report; every text from the study (names) is escaped, its hidden characters shown
    as marks. Each figure is embedded as a data: URI, or referred to as `figure_src(name)` (a
    resource the app's view provides). `colours`: the page's (the app's palette's in its
    view)."""
    esc = _esc

    def figure(name: str) -> list[str]:
        if name not in figures:
            return []
        src = (
            figure_src(name)
            if figure_src
            else "data:image/png;base64," + base64.b64encode(figures[name]).decode("ascii")
        )
        # The PNG's own size (its IHDR header): Qt's view lays an image out by it, a browser
        # keeps the aspect ratio when the page is narrower (height: auto).
        width, height = (int.from_bytes(figures[name][at : at + 4], "big") for at in (16, 20))
        return [
            f"<p class='figure'><img alt='{_figure_alt(name)}' src='{src}' width='{width}' "
            f"height='{height}'></p>"
        ]

    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "img-src data:; style-src 'unsafe-inline'\">",
        f"<title>{esc(report['study'])} — EvalStudio report</title>",
        f"<style>{report_css(colours)}</style>",
        "</head><body>",
        f"<h1>{esc(report['study'])}</h1>",
        f"<p class='muted'>EvalStudio study report · {esc(generated_at)} · "
        f"format {report['format_version']}</p>",
    ]
    parts += _headline(report)
    parts += figure("detection")
    # Only compare and rank items judged: their sections below say it all.
    ordered_only = not report["conditions"] and (
        report.get("comparisons") or report.get("rankings")
    )
    if report["conditions"]:
        parts += _conditions(report["conditions"])
        parts += _signal_table(report["conditions"])
    elif not ordered_only:  # e.g. a study swept by model evaluators before anyone labels
        parts.append("<h2>Rates per condition</h2><p>No person has judged an item yet.</p>")
    parts += figure("time")
    if not ordered_only:
        parts += _effects(report["effects"])
    for key, title in (
        ("by_evaluator", "Per evaluator"),
        ("by_kind", "Per kind of answer"),
        ("by_severity", "Per severity of the planted flaw"),
    ):
        if report.get(key):
            parts += _conditions(report[key], title)
            if key == "by_evaluator":
                parts += figure("evaluators")
    parts += _reveal(report["reveal"])
    parts += figure("reveal")
    parts += _assistance(report)
    parts += _agreement(report)
    parts += _rubric(report.get("rubric", []))
    if report.get("comparisons"):
        parts += _comparisons(report["comparisons"], report.get("comparison_effects") or [])
    if report.get("rankings"):
        parts += _rankings(report["rankings"])
    parts += _unplanted(report["unplanted"])
    if report.get("model_side"):
        parts += _model_side(report["model_side"])
    if report.get("model_evaluators"):
        parts += _model_evaluators(
            report["model_evaluators"], bool(report.get("with_model_evaluators")), figure
        )
    if report.get("gold"):
        parts += _conditions({"gold": report["gold"]}, "Gold items (attention checks)")
    parts.append(
        "<p class='muted'>Catch: verdict “flawed” and a reported flaw at the planted lines or "
        "passage. Intervals: two-way cluster-robust (Cameron–Gelbach–Miller) t intervals over "
        "evaluators and items; the conservative two-way bootstrap (evaluators and items "
        "resampled, 2,000 times) in the rows marked “bootstrap”, where R's upper limit is ∞ "
        "when 2.5% or more of the resamples had no unassisted catch; p: condition labels "
        "permuted within evaluator. docs/report.md says what every number counts.</p>"
    )
    parts.append("</body></html>")
    return "\n".join(parts)


def _reveal(reveal: dict[str, Any]) -> list[str]:
    if not reveal:
        return []
    parts = ["<h2>Change after reveal</h2>"]
    for condition, r in reveal.items():
        parts.append(
            f"<p>{html.escape(condition).capitalize()}: of "
            f"{counted(r['judged_twice'], 'judgment')} with a "
            f"first verdict, {r['changed']} changed after the assistance — "
            f"{r['toward_truth']} toward the truth, {r['away_from_truth']} away from it; "
            f"{r['stayed_right']} kept a right verdict, {r['stayed_wrong']} a wrong one.</p>"
        )
    return parts


def _assistance(report: dict[str, Any]) -> list[str]:
    parts = _misleading(report["misleading"]) if report.get("misleading") else []
    if report.get("reliance"):
        r = report["reliance"]
        parts.append("<h2>Appropriate reliance</h2>")
        parts.append(
            f"<p>When the first verdict was wrong and the assistant right, "
            f"{_pct(r['rair'])} switched to the right verdict "
            f"({r['switched_to_right']} of {r['first_wrong_assistant_right']}, RAIR). When the "
            f"first verdict was right and the assistant wrong, {_pct(r['rsr'])} kept it "
            f"({r['stayed_right']} of {r['first_right_assistant_wrong']}, RSR).</p>"
        )
    if report.get("usage"):
        parts.append("<h2>Use of the assistant</h2>")
    for condition, u in (report.get("usage") or {}).items():
        kinds = ", ".join(f"{k}: {v:.1f}" for k, v in u["requests_per_item"].items()) or "none"
        parts.append(
            f"<p>{html.escape(condition).capitalize()}: help on {u['items_with_help']} of "
            f"{counted(u['items'], 'item')}; requests per item — {_esc(kinds)}; "
            f"{counted(round(u['tokens_per_item']), 'token')} per item.</p>"
        )
    if report.get("points"):
        pt = report["points"]
        parts.append("<h2>Critique points</h2>")
        parts.append(
            f"<p>Points at the planted flaw: {pt['at_plant']} (marked valid "
            f"{pt['at_plant_valid']}, invalid {pt['at_plant_invalid']}). Points elsewhere: "
            f"{pt['elsewhere']} (marked valid {pt['elsewhere_valid']}, invalid "
            f"{pt['elsewhere_invalid']}) — on a flawed twin these may still be real flaws.</p>"
        )
    return parts


def _misleading(m: dict[str, Any]) -> list[str]:
    parts = ["<h2>The misleading assistant</h2>"]
    if not (m["judged_after_manipulation"] or m["judged_after_honest"]):
        parts.append("<p>No judgment in this condition followed a response of the assistant.</p>")
        return parts
    marked = m["manipulated_points_marked_valid"] + m["manipulated_points_marked_invalid"]
    parts.append(
        f"<p>Right verdicts after a manipulated response: "
        f"{_pct(m['accuracy_after_manipulation'])} of {m['judged_after_manipulation']}; "
        f"after honest responses only: {_pct(m['accuracy_after_honest'])} of "
        f"{m['judged_after_honest']}. Manipulated critique points marked valid: "
        f"{m['manipulated_points_marked_valid']} of {marked} marked "
        f"(over-reliance {_pct(m['over_reliance'])}).</p>"
    )
    return parts


def _agreement(report: dict[str, Any]) -> list[str]:
    said = [
        f"{what} {report[key]:.2f}"
        for key, what in (("verdict_alpha", "verdicts"), ("rating_alpha", "quality ratings"))
        if report.get(key) is not None
    ]
    if not said:
        return []
    return [
        "<h2>Agreement</h2><p>Between evaluators on the items they share (Krippendorff's "
        f"alpha; nominal for verdicts, ordinal for ratings): {', '.join(said)}.</p>"
    ]


_ALPHA_LEVEL = {"ordinal": "ordinal", "nominal": "nominal", "masi": "MASI distance"}


def _rubric(questions: list[dict[str, Any]]) -> list[str]:
    """Per rubric question: how many answered, the count of each answer per condition, and
    the evaluators' agreement on shared items."""
    if not questions:
        return []
    parts = ["<h2>Rubric questions</h2>"]
    for q in questions:
        answered = q["answered"]
        parts.append(
            f"<h3>{_esc(q['prompt'])} <span class='muted'>({_esc(q['key'])}, "
            f"{_esc(q['type'])})</span></h3>"
        )
        level = _ALPHA_LEVEL.get(q["alpha_level"] or "")
        if level is None:
            agreement = "free text: no agreement figure"
        elif q["alpha"] is None:
            agreement = "agreement: — (no shared item, or no disagreement to expect)"
        else:
            agreement = f"agreement: Krippendorff's alpha {q['alpha']:.2f} ({level})"
        parts.append(f"<p>{answered.get('all', 0)} answered; {agreement}.</p>")
        distribution = q["distribution"]
        if distribution:
            conditions = [c for c in distribution if c != "all"]
            columns = [*conditions, "all"] if len(conditions) > 1 else ["all"]
            labels = list(distribution["all"])
            rows = [
                [_esc(label), *(str(distribution[c][label]) for c in columns)] for label in labels
            ]
            headers = ["answer", *(_esc(c) for c in columns)]
            parts.append(_table(headers, rows))
    return parts


def _comparisons(found: dict[str, Any], effects: list[dict[str, Any]]) -> list[str]:
    """Compare items: picks of the correct twin of a pair per condition and the effect of
    assistance on them, ties, the side shown first, agreement."""
    parts = ["<h2>Comparisons</h2>"]
    for effect in effects:
        e, ci = effect["effect"], effect["effect"]["difference_ci"]
        interval = f" (95% CI {ci['low']:+.0%} to {ci['high']:+.0%})" if ci else ""
        parts.append(
            f"<p class='lead'>Under <b>{_esc(effect['treated'])}</b>, comparisons of a pair "
            f"picked the correct twin {_pct(e['rate_treated'])} of the time against "
            f"{_pct(e['rate_control'])} {_esc(effect['control'])}: a difference of "
            f"{e['difference']:+.0%}{interval}; p = {effect['p_value']:.3f}.</p>"
        )
    picks, left = found["picks"], found["left"]
    if picks:  # some compare items are perturbation pairs: there is a right answer
        headers: tuple[str, ...] = (
            "condition", "pairs compared", "correct twin", "flawed twin", "ties", "side A",
        )  # fmt: skip
        rows: list[tuple[object, ...]] = [
            (
                _esc(c),
                p["judged"],
                _counted_share(p["correct"]),
                p["flawed"],
                _counted_share(p["ties"]),
                _counted_share(left[c]),
            )
            for c, p in picks.items()
        ]
    else:
        headers, rows = (
            ("condition", "side A"),
            [(_esc(c), _counted_share(s)) for c, s in left.items()],
        )
    parts.append(_table(headers, rows))
    if effects:
        parts.append(_effect_table(effects))
    agreement = found["agreement"]
    parts.append(
        _table(
            ("condition", "comparisons", "shared items", "alpha (preference)", "alpha (winner)"),
            (
                (
                    _esc(c),
                    a["judgments"],
                    a["shared_items"],
                    _num(a["preference_alpha"], ".2f"),
                    _num(a["winner_alpha"], ".2f"),
                )
                for c, a in agreement.items()
            ),
        )
    )
    parts += _pick_changes(found["changes"])
    parts.append(
        "<p class='muted'>Correct twin: comparisons of a perturbation pair that preferred its "
        "correct twin, of all comparisons of pairs; a tie (“about the same”) is no pick, so it "
        "counts against, and its share is given apart. Side A: of the comparisons that picked "
        "a side, the share that picked the one shown first (sides are counterbalanced: near "
        "50% without position bias). Effect: the detection effect's intervals with “caught” = "
        "picked the correct twin. Alpha: Krippendorff's, on the items two or more evaluators "
        "compared; preference ordinal on −2…+2 (−1…+1 without strength; 0 a tie; read in "
        "the item's own order, not as shown), winner nominal (either side or a tie). "
        "Under each share, its 95% Wilson interval.</p>"
    )
    return parts


def _pick_changes(changes: dict[str, Any]) -> list[str]:
    """Comparisons with a first pick: how many the assistance changed, and to which twin."""
    if not changes:
        return []
    rows = (
        (_esc(c), p["judged"], _counted_share(p["changed"]), p["to_correct"], p["to_flawed"])
        for c, p in changes.items()
    )
    headers = (
        "condition",
        "with a first pick",
        "changed",
        "to the correct twin",
        "to the flawed twin",
    )
    return [
        _table(headers, rows),
        "<p class='muted'>First pick: committed before the assistant opened (commit-before-"
        "reveal studies). Changed: the final judgment prefers another answer than the first "
        "pick did (a tie is no pick, so to or from a tie is a change; a change of strength "
        "alone is not), of the comparisons with a first pick. To the correct or flawed twin: "
        "of the changed comparisons of a perturbation pair, where the final pick went (the "
        "rest went to a tie, or are not of a pair).</p>",
    ]


def _rankings(found: dict[str, Any]) -> list[str]:
    """Rank items: agreement between the evaluators who ranked the same item."""
    rows = (
        (
            _esc(c),
            a["judgments"],
            len(a["kendall_w"]),
            _num(a["mean_w"], ".2f"),
            _counted_share(a["pairwise"]),
            _num(a["rank_alpha"], ".2f"),
        )
        for c, a in found["agreement"].items()
    )
    headers = (
        "condition",
        "rankings",
        "items ranked twice or more",
        "Kendall's W (mean)",
        "pairs ordered alike",
        "alpha (ranks)",
    )
    changes = found["changes"]
    changed = (
        [
            _table(
                ("condition", "with a first order", "changed"),
                ((_esc(c), s["of"], _counted_share(s)) for c, s in changes.items()),
            ),
            "<p class='muted'>First order: committed before the assistant opened. Changed: the "
            "final ranking differs from it in any place, of the rankings with one.</p>",
        ]
        if changes
        else []
    )
    return [
        "<h2>Rankings</h2>",
        _table(headers, rows),
        *changed,
        "<p class='muted'>Kendall's W per item ranked by two or more evaluators (1: the same "
        "order; 0: no common order), averaged over those items. Pairs ordered alike: for every "
        "two evaluators of an item, the pairs of answers both put in the same order, of all "
        "such pairs, with its 95% Wilson interval. Alpha: Krippendorff's, ordinal, on the ranks "
        "each answer was given.</p>",
    ]


def _counted_share(found: dict[str, Any]) -> str:
    """A Share (count, of, value, interval) as its value over its interval, with the count."""
    interval = found["interval"] or {}
    text = _share({"value": found["value"], **interval})
    return text if found["value"] is None else f"{found['count']} · {text}"


def _unplanted(items: list[dict[str, Any]]) -> list[str]:
    if not items:
        return []
    reported = sum(i["reported"] for i in items)
    real = sum(i["real"] for i in items)
    reviewed = sum(i["reviewed"] for i in items)
    rows = [
        "<h2>Unplanted flaws</h2>",
        f"<p>Evaluators reported {counted(reported, 'flaw')} that match nothing planted, on "
        f"{counted(len(items), 'item')}; the owner reviewed {reviewed} and marked {real} real "
        "(Owner › Unplanted flaws, or <code>evalstudio flaws</code>).</p>",
        _table(
            ("item", "twin", "reported", "reviewed", "real"),
            (
                (
                    _esc(i["item"]),
                    _esc(i["truth"]),
                    i["reported"],
                    i["reviewed"],
                    i["real"],
                )
                for i in items[:UNPLANTED_ROWS]
            ),
        ),
    ]
    if len(items) > UNPLANTED_ROWS:
        rows.append(f"<p class='muted'>…and {len(items) - UNPLANTED_ROWS} more (JSON).</p>")
    return rows


def _model_side(side: dict[str, Any]) -> list[str]:
    ci = side["gap_ci"]
    interval = f" (95% CI {ci['low']:+.0%} to {ci['high']:+.0%})" if ci else ""
    gap = "—" if side["gap"] is None else f"{side['gap']:+.0%}"
    rows = [
        "<h2>The model's side</h2>",
        f"<p>On {len(side['pairs'])} of the study's pairs, <b>{_esc(side['model'])}</b> "
        f"scored the flawed twin as more likely flawed than its correct twin "
        f"{_pct(side['discrimination'])} of the time (discrimination); its critique of the "
        f"flawed twin said “flawed” at the planted lines {_pct(side['critique_catch'])} of the "
        f"time (critique catch). Gap: {gap}{interval} — what the model tells apart but does "
        "not say.</p>",
    ]
    if side["failed"]:
        rows.append(
            f"<p class='muted'>Left out: {counted(len(side['failed']), 'pair')} whose requests "
            "failed.</p>"
        )
    return rows


def sandwich_name(number: int) -> str:
    """The figure of the report's `number`-th sandwiching run (1: the oldest)."""
    return f"sandwich-{number}"


def _figure_alt(name: str) -> str:
    if name.startswith("sandwich-"):
        return (
            f"Run {name.removeprefix('sandwich-')}: accuracy of the weak model evaluator alone, "
            "with the assistant, and of the assistant, over the share of responses manipulated"
        )
    return _FIGURE_ALT[name]


_SWEEP_HEADERS = (
    "p",
    "items judged",
    "manipulated",
    "alone",
    "+ assistant",
    "assistant alone",
    "gain",
    "followed",
    "switched",
)


_SWEEP_NOTE = (
    "<p class='muted'>Per p: items judged (over every repeat); responses manipulated; "
    "accuracy of the weak evaluator alone (its first verdict) and + assistant (its final "
    "verdict, after reading the response); assistant alone: the verdict in the response it "
    "read; gain: + assistant − alone, paired per item; followed: manipulated responses whose "
    "verdict the final verdict took; switched: those it took against its own first verdict. "
    "Under each value, its 95% interval.</p>"
)


def _model_evaluators(
    runs: list[dict[str, Any]], included: bool, figure: Callable[[str], list[str]]
) -> list[str]:
    """Each artificial-sandwiching run: its summary, curve, numbers per p and settings."""
    counted = (
        "Their judgments are <b>included</b> in the figures and tables above "
        "(the report was made with <code>--with-model-evaluators</code>)."
        if included
        else "Their judgments are kept out of the figures and tables above (include them with "
        "<code>evalstudio report --with-model-evaluators</code>)."
    )
    parts = [
        "<h2>Model evaluators (artificial sandwiching)</h2>",
        "<p class='muted'>A weak model evaluator judges each item alone, then again after "
        "reading an assistant's response that is manipulated with probability p. Accuracy: "
        "share of right verdicts; expert: the ground truth, right on every item. Intervals: 95% "
        "percentile bootstrap resampling tasks (none with fewer than two tasks). "
        f"{counted}</p>",
    ]
    for number, run in enumerate(runs, start=1):
        settings = run.get("settings") or {}
        title = f"Run {number} of {len(runs)}" if len(runs) > 1 else "Run"
        source = str(settings.get("assistant_source", "model"))
        # The source is named in the title when it is not the model's (the usual case).
        named = "" if source == "model" else f"{_esc(_SOURCE_TITLES.get(source, source))} · "
        parts.append(
            f"<h3>{title} · {_esc(str(settings.get('misalignment', '—')))} · "
            f"{named}{_when(run.get('created_at'))}</h3>"
        )
        parts.append(f"<p class='lead'>{_esc(str(run.get('summary', '')))}</p>")
        if source != "model":
            parts.append(
                "<p>The assistant is the <b>expert's copy</b>, and expert = the answer key: "
                "its honest critiques name the planted flaw on a flawed twin and none on a "
                f"correct one, {_esc(_SOURCE_WORDING.get(source, source))}. With probability p "
                "a critique is replaced by the assistant model's misaligned one; at p = 0 the "
                "assistant is the expert.</p>"
            )
        parts += figure(sandwich_name(number))
        if run["points"]:
            parts.append(_table(_SWEEP_HEADERS, (_sweep_row(pt) for pt in run["points"])))
            parts.append(_SWEEP_NOTE)
        parts += _sweep_settings(run, settings)
    return parts


# Where a run's honest critiques came from (settings.assistant_source; absent: the model's).
_SOURCE_TITLES = {
    "model": "the assistant model's critiques",
    "expert": "expert's copy (answer key)",
    "expert:template": "expert's copy (answer key)",
}
_SOURCE_WORDING = {
    "expert": "worded by the assistant model",
    "expert:template": "worded by a template",
}


def _when(stamp: object) -> str:
    """An ISO timestamp to the minute, in UTC; anything else as it is (escaped)."""
    try:
        moment = datetime.fromisoformat(str(stamp))
    except ValueError:
        return _esc(str(stamp))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    return moment.strftime("%Y-%m-%d %H:%M")


def _sweep_row(pt: dict[str, Any]) -> tuple[str, ...]:
    rate = pt.get("manipulation_rate")
    manipulated = f"{pt['manipulated']} of {pt['judged']}" + (
        f"<br><span class='ci'>{rate:.0%}</span>" if rate is not None else ""
    )
    return (
        f"{pt['p']:g}",
        str(pt["judged"]),
        manipulated,
        _share(pt["alone"]),
        _share(pt["assisted"]),
        _share(pt["assistant"]),
        _share(pt["gain"], signed=True),
        _share(pt["followed"]),
        _share(pt["switched"]),
    )


def _share(interval: dict[str, Any] | None, signed: bool = False) -> str:
    """A share over its 95% interval: "67%" over "50–100%", a difference "+33%" over "+0% to
    +50%"; "—" without a value, the value alone without an interval."""
    if not interval or interval.get("value") is None:
        return "—"
    spec = "+.0%" if signed else ".0%"
    text = f"{interval['value']:{spec}}"
    low, high = interval.get("low"), interval.get("high")
    if low is None or high is None:
        return text
    start = f"{low:{spec}}" if signed else f"{low:{spec}}".removesuffix("%")
    between = "&nbsp;to&nbsp;" if signed else "–"
    return f"{text}<br><span class='ci'>{start}{between}{high:{spec}}</span>"


def _sweep_settings(run: dict[str, Any], settings: dict[str, Any]) -> list[str]:
    """What reproduces the run: the sweep, both models (with the file's SHA-256), the prompts
    (with theirs); and what it cost: progress, time and tokens per item."""

    def text(value: object) -> str:
        return "—" if value is None else _esc(str(value))

    ps = settings.get("p")
    tokens = run.get("tokens_per_item") or {}

    def per_item(role: str) -> str:
        prompt, completion = tokens.get(f"{role}_prompt"), tokens.get(f"{role}_completion")
        if prompt is None and completion is None:
            return "—"
        return f"{_num(prompt, ',.0f')} prompt + {_num(completion, ',.0f')} completion"

    source = str(settings.get("assistant_source", "model"))
    sweep = [
        ("run", f"<code>{text(run.get('run_id'))}</code>"),
        ("misalignment", text(settings.get("misalignment"))),
        (
            "honest critiques",
            f"{text(_SOURCE_TITLES.get(source, source))}: <code>{text(source)}</code>",
        ),
        ("p", ", ".join(f"{p:g}" for p in ps) if ps else "—"),
        ("repeats", text(settings.get("repeats"))),
        ("seed", f"<code>{text(settings.get('seed'))}</code>"),
        ("assist every n-th item", text(settings.get("assist_every"))),
        ("settings format", text(settings.get("format_version"))),
    ]
    roles = (
        ("evaluator", "assistant", "adversary")
        if settings.get("adversary")
        else ("evaluator", "assistant")
    )
    for role in roles:
        r = settings.get(role) or {}
        sweep += [
            (
                f"{role}: model",
                f"{text(r.get('model_id'))} <span class='ci'>(spec {text(r.get('spec'))}, "
                f"backend {text(r.get('backend'))})</span>",
            ),
            (f"{role}: SHA-256 of the model file", f"<code>{text(r.get('sha256'))}</code>"),
            (
                f"{role}: sampling",
                f"temperature {text(r.get('temperature'))}, "
                f"at most {text(r.get('max_tokens'))} tokens",
            ),
        ]
    sweep += [
        (
            "progress",
            f"{text(run.get('judged'))} of {text(run.get('total'))} items judged, "
            f"over {text(run.get('cells'))} cells (p × repeats)",
        ),
        ("time per item", _num(run.get("seconds_per_item"), ".1f", " s")),
        ("tokens per item, evaluator", per_item("evaluator")),
        ("tokens per item, assistant", per_item("assistant")),
    ]
    prompts = settings.get("prompts") or {}
    parts = [
        "<p><b>Settings</b> (to reproduce the run)</p>",
        _table(("setting", "value"), sweep, left=2),
    ]
    if prompts:
        parts.append(
            _table(
                ("prompt file", "SHA-256"),
                ((text(name), f"<code>{text(digest)}</code>") for name, digest in prompts.items()),
                left=2,
            )
        )
    return parts


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _headline(report: dict[str, Any]) -> list[str]:
    lines = []
    for effect in report["effects"]:
        e, ci = effect["effect"], effect["effect"]["difference_ci"]
        interval = f" (95% CI {ci['low']:+.0%} to {ci['high']:+.0%})" if ci else ""
        ratio = e["ratio"]
        more = f", ×{ratio:.2f}" if ratio is not None else ""
        lines.append(
            f"<p class='lead'>Under <b>{_esc(effect['treated'])}</b>, evaluators caught "
            f"{_pct(e['rate_treated'])} of planted flaws against {_pct(e['rate_control'])} "
            f"{_esc(effect['control'])}: a difference of {e['difference']:+.0%}"
            f"{interval}{more}; p = {effect['p_value']:.3f}.</p>"
        )
    return lines


_CONDITION_HEADERS = (
    "condition",
    "judgments",
    "flawed twins",
    "caught",
    "verdict only",
    "detection",
    "correct twins",
    "false alarms",
    "accuracy",
)


def _conditions(conditions: dict[str, Any], title: str = "Rates per condition") -> list[str]:
    rows = (
        (
            _esc(name),
            c["judgments"],
            c["flawed_judged"],
            c["catches"],
            c["verdict_only"],
            _pct(c["detection_rate"]),
            c["correct_judged"],
            _pct(c["false_alarm_rate"]),
            _pct(c["accuracy"]),
        )
        for name, c in conditions.items()
    )
    return [f"<h2>{_esc(title)}</h2>", _table(_CONDITION_HEADERS, rows)]


_SIGNAL_HEADERS = (
    "condition",
    "sensitivity",
    "specificity",
    "d′",
    "Brier",
    "time (median)",
    "time (IQR)",
    "unplanted flaws",
    "marked real",
)


def _signal_table(conditions: dict[str, Any]) -> list[str]:
    rows = (
        (
            _esc(name),
            _pct(c["sensitivity"]),
            _pct(c["specificity"]),
            _num(c["d_prime"], ".2f"),
            _num(c["brier"], ".3f"),
            _num(c["active_median_s"], ".0f", " s"),
            _num(c["active_iqr_s"], ".0f", " s"),
            c["unplanted_flaws"],
            f"{c['unplanted_real']} of {c['unplanted_reviewed']} reviewed",
        )
        for name, c in conditions.items()
    )
    return ["<h2>Verdicts, confidence and time</h2>", _table(_SIGNAL_HEADERS, rows)]


def _num(value: float | None, spec: str, unit: str = "") -> str:
    return "—" if value is None else f"{value:{spec}}{unit}"


def _effects(effects: list[dict[str, Any]]) -> list[str]:
    if not effects:
        return [
            "<p>No effect to estimate: the study needs flawed twins judged both with and "
            "without assistance.</p>"
        ]
    return ["<h2>Effect of assistance on detection</h2>", _effect_table(effects)]


def _effect_table(effects: list[dict[str, Any]]) -> str:
    """Each effect's D and R with the CGM-t interval, then the bootstrap's, and p."""
    rows = []
    for effect in effects:
        comparison = f"{_esc(effect['treated'])} vs {_esc(effect['control'])}"
        for label, e in (("", effect["effect"]), (" (bootstrap)", effect["conservative"])):
            d_ci, r_ci = e["difference_ci"], e["ratio_ci"]
            d_text = f"{d_ci['low']:+.1%} to {d_ci['high']:+.1%}" if d_ci else "—"
            r_text = f"{_limit(r_ci['low'])} to {_limit(r_ci['high'])}" if r_ci else "—"
            ratio = "—" if e["ratio"] is None else f"{e['ratio']:.2f}"
            p = f"{effect['p_value']:.3f}" if not label else ""
            rows.append((comparison + label, f"{e['difference']:+.1%}", d_text, ratio, r_text, p))
    return _table(("comparison", "D", "95% CI", "R", "95% CI", "p"), rows)


def _limit(value: float | None) -> str:
    """A limit of R's interval: JSON null there is an unbounded limit (the bootstrap's, when
    enough resamples had no unassisted catch), not a missing one."""
    return "∞" if value is None else f"{value:.2f}"


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]], left: int = 1) -> str:
    """A table whose first `left` columns name the row (left-aligned) and the rest are
    numbers (right). Cells are HTML already: the caller escapes study text."""
    head = "".join(f"<th{_NAME if i < left else ''}>{h}</th>" for i, h in enumerate(headers))
    body = "".join(
        "<tr>"
        + "".join(f"<td{_NAME if i < left else ''}>{c}</td>" for i, c in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f"<table cellpadding='6'><tr>{head}</tr>{body}</table>"


def _esc(text: str) -> str:
    """Study text (names, ids) as HTML: escaped, and a name that holds a bidi override or an
    invisible character cannot pass for another (render/hidden_chars.py)."""
    return html.escape(reveal_plain(text, TEXT))


_NAME = " class='name'"  # Qt's rich text has no :first-child
