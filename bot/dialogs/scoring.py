"""Scores, placeholders and outcome rules: what answers add up to.

Shared by the engine (routing, the result) and the explanation, so both read answers the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.dialogs import conditions
from bot.dialogs.commands import fill_commands
from bot.dialogs.facts import contributions, facts
from bot.dialogs.model import SCALE_MIDPOINT, AnswerValue, Dialog, Dimension, Node, Outcome

PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")


def choose_outcome(
    dialog: Dialog, answers: Mapping[str, AnswerValue], scores: Mapping[str, int] | None = None
) -> Outcome:
    """The first outcome whose rule holds, in file order; the fallback when none does."""
    scores = score(dialog, answers) if scores is None else scores
    for outcome in dialog.outcomes:
        if outcome.when is not None and conditions.holds(outcome.when, scores, answers):
            return outcome
    return dialog.fallback


def score(dialog: Dialog, answers: Mapping[str, AnswerValue]) -> dict[str, int]:
    totals = {d.id: 0 for d in dialog.dimensions}
    for node_id, value in answers.items():
        for dim, points in answer_scores(dialog.nodes[node_id], value):
            totals[dim] += points
    return totals


def record_answer(
    dialog: Dialog, answers: dict[str, AnswerValue], scores: dict[str, int], node: Node, value: AnswerValue
) -> None:
    """Set an answer and keep running scores in step (a repeated node's old points come off first).

    Routing reads scores at every branch; summing all answers again each time would make a long
    path cost the square of its length.
    """
    if node.id in answers:
        for dim, points in answer_scores(node, answers[node.id]):
            scores[dim] -= points
    answers[node.id] = value
    for dim, points in answer_scores(node, value):
        scores[dim] += points


def asked_dimensions(dialog: Dialog, answers: Mapping[str, AnswerValue]) -> frozenset[str]:
    """The dimensions the owner was asked about: those some answered question can move.

    A dimension no answer could move sits at 0 only because the path never asked about it (a check
    that ends early, on the basics); shown as a bar it would read as a judgement, such as a budget
    "in the middle" for an owner who was never asked about money. An answer that could have moved
    it and did not is a judgement, and stays; an answer that leaves the point open ("not yet asked /
    unsure": a `follow_up` choice that scores nothing) is not, so it asks about nothing."""
    scored = facts(dialog).scored_by
    return frozenset(
        dimension
        for node_id, value in answers.items()
        if not _leaves_open(dialog.nodes[node_id], value)
        for dimension in scored.get(node_id, ())
    )


@dataclass(frozen=True)
class Shown:
    """Where a dimension's bar sits: its score, the scale it is drawn on, and why it is empty if it is."""

    score: int
    low: int
    high: int
    ruled_out: str = ""


def shown(dialog: Dialog, dimension: Dimension, scores: Mapping[str, int], answers: Mapping[str, AnswerValue]) -> Shown:
    """A dimension as its bar shows it.

    Most dimensions weigh answers against each other, so the bar is the sum on the scale of every
    possible sum. A `veto` dimension stands for requirements that hold only together ("little
    interest in any of those things, turn around and run"): summed, a failed one would read as
    "mostly fine". Its bar runs from nothing shown (0) to everything the questions asked could
    show (a check that stops at the first failed requirement never asked the rest: counted, they
    would make a best answer look weak), and one answer against it empties the bar and says so."""
    low, high = facts(dialog).score_ranges[dimension.id]
    if not dimension.veto:
        return Shown(scores[dimension.id], low, high)
    ceiling = sum(_best(dialog.nodes[node_id], dimension.id) for node_id in answers)
    against = any(points < 0 for node_id, value in answers.items() for dim, points in answer_scores(dialog.nodes[node_id], value) if dim == dimension.id)
    if against:
        return Shown(0, 0, ceiling, dimension.veto)
    return Shown(scores[dimension.id], 0, ceiling)  # no answer took any away: the sum is what was shown


def _best(node: Node, dimension: str) -> int:
    """The most one answer to `node` can add to `dimension` (a multi: every choice that adds)."""
    values = [vector.get(dimension, 0) for vector in contributions(node)]
    if node.kind == "multi":
        return sum(v for v in values if v > 0)
    return max([0, *values])


def _leaves_open(node: Node, value: AnswerValue) -> bool:
    if node.kind != "choice":
        return False
    choice = node.choice(str(value))
    return choice is not None and choice.follow_up and not choice.scores


def answer_scores(node: Node, value: AnswerValue) -> list[tuple[str, int]]:
    if node.kind == "scale" and isinstance(value, int):
        return [(dim, (value - SCALE_MIDPOINT) * weight) for dim, weight in node.scale_scores]
    picked = value if isinstance(value, tuple) else (value,)
    return [pair for choice in node.choices if choice.id in picked for pair in choice.scores]


def fill(dialog: Dialog, text: str, answers: Mapping[str, AnswerValue], surface: str = "") -> str:
    """Replace {name} with the saved text answer of that name and {run:DIALOG} with the surface's
    command for it; unknown braces stay as written."""
    if "{" not in text:
        return text
    saved = facts(dialog).saved_names
    if "{run:" in text:
        text = fill_commands(text, surface, {name: str(answers[n]) for name, n in saved.items() if n in answers})

    def sub(match: re.Match[str]) -> str:
        node_id = saved.get(match.group(1))
        if node_id is None:
            return match.group(0)
        value = answers.get(node_id)
        if not value:
            return "(not given)"
        return _sentence_case(str(value)) if _starts_sentence(text, match.start()) else str(value)

    return PLACEHOLDER.sub(sub, text)


def _starts_sentence(text: str, at: int) -> bool:
    before = text[:at].rstrip()
    return not before or before[-1] in ".!?"


def _sentence_case(name: str) -> str:
    """"the hive agency wants..." reads as a typo at the start of a sentence; a name whose first word has a
    capital anywhere ("iProspect", "eBay") is spelled that way on purpose and stays as typed."""
    first = name.split(" ", 1)[0]
    return name[0].upper() + name[1:] if first.islower() and first.isalpha() else name


def route(
    dialog: Dialog, node: Node, answers: Mapping[str, AnswerValue], scores: Mapping[str, int] | None = None
) -> str | None:
    scores = score(dialog, answers) if scores is None else scores
    for candidate in node.routes:
        if conditions.holds(candidate.when, scores, answers):
            return candidate.next
    return node.otherwise

def next_after(node: Node, value: AnswerValue) -> str | None:
    if node.kind == "choice":
        choice = node.choice(str(value))
        if choice is not None and choice.next:
            return choice.next
    return node.next
