"""The report's figures as PNG bytes (matplotlib, Agg: no display, no window).

Imported only when a report is drawn: matplotlib costs ~40 MiB that the review window, which
never draws one, should not carry.
"""

from __future__ import annotations

import io
import math
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after choosing the backend
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from evalstudio.render.report_html import sandwich_name

_COLORS = {"unassisted": "#7f7f7f", "assisted": "#1f77b4", "misleading": "#d62728"}


def figures(report: dict[str, Any]) -> dict[str, bytes]:
    """Every figure the report's data supports, as PNG by name (the HTML page places each).
    Each artificial-sandwiching run with a judged item has its own, "sandwich-<n>" (n from 1,
    the oldest), drawn even when no person has judged anything yet."""
    drawn: dict[str, bytes] = {}
    if report["conditions"]:
        drawn["detection"] = detection_figure(report)
        drawn["time"] = time_and_calibration_figure(report)
        if report["reveal"]:
            drawn["reveal"] = reveal_figure(report["reveal"])
        scatter = evaluator_figure(report["by_evaluator"])
        if scatter is not None:
            drawn["evaluators"] = scatter
    for number, run in enumerate(report.get("model_evaluators") or [], start=1):
        if run["points"]:
            drawn[sandwich_name(number)] = sandwich_figure(run)
    return drawn


def detection_figure(report: dict[str, Any]) -> bytes:
    """Detection and false-alarm rates per condition, and each effect D with its 95% interval."""
    conditions = report["conditions"]
    names = list(conditions)
    detection = [conditions[n]["detection_rate"] or 0.0 for n in names]
    alarms = [conditions[n]["false_alarm_rate"] or 0.0 for n in names]
    effects = report["effects"]
    figure, (left, right) = plt.subplots(
        1, 2, figsize=(9, 3.4), dpi=110, gridspec_kw={"width_ratios": [3, 2]}
    )
    x = range(len(names))
    left.bar([i - 0.2 for i in x], detection, width=0.4, label="planted flaws caught")
    left.bar([i + 0.2 for i in x], alarms, width=0.4, label="false alarms", color="#c0504d")
    left.set_xticks(list(x), names)
    left.set_ylim(0, 1.18)  # room above 100% for the legend
    left.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    left.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    left.set_title("Rates per condition")
    left.legend(loc="upper center", ncol=2, fontsize=8, frameon=False)
    for i, effect in enumerate(effects):
        e = effect["effect"]
        ci = e["difference_ci"]
        low, high = (ci["low"], ci["high"]) if ci else (e["difference"], e["difference"])
        right.errorbar(
            [e["difference"]],
            [i],
            xerr=[[e["difference"] - low], [high - e["difference"]]],
            fmt="o",
            capsize=4,
            color="#1f4e79",
        )
    right.axvline(0, color="#888888", linewidth=1)
    right.set_yticks(range(len(effects)), [f"{e['treated']} − {e['control']}" for e in effects])
    right.set_ylim(-0.8, max(len(effects), 1) - 0.2)
    right.xaxis.set_major_locator(MaxNLocator(4))
    right.xaxis.set_major_formatter(lambda v, _: f"{v:+.0%}")
    right.set_title("Difference in detection, 95% CI")
    return _png(figure)


