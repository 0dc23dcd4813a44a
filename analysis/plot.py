"""`mood.png`: mood and chat rate over a stream, with the hype peaks and swings marked.

Drawn on a bare matplotlib Figure (Agg canvas, no pyplot state), 1600x900 pixels: mood per
bucket on top, messages per second and hype below, both on one time axis in h:mm:ss.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MultipleLocator

from analysis.moments import Moment, TimelineRow, hms
from mood.tracker import Bucket

SIZE_INCHES, DPI = (16, 9), 100  # 1600 x 900 pixels
STYLE: dict[Any, Any] = {"font.size": 13, "axes.titlesize": 17, "axes.labelsize": 14, "legend.fontsize": 12}
UP, DOWN, RATE, HYPE, HYPE_TEXT = "#2e9e44", "#d1342f", "#a9b6c8", "#e8890c", "#7a4500"
MAX_PLOTTED_BUCKETS = 1500  # more than the 1600 pixels can show; longer timelines are merged
TICK_STEPS = (10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400)  # seconds


def plot_mood(rows: Sequence[TimelineRow], moments: Sequence[Moment], path: Path, *, title: str,
              time_note: str = "") -> Figure:
    """Draw the timeline and the moments, save to `path` (PNG) and return the figure."""
    rows = coarsen(rows, MAX_PLOTTED_BUCKETS)
    times = [m.at for m in moments]
    if rows:
        times += [rows[0].bucket.start, rows[-1].bucket.start + rows[-1].bucket.length]
    begin, end = (min(times), max(times)) if times else (0.0, 1.0)
    span = max(end - begin, 1.0)
    with rc_context(STYLE):
        figure = Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
        mood_ax, rate_ax = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
        _draw_mood(mood_ax, rows)
        hype_ax = _draw_rate(rate_ax, rows)
        # Labels near the right edge are set to the left of their mark, so none run off the plot.
        flip = begin + 0.85 * span
        _mark_swings(mood_ax, rate_ax, [m for m in moments if m.kind == "swing"], flip)
        _mark_peaks(hype_ax, [m for m in moments if m.kind == "hype peak"], flip)
        mood_ax.set_title(title)
        rate_ax.set_xlabel("time into the recording (h:mm:ss)" + (f" - {time_note}" if time_note else ""))
        rate_ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: hms(x)))
        rate_ax.set_xlim(begin - 0.01 * span, end + 0.01 * span)
        step = next((s for s in TICK_STEPS if span / s <= 12), TICK_STEPS[-1])
        rate_ax.xaxis.set_major_locator(MultipleLocator(step))
        figure.savefig(path, dpi=DPI)
    return figure


def coarsen(rows: Sequence[TimelineRow], limit: int) -> Sequence[TimelineRow]:
    """Merge runs of neighbouring buckets until at most `limit` are left (hype: the peak)."""
    size = -(-len(rows) // limit)  # ceiling division
    if size <= 1:
        return rows
    merged = []
    for start in range(0, len(rows), size):
        group = rows[start:start + size]
        bucket = Bucket(group[0].bucket.start, group[0].bucket.length * size)
        for row in group:
            bucket.merge(row.bucket)
        peaks = [r.hype for r in group if r.hype is not None]
        merged.append(TimelineRow(bucket, max(peaks) if peaks else None))
    return merged


def _draw_mood(ax, rows: Sequence[TimelineRow]) -> None:
    starts = [r.bucket.start + r.bucket.length / 2 for r in rows]
    means = [r.mean if r.mean is not None else float("nan") for r in rows]
    ax.axhline(0, color="#888888", linewidth=1)
    ax.fill_between(starts, means, 0, where=[m >= 0 for m in means], color=UP, alpha=0.25,
                    interpolate=True, label="positive")
    ax.fill_between(starts, means, 0, where=[m < 0 for m in means], color=DOWN, alpha=0.25,
                    interpolate=True, label="negative")
    ax.plot(starts, means, color="#333333", linewidth=1.6, label="mood (mean per bucket)")
    ax.set_ylim(-1.05, 1.05)
    ax.set_ylabel("mood: P(positive) - P(negative)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower left", ncols=3)


def _draw_rate(ax, rows: Sequence[TimelineRow]):
    starts = [r.bucket.start for r in rows]
    width = rows[0].bucket.length if rows else 1.0
    ax.bar(starts, [r.rate for r in rows], width=width, align="edge", color=RATE, label="messages / s")
    ax.set_ylabel("messages / s")
    ax.grid(True, axis="x", alpha=0.3)
    hype_ax = ax.twinx()
    hype = [r.hype if r.hype is not None else float("nan") for r in rows]
    centres = [s + width / 2 for s in starts]
    hype_ax.plot(centres, hype, color=HYPE, linewidth=1.8, label="hype (peak per bucket)")
    hype_ax.set_ylim(0, 140)  # room above 100 for the peak labels
    hype_ax.set_ylabel("hype (0-100)")
    handles = ax.get_legend_handles_labels()[0] + hype_ax.get_legend_handles_labels()[0]
    ax.legend(handles, [h.get_label() for h in handles], loc="upper left")
    return hype_ax


def _mark_swings(mood_ax, rate_ax, swings: Sequence[Moment], flip: float) -> None:
    for index, swing in enumerate(sorted(swings, key=lambda m: m.at)):
        color = UP if (swing.change or 0) > 0 else DOWN
        for ax in (mood_ax, rate_ax):
            ax.axvline(swing.at, color=color, linestyle="--", linewidth=1.4)
        marker = "^" if color == UP else "v"
        mood_ax.plot([swing.at], [swing.after], marker=marker, color=color, markersize=11)
        label = f"swing {hms(swing.at)}\n{swing.before:+.2f} -> {swing.after:+.2f}"
        y = 0.97 - 0.13 * (index % 3)  # staggered so neighbouring labels do not overlap
        right = swing.at > flip
        mood_ax.annotate(label, xy=(swing.at, y), xycoords=("data", "axes fraction"),
                         xytext=(-4 if right else 4, 0), textcoords="offset points",
                         ha="right" if right else "left", va="top", color=color, fontsize=12,
                         bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": color, "alpha": 0.9})


def _mark_peaks(hype_ax, peaks: Sequence[Moment], flip: float) -> None:
    for index, peak in enumerate(sorted(peaks, key=lambda m: m.at)):
        hype_ax.plot([peak.at], [peak.hype], marker="*", color=HYPE, markersize=16, markeredgecolor=HYPE_TEXT)
        lift = 12 + 40 * (index % 3)  # staggered so neighbouring labels do not overlap
        hype_ax.annotate(f"hype {peak.hype}\n{hms(peak.at)}", xy=(peak.at, peak.hype), xytext=(0, lift),
                         textcoords="offset points", ha="right" if peak.at > flip else "center", va="bottom",
                         fontsize=12, color=HYPE_TEXT,
                         arrowprops={"arrowstyle": "-", "color": HYPE_TEXT, "linewidth": 0.8},
                         bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": HYPE, "alpha": 0.9})
