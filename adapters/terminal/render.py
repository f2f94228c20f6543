"""Core replies as plain terminal text (no colours: output is often piped or logged)."""

from __future__ import annotations

import re
import textwrap
import time

from bot import words
from bot.conversation.bars import score_bar
from bot.conversation.replies import Advice, History, Notice, Question, Reply, ResultCard

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


COMMAND = re.compile(r'outsource-check chat(?: --dialog \S+)?(?: --agency "[^"]*")?')
KEEP = "\u00a0"  # textwrap splits only at ASCII whitespace: a command joined by this stays on one line


def _wrap(text: str, indent: str = "", hanging: str | None = None) -> str:
    """Wrapped for the terminal; a command to type is never split across lines (nor at its hyphen)."""
    text = COMMAND.sub(lambda m: m.group(0).replace(" ", KEEP), text)
    wrapped = textwrap.fill(
        text, WIDTH, initial_indent=indent, subsequent_indent=indent if hanging is None else hanging,
        break_on_hyphens=False, break_long_words=False,
    )
    return wrapped.replace(KEEP, " ")


def render_question(q: Question) -> str:
    parts = []
    if q.description:
        parts.append(f"{q.dialog_title}\n{_wrap(q.description)}")
    parts += [_wrap(p) for p in q.preface]
    head = f"[{q.progress.text}]"
    parts.append(f"{head}\n{_wrap(q.text)}")
    if q.why:
        cited = f" (from \"{q.source}\")" if q.source else ""
        parts.append(_wrap(f"Why it matters: {q.why}{cited}", "  "))
    if q.kind == "text":
        parts.append(f"Type your answer (at most {q.max_length} characters).")
        if q.previous:
            parts.append(f"  Before, you answered: {q.previous[0]}")
    else:
        def mark(option_id: str) -> str:
            return "   <- your answer before" if option_id in q.previous else ""

        if q.kind == "scale":  # a scale's labels already start with their number
            parts.append("\n".join(f"  {o.label}{mark(o.id)}" for o in q.options))
        else:
            parts.append("\n".join(f"  {i}. {o.label}{mark(o.id)}" for i, o in enumerate(q.options, 1)))
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
    if card.reasons:
        parts.append("Why this fits your answers:\n" + "\n".join(_advice(a, "+") for a in card.reasons))
    if card.tensions:
        parts.append("What pulls the other way, and what to do about it:\n" + "\n".join(_advice(a, "!") for a in card.tensions))
    label_width = max((len(s.label) for s in card.scores), default=10)
    parts.append(
        "Your answers at a glance:\n"
        + "\n".join(f"  {s.label:<{label_width}}  [{score_bar(s, BAR, full='#', empty='-')}] {s.score:+d}" for s in card.scores)
    )
    parts.append("Next steps:\n" + "\n".join(_wrap(f"[ ] {step}", "  ", "      ") for step in card.next_steps))
    if card.still_to_settle:
        parts.append("Still to settle:\n" + "\n".join(_wrap(f"? {item}", "  ") for item in card.still_to_settle))
    parts.append(_wrap(words.BASED_ON + "; ".join(f'"{title}"' for title in card.sources)))
    parts.append("(b = back to the last question, r = start over, q = quit)")
    return "\n\n".join(parts)


def _advice(advice: Advice, mark: str) -> str:
    quote = f'\n{_wrap(chr(34) + advice.quote + chr(34) + (" - " + advice.article if advice.article else ""), "      ")}' if advice.quote else ""
    return _wrap(f"{mark} {advice.text}", "  ", "    ") + quote


def render_history(history: History) -> str:
    if not history.entries:
        return "No finished checks yet."
    return "\n".join(
        f"- {time.strftime('%Y-%m-%d', time.gmtime(e.finished_at))}  {e.dialog_title}: {e.outcome_title}"
        for e in history.entries
    )


def render_notice(notice: Notice) -> str:
    return f"! {notice.text}"