def time_and_calibration_figure(report: dict[str, Any]) -> bytes:
    """Active time per item per condition (box: quartiles, whiskers: 5th-95th percentile) and
    the reliability curve of stated confidence against the share of right verdicts."""
    conditions = report["conditions"]
    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4), dpi=110)
    boxes = [
        {"label": name, "whislo": s[0], "q1": s[1], "med": s[2], "q3": s[3], "whishi": s[4]}
        for name, c in conditions.items()
        if (s := c["active_spread_s"]) is not None
    ]
    drawn = left.bxp(boxes, showfliers=False, orientation="horizontal", patch_artist=True)
    for box, stats in zip(drawn["boxes"], boxes, strict=True):
        box.set_facecolor(_COLORS.get(stats["label"], "#1f77b4"))
        box.set_alpha(0.75)
    left.set_xlabel("active seconds on the item")
    left.set_title("Time per item")
    right.plot([0.5, 1.0], [0.5, 1.0], color="#888888", linewidth=1, linestyle="--")
    for name, c in conditions.items():
        levels = c["calibration"]
        if levels:
            right.plot(
                [lv["stated"] for lv in levels],
                [lv["right_share"] for lv in levels],
                marker="o",
                color=_COLORS.get(name),
                label=name,
            )
    right.set_xlim(0.45, 1.05)
    right.set_ylim(-0.05, 1.05)
    right.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    right.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    right.set_xlabel("stated confidence")
    right.set_ylabel("verdicts right")
    right.set_title("Calibration (dashed: perfect)")
    right.legend(fontsize=8, frameon=False, loc="lower right")
    return _png(figure)


_FLOWS = (
    ("stayed_right", "kept a right verdict", "#9ecae1"),
    ("toward_truth", "changed to right", "#2ca02c"),
    ("away_from_truth", "changed to wrong", "#d62728"),
    ("stayed_wrong", "kept a wrong verdict", "#fdae6b"),
)


def reveal_figure(reveal: dict[str, Any]) -> bytes:
    """First verdict to final verdict per condition, as shares of the judgments."""
    names = list(reveal)
    figure, axes = plt.subplots(figsize=(9, 0.9 + 0.55 * len(names)), dpi=110)
    left = [0.0] * len(names)
    for key, label, color in _FLOWS:
        shares = [reveal[n][key] / reveal[n]["judged_twice"] for n in names]
        axes.barh(names, shares, left=left, color=color, label=label)
        left = [a + b for a, b in zip(left, shares, strict=True)]
    axes.set_xlim(0, 1)
    axes.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    axes.set_title("After the assistance was revealed")
    axes.legend(ncol=4, fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.3))
    return _png(figure)


def evaluator_figure(by_evaluator: dict[str, Any]) -> bytes | None:
    """Each evaluator's detection without assistance (x) against with it (y); above the
    diagonal, assistance helped that evaluator. None unless someone has both."""
    rates: dict[str, dict[str, float]] = {}
    for key, c in by_evaluator.items():
        condition, evaluator = key.split(" / ", 1)
        if c["detection_rate"] is not None:
            rates.setdefault(evaluator, {})[condition] = c["detection_rate"]
    figure, axes = plt.subplots(figsize=(4.6, 4.2), dpi=110)
    drawn = False
    for condition in ("assisted", "misleading"):
        pairs = [
            (r["unassisted"], r[condition])
            for r in rates.values()
            if {"unassisted", condition} <= set(r)
        ]
        if pairs:
            drawn = True
            axes.scatter(
                *zip(*pairs, strict=True), color=_COLORS[condition], label=condition, alpha=0.8
            )
    if not drawn:
        plt.close(figure)
        return None
    axes.plot([0, 1], [0, 1], color="#888888", linewidth=1, linestyle="--")
    axes.set_xlim(-0.05, 1.05)
    axes.set_ylim(-0.05, 1.05)
    axes.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    axes.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    axes.set_xlabel("detection, unassisted")
    axes.set_ylabel("detection, with the assistant")
    axes.set_title("Per evaluator")
    axes.legend(fontsize=8, frameon=False, loc="lower right")
    return _png(figure)


_SANDWICH_LINES = (
    ("alone", "weak evaluator alone", _COLORS["unassisted"], "o"),
    ("assisted", "weak evaluator + assistant", _COLORS["assisted"], "s"),
    ("assistant", "assistant alone", "#ff7f0e", "^"),
)
_ON_TOP = {"assisted": 3.0}  # the curve the figure is about, over an equal one


