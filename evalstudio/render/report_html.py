"""The study report as one self-contained HTML file: tables, figures embedded, nothing fetched."""

from __future__ import annotations

import base64
import html
from typing import Any

_CSS = """
body { font-family: system-ui, sans-serif; max-width: 76rem; margin: 2rem auto; padding: 0 1rem;
       color: #1d1d1f; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { margin: 0.5rem 0; font-size: 0.92rem; }
th, td { padding: 0.3rem 0.8rem; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.muted { color: #666; font-size: 0.9rem; } img { max-width: 100%; }
.lead { font-size: 1.1rem; background: #f3f6fa; padding: 0.8rem 1rem; border-radius: 6px; }
"""


def report_html(
    report: dict[str, Any],
    figure_png: bytes | None,
    generated_at: str,
    figure_src: str | None = None,
) -> str:
    """The report; every text from the study (names) is escaped. The figure is embedded as a
    data: URI, or referred to as `figure_src` (a resource the app's view provides)."""
    esc = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "img-src data:; style-src 'unsafe-inline'\">",
        f"<title>{esc(report['study'])} — EvalStudio report</title><style>{_CSS}</style>",
        "</head><body>",
        f"<h1>{esc(report['study'])}</h1>",
        f"<p class='muted'>EvalStudio study report · {esc(generated_at)} · "
        f"format {report['format_version']}</p>",
    ]
    parts += _headline(report)
    if figure_png:
        data = base64.b64encode(figure_png).decode("ascii")
        src = figure_src or f"data:image/png;base64,{data}"
        parts.append(f"<p><img alt='Rates per condition and effects' src='{src}'></p>")
    parts += _conditions(report["conditions"])
    parts += _effects(report["effects"])
    for key, title in (
        ("by_evaluator", "Per evaluator"),
        ("by_kind", "Per kind of answer"),
        ("by_severity", "Per severity of the planted flaw"),
    ):
        if report.get(key):
            parts += _conditions(report[key], title)
    if report.get("reveal"):
        r = report["reveal"]
        parts.append("<h2>Change after reveal</h2>")
        parts.append(
            f"<p>Of {r['judged_twice']} judgments with a first verdict, {r['changed']} changed "
            f"after the assistance: {r['toward_truth']} toward the truth, "
            f"{r['away_from_truth']} away from it.</p>"
        )
    if report.get("misleading"):
        m = report["misleading"]
        parts.append("<h2>The misleading assistant</h2>")
        parts.append(
            f"<p>Right verdicts after a manipulated response: "
            f"{_pct(m['accuracy_after_manipulation'])} of {m['judged_after_manipulation']}; "
            f"after honest responses only: {_pct(m['accuracy_after_honest'])} of "
            f"{m['judged_after_honest']}. Manipulated critique points marked valid: "
            f"{m['manipulated_points_marked_valid']} of "
            f"{m['manipulated_points_marked_valid'] + m['manipulated_points_marked_invalid']} "
            f"marked (over-reliance {_pct(m['over_reliance'])}).</p>"
        )
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
    for condition, u in (report.get("usage") or {}).items():
        kinds = ", ".join(f"{k}: {v:.1f}" for k, v in u["requests_per_item"].items()) or "none"
        parts.append(
            f"<p>Assistance used ({html.escape(condition)}): on {u['items_with_help']} of "
            f"{u['items']} items; requests per item — {html.escape(kinds)}; "
            f"{u['tokens_per_item']:.0f} tokens per item.</p>"
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
    if report.get("verdict_alpha") is not None:
        parts.append(
            "<p>Agreement between evaluators on the items they share (Krippendorff's alpha, "
            f"verdicts): {report['verdict_alpha']:.2f}.</p>"
        )
    if report.get("gold"):
        parts += _conditions({"gold": report["gold"]}, "Gold items (attention checks)")
    parts.append(
        "<p class='muted'>Catch: verdict “flawed” and a reported flaw at the planted lines or "
        "passage. Intervals: two-way cluster-robust (Cameron–Gelbach–Miller) t intervals over "
        "evaluators and items; the conservative two-way bootstrap (evaluators and items "
        "resampled, 2,000 times) in the rows marked “bootstrap”; p: condition labels permuted "
        "within evaluator.</p>"
    )
    parts.append("</body></html>")
    return "\n".join(parts)


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
            f"<p class='lead'>Under <b>{html.escape(effect['treated'])}</b>, evaluators caught "
            f"{_pct(e['rate_treated'])} of planted flaws against {_pct(e['rate_control'])} "
            f"{html.escape(effect['control'])}: a difference of {e['difference']:+.0%}"
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
    "Brier",
    "time (median)",
)


def _conditions(conditions: dict[str, Any], title: str = "Rates per condition") -> list[str]:
    headers = "".join(f"<th>{h}</th>" for h in _CONDITION_HEADERS)
    rows = [f"<h2>{html.escape(title)}</h2><table cellpadding='6'><tr>{headers}</tr>"]
    for name, c in conditions.items():
        brier = "—" if c["brier"] is None else f"{c['brier']:.3f}"
        time = "—" if c["active_median_s"] is None else f"{c['active_median_s']:.0f} s"
        rows.append(
            f"<tr><td>{html.escape(name)}</td><td>{c['judgments']}</td>"
            f"<td>{c['flawed_judged']}</td><td>{c['catches']}</td><td>{c['verdict_only']}</td>"
            f"<td>{_pct(c['detection_rate'])}</td><td>{c['correct_judged']}</td>"
            f"<td>{_pct(c['false_alarm_rate'])}</td><td>{_pct(c['accuracy'])}</td>"
            f"<td>{brier}</td><td>{time}</td></tr>"
        )
    rows.append("</table>")
    return rows


def _effects(effects: list[dict[str, Any]]) -> list[str]:
    if not effects:
        return [
            "<p>No effect to estimate: the study needs flawed twins judged both with and "
            "without assistance.</p>"
        ]
    rows = [
        "<h2>Effect of assistance on detection</h2><table cellpadding='6'><tr><th>comparison</th>"
        "<th>D</th><th>95% CI</th><th>R</th><th>95% CI</th><th>p</th></tr>"
    ]
    for effect in effects:
        comparison = f"{html.escape(effect['treated'])} vs {html.escape(effect['control'])}"
        for label, e in (("", effect["effect"]), (" (bootstrap)", effect["conservative"])):
            d_ci, r_ci = e["difference_ci"], e["ratio_ci"]
            d_text = f"{d_ci['low']:+.1%} to {d_ci['high']:+.1%}" if d_ci else "—"
            r_text = f"{r_ci['low']:.2f} to {r_ci['high']:.2f}" if r_ci else "—"
            ratio = "—" if e["ratio"] is None else f"{e['ratio']:.2f}"
            p = f"{effect['p_value']:.3f}" if not label else ""
            rows.append(
                f"<tr><td>{comparison}{label}</td><td>{e['difference']:+.1%}</td>"
                f"<td>{d_text}</td><td>{ratio}</td><td>{r_text}</td><td>{p}</td></tr>"
            )
    rows.append("</table>")
    return rows
