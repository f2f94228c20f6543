"""The advice's own figures, from an exact walk of every path: `outsource-check advice`.

What an author (and a reviewer) needs to judge a dialog's advice at a glance: how often each
outcome is reached, whether any path ends without a reason or with a contradiction, how many
questions a path asks, and which questions are asked once the outcome can no longer change.
The block between the markers in docs/advice.md is written by this, never by hand.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bot.dialogs.advice_check import prove
from bot.dialogs.model import Dialog
from bot.dialogs.walk import MAX_STATES, SAMPLE_STEPS, walk

BEGIN = "<!-- advice figures: begin (written by `outsource-check advice --write docs/advice.md`) -->"
END = "<!-- advice figures: end -->"


@dataclass(frozen=True)
class Figures:
    dialog: Dialog
    exhaustive: bool
    total: int
    by_outcome: dict[str, int]
    without_reason: int
    contradicting: int
    repeating: int
    questions_median: float
    questions_max: int
    questions_min: int
    asked_after_settled: dict[str, int]  # question -> paths that ask it once the outcome is certain
    problems: int


def figures(dialog: Dialog) -> Figures:
    report = walk(dialog, max_states=MAX_STATES, detail=True, advice=False)  # where paths end, and when that is certain
    judged = prove(dialog, max_states=MAX_STATES, sample_steps=SAMPLE_STEPS) if report.exhaustive else None
    lengths = report.questions
    return Figures(
        dialog=dialog,
        exhaustive=report.exhaustive and judged is not None,
        total=report.total,
        by_outcome={o.id: report.by_outcome[o.id] for o in dialog.outcomes},
        without_reason=judged.paths_without_reason if judged else -1,
        contradicting=judged.paths_with_contradiction if judged else -1,
        repeating=judged.paths_with_repeats if judged else -1,
        questions_median=median(lengths),
        questions_max=max(lengths, default=0),
        questions_min=min(lengths, default=0),
        asked_after_settled=dict(report.after_settled.most_common()),
        problems=len(judged.findings) if judged else -1,
    )


def markdown(all_figures: list[Figures]) -> str:
    lines = [BEGIN, ""]
    for f in all_figures:
        d = f.dialog
        lines += [f"### {d.title} (`{d.id}`)", ""]
        if not f.exhaustive:
            lines += ["Too many states to walk every path: no figures.", ""]
            continue
        lines += [f"{f.total:,} paths, every one walked.", "", "| outcome | paths | share |", "| --- | ---: | ---: |"]
        for outcome in d.outcomes:
            count = f.by_outcome[outcome.id]
            lines.append(f"| {outcome.title} (`{outcome.id}`{', fallback' if outcome.fallback else ''}) | {count:,} | {100 * count / f.total:.1f}% |")
        settled = sum(f.asked_after_settled.values())
        lines += [
            "",
            "| measure | figure | target |",
            "| --- | ---: | ---: |",
            f"| paths that end with no reason that holds | {f.without_reason:,} | 0 |",
            f"| paths whose card rests a reason on an answer against it, leaves such an answer unnamed, or raises a settled topic | {f.contradicting:,} | 0 |",
            f"| paths whose card says a sentence twice | {f.repeating:,} | 0 |",
            f"| questions per path: fewest / median / most | {f.questions_min} / {f.questions_median:g} / {f.questions_max} | |",
            f"| questions asked once the outcome is already certain, per path | {settled / f.total:.2f} | as few as the advice needs |",
            "",
        ]
        shown = {node: paths for node, paths in f.asked_after_settled.items() if paths * 1000 >= f.total}
        if shown:
            lines.append("Asked once the outcome is certain (on at least 0.1% of paths; these answers still shape the reasons,"
                         " tensions and next steps): "
                         + ", ".join(f"`{node}` on {100 * paths / f.total:.1f}% of paths" for node, paths in shown.items())
                         + ".")
            lines.append("")
    lines.append(END)
    return "\n".join(lines)


def write(path: Path, all_figures: list[Figures]) -> None:
    """Replace the figures block of `path` (or append one), keeping the hand-written text around it."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    block = markdown(all_figures)
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def median(counts: Counter[int]) -> float:
    total = sum(counts.values())
    if not total:
        return 0.0
    running, half = 0, total / 2
    for value in sorted(counts):
        running += counts[value]
        if running >= half:
            return float(value)
    return float(max(counts))