def sandwich_figure(run: dict[str, Any]) -> bytes:
    """One sandwiching run: accuracy over p (the share of the assistant's responses
    manipulated) of the weak model evaluator alone, with the assistant, and of the assistant's
    own verdict, each with its 95% bootstrap interval, against the expert (the ground truth,
    100%) and chance (50%); beside it, the share of manipulated responses the evaluator
    followed and switched to."""
    points = sorted(run["points"], key=lambda pt: pt["p"])
    ps = [pt["p"] for pt in points]
    dodge = 0.012  # the three intervals at one p side by side, not on top of each other
    figure, (left, right) = plt.subplots(
        1, 2, figsize=(9, 3.4), dpi=110, gridspec_kw={"width_ratios": [3, 2]}
    )
    left.axhline(run.get("expert", 1.0), color="#222222", linewidth=1.2, linestyle="--")
    left.axhline(0.5, color="#aaaaaa", linewidth=1, linestyle=":")
    for offset, (key, label, color, marker) in zip((-1, 0, 1), _SANDWICH_LINES, strict=True):
        _interval_line(
            left,
            [p + offset * dodge for p in ps],
            points,
            key,
            label,
            color,
            marker,
            _ON_TOP.get(key, 2.0),
        )
    left.plot([], [], color="#222222", linewidth=1.2, linestyle="--", label="expert (ground truth)")
    left.plot([], [], color="#aaaaaa", linewidth=1, linestyle=":", label="chance")
    misalignment = (run.get("settings") or {}).get("misalignment")
    left.set_title("Accuracy" + (f" (misalignment: {misalignment})" if misalignment else ""))
    left.set_xlabel("p: share of the assistant's responses manipulated")
    left.set_ylabel("verdicts right")
    right.set_title("Manipulated responses followed")
    right.set_xlabel("p")
    drawn = False
    for offset, (key, label, color) in zip(
        (-1, 1),
        (("followed", "followed", "#d62728"), ("switched", "switched to", "#9467bd")),
        strict=True,
    ):
        drawn |= _interval_line(
            right, [p + offset * dodge for p in ps], points, key, label, color, "o"
        )
    if not drawn:
        right.text(
            0.5,
            0.5,
            "no manipulated response",
            ha="center",
            va="center",
            color="#666666",
            transform=right.transAxes,
        )
    for axes in (left, right):
        axes.set_xlim(-0.06, 1.06)
        axes.set_xticks(ps, [f"{p:g}" for p in ps])
        axes.set_ylim(-0.04, 1.06)
        axes.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
        axes.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    left.legend(ncol=3, fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22))
    if drawn:
        right.legend(
            ncol=2, fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22)
        )
    return _png(figure)


def _interval_line(
    axes: Any,
    xs: list[float],
    points: list[dict[str, Any]],
    key: str,
    label: str,
    color: str,
    marker: str,
    zorder: float = 2.0,
) -> bool:
    """Values joined by a line (a gap where a value is null) with error bars where both ends
    of the interval are known. False if no point has a value."""
    values = [pt[key]["value"] for pt in points]
    if all(v is None for v in values):
        return False
    axes.plot(
        xs,
        [math.nan if v is None else v for v in values],
        marker=marker,
        color=color,
        label=label,
        linewidth=1.6,
        zorder=zorder,
    )
    bars = [
        (x, pt[key]["value"], pt[key]["low"], pt[key]["high"])
        for x, pt in zip(xs, points, strict=True)
        if None not in (pt[key]["value"], pt[key]["low"], pt[key]["high"])
    ]
    if bars:
        axes.errorbar(
            [b[0] for b in bars],
            [b[1] for b in bars],
            yerr=[[max(b[1] - b[2], 0) for b in bars], [max(b[3] - b[1], 0) for b in bars]],
            fmt="none",
            ecolor=color,
            capsize=3,
            alpha=0.8,
            zorder=zorder,
        )
    return True


def _png(figure: Figure) -> bytes:
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()
