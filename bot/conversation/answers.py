"""What counts as an answer to a node, in the one form every store keeps.

Platforms hand in raw values (a button's id, a list of ticked boxes, a typed line, "4"); the
engine stores only what `normalise` makes of them, and only after `check_answer` finds nothing
wrong, so a replay years later reads the same answers the same way.
"""

from __future__ import annotations

import unicodedata

from bot.dialogs.model import SCALE_VALUES, AnswerValue, Node


def normalise(node: Node, value: object) -> AnswerValue:
    """Bring a platform's raw value to the form stored: multi -> sorted tuple in choice order."""
    if node.kind == "multi":
        picked = value if isinstance(value, (list, tuple, set, frozenset)) else ([] if value in (None, "") else [value])
        order = {c.id: i for i, c in enumerate(node.choices)}
        return tuple(sorted({str(p) for p in picked}, key=lambda p: order.get(p, len(order))))
    if node.kind == "scale":
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
        return value if isinstance(value, int) and not isinstance(value, bool) else -1
    if node.kind == "text":
        return clean_text(value) if isinstance(value, str) else ""
    return str(value) if isinstance(value, (str, int)) else ""


def check_answer(node: Node, value: object) -> str:
    """Empty when `value` is a valid answer to `node`; otherwise a sentence saying what is wrong."""
    if node.kind == "choice":
        if node.choice(str(value)) is None or not isinstance(value, str):
            return f"'{value}' is not one of the choices: {', '.join(c.label for c in node.choices)}."
    elif node.kind == "multi":
        if not isinstance(value, tuple):
            return "Pick from the list."
        unknown = [v for v in value if node.choice(v) is None]
        if unknown:
            return f"'{unknown[0]}' is not one of the choices."
        if not node.min_picks <= len(value) <= (node.max_picks if node.max_picks is not None else len(node.choices)):
            return f"Pick between {node.min_picks} and {node.max_picks} of the choices."
    elif node.kind == "scale":
        if value not in SCALE_VALUES or isinstance(value, bool):
            return "Pick a number from 1 to 5."
    elif node.kind == "text":
        if not isinstance(value, str) or not value:
            return "Type an answer (it cannot be empty)."
        if len(value) > node.max_length:
            return f"That is {len(value)} characters; keep it to {node.max_length}."
    return ""


def clean_text(value: str) -> str:
    """Collapse whitespace and drop control characters: a typed answer is one tidy line."""
    kept = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in unicodedata.normalize("NFC", value))
    return " ".join(kept.split())
