"""Reading a typed reply as an answer: "2", "1,3", "yes", "part-time".

Shared by every adapter that lets people type instead of click (the terminal, Discord DMs), so
"yes" means the same thing everywhere and an ambiguous word is never guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.conversation.replies import Option, Question


@dataclass(frozen=True)
class Typed:
    value: object = None
    hint: str = ""  # non-empty: the reply was not understood; show this and ask again

    @property
    def ok(self) -> bool:
        return not self.hint


def read_answer(question: Question, text: str) -> Typed:
    text = text.strip()
    if question.kind == "text":
        if not text:
            return Typed(hint="Type an answer (it cannot be empty).")
        return Typed(text)
    if question.kind == "multi":
        return _read_multi(question, text)
    option = _one_option(question.options, text)
    if isinstance(option, str):
        return Typed(hint=option)
    return Typed(int(option.id) if question.kind == "scale" else option.id)


def options_hint(options: tuple[Option, ...]) -> str:
    return "Reply with a number: " + "; ".join(f"{i} = {o.label}" for i, o in enumerate(options, 1))


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _one_option(options: tuple[Option, ...], text: str) -> Option | str:
    if text.isdigit():
        number = int(text)
        if 1 <= number <= len(options):
            return options[number - 1]
        return f"There is no choice {number}. {options_hint(options)}"
    said = _words(text)
    if not said:
        return options_hint(options)
    exact = [o for o in options if _words(o.label) == said or o.id == said.replace(" ", "_")]
    if len(exact) == 1:
        return exact[0]
    starting = [o for o in options if _words(o.label).startswith(said)]
    if len(starting) == 1:
        return starting[0]
    containing = [o for o in options if re.search(rf"\b{re.escape(said)}\b", _words(o.label))]
    if len(containing) == 1:
        return containing[0]
    if len(starting) > 1 or len(containing) > 1:
        return f"'{text}' fits more than one choice. {options_hint(options)}"
    return f"I didn't catch that. {options_hint(options)}"


def _read_multi(question: Question, text: str) -> Typed:
    if text in {"0", "-", "none"}:
        picked: list[str] = []
    else:
        parts = [p for p in re.split(r"[,\s]+", text) if p]
        if not parts:
            return Typed(hint=f"Type the numbers of your picks, e.g. 1,3. {options_hint(question.options)}")
        picked = []
        for part in parts:
            option = _one_option(question.options, part)
            if isinstance(option, str):
                return Typed(hint=option)
            picked.append(option.id)
    if len(picked) < question.min_picks:
        return Typed(hint=f"Pick at least {question.min_picks}. {options_hint(question.options)}")
    if question.max_picks and len(set(picked)) > question.max_picks:
        return Typed(hint=f"Pick at most {question.max_picks}.")
    return Typed(tuple(picked))
