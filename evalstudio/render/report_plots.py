"""The report's figures as PNG bytes (matplotlib, Agg: no display, no window).

Imported only when a report is drawn: matplotlib costs ~40 MiB that the review window, which
never draws one, should not carry.
"""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after choosing the backend
from matplotlib.ticker import MaxNLocator


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
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()
