"""Core replies as plain terminal text (no colours: output is often piped or logged)."""

from __future__ import annotations

import textwrap
import time

from bot.bars import score_bar
from bot.replies import History, Notice, Question, Reply, ResultCard

WIDTH = 76
BAR = 20


def render(reply: Reply) -> str:
    if isinstance(reply, Question):
        return render_question(reply)
    if isinstance(reply, ResultCard):
        return render_result(reply)
    if isinstance(reply, History):
        return render_history(reply)
    return render_notice(reply)


def _wrap(text: str, indent: str = "") -> str:
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent)


def render_question(q: Question) -> str:
    parts = [_wrap(p) for p in q.preface]
    head = f"[{q.progress.text}]"
    parts.append(f"{head}\n{_wrap(q.text)}")
    if q.why:
        parts.append(_wrap(f"Why we ask: {q.why} ({q.source})", "  "))
    if q.kind == "text":
        parts.append(f"Type your answer (at most {q.max_length} characters).")
    else:
        parts.append("\n".join(f"  {i}. {o.label}" for i, o in enumerate(q.options, 1)))
        if q.kind == "multi":
            parts.append(_multi_hint(q))
    parts.append("(b = back, r = restart, q = quit and resume later)" if q.can_go_back else "(r = restart, q = quit)")
    return "\n\n".join(parts)


def _multi_hint(q: Question) -> str:
    if q.min_picks == 0:
        return "Pick any: type the numbers, e.g. 1,3 (or 0 for none of these)."
    return f"Pick at least {q.min_picks}: type the numbers, e.g. 1,3."


def render_result(card: ResultCard) -> str:
    parts = [_wrap(p) for p in card.preface]
    rule = "=" * WIDTH
    parts.append(f"{rule}\nRECOMMENDATION: {card.title}\n{rule}\n{_wrap(card.summary)}")
    if card.why:
        parts.append(_wrap(f"From the article: {card.why}", "  "))
    label_width = max((len(s.label) for s in card.scores), default=10)
    parts.append(
        "Scores:\n"
        + "\n".join(f"  {s.label:<{label_width}}  [{score_bar(s, BAR, full='#', empty='-')}] {s.score:+d}" for s in card.scores)
    )
    if card.drivers:
        parts.append(
            "Why this recommendation:\n"
            + "\n".join(_wrap(f"- {d.question}: {d.answer}" + (f" ({d.why})" if d.why else ""), "  ") for d in card.drivers)
        )
    parts.append("Next steps:\n" + "\n".join(_wrap(f"[ ] {step}", "  ") for step in card.next_steps))
    if card.still_to_settle:
        parts.append("Still to settle:\n" + "\n".join(_wrap(f"? {item}", "  ") for item in card.still_to_settle))
    parts.append("Sources: " + ", ".join(card.sources))
    parts.append("(b = back to the last question, r = start over, q = quit)")
    return "\n\n".join(parts)


def render_history(history: History) -> str:
    if not history.entries:
        return "No finished checks yet."
    return "\n".join(
        f"- {time.strftime('%Y-%m-%d', time.gmtime(e.finished_at))}  {e.dialog_title}: {e.outcome_title}"
        for e in history.entries
    )


def render_notice(notice: Notice) -> str:
    return f"! {notice.text}"
