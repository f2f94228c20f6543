"""Which authored advice applies to a set of answers: reasons, tensions, next steps, open points.

One place decides it, so the result card a user sees and the validator that proves every path
(bot/dialogs/advice_check.py) can never disagree about what a path shows.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.dialogs import conditions
from bot.dialogs.model import AnswerTest, AnswerValue, Condition, Dialog, Node, Outcome, Point

MAX_REASONS = 3
MAX_TENSIONS = 6  # every answer that pulls the other way deserves its answer; six is a backstop for the card size


def holds(point: Point, scores: Mapping[str, int], answers: Mapping[str, AnswerValue]) -> bool:
    return point.when is None or conditions.holds(point.when, scores, answers)


def specificity(point: Point, scores: Mapping[str, int], answers: Mapping[str, AnswerValue]) -> int:
    """How many of these answers a point speaks to: the tests in its condition that they pass.

    A point that rests on three of your answers says more about you than one that holds for
    anyone; counting only passing tests keeps a broad `any:` from looking specific.
    """
    if point.when is None:
        return 0
    return sum(1 for test, negated in conditions.leaves(point.when) if not negated and conditions.holds(test, scores, answers))


def applying(points: tuple[Point, ...], scores: Mapping[str, int], answers: Mapping[str, AnswerValue]) -> list[Point]:
    """The points that hold, most specific first (file order among equals)."""
    found = [p for p in points if holds(p, scores, answers)]
    return sorted(found, key=lambda p: specificity(p, scores, answers), reverse=True)


def shown_tensions(dialog: Dialog, outcome: Outcome, scores: Mapping[str, int], answers: Mapping[str, AnswerValue]) -> list[Point]:
    """The tensions a card shows: those that name an answer marked `against` the outcome first, then
    the rest, most specific first, at most `MAX_TENSIONS`. An owner whose answers raise more
    tensions than a card holds still sees every answer that pulls away from the recommendation
    answered; what gives way is advice on answers that only shade it (comfort with control, say)."""
    found = applying(outcome.tensions, scores, answers)
    pulling = set(against(dialog, outcome, answers))
    if len(found) > MAX_TENSIONS and pulling:
        found.sort(key=lambda point: not pulling.intersection(cited(point, answers)))  # stable: specificity within each
    return found[:MAX_TENSIONS]


def next_steps(outcome: Outcome, scores: Mapping[str, int], answers: Mapping[str, AnswerValue]) -> list[Point]:
    return [p for p in outcome.next_steps if holds(p, scores, answers)]


def open_points(dialog: Dialog, outcome: Outcome, answers: Mapping[str, AnswerValue]) -> list[Node]:
    """Questions answered with a `follow_up: true` choice whose open point this outcome lists."""
    return [
        dialog.nodes[node_id]
        for node_id, value in answers.items()
        if lists_open_point(outcome, node_id) and needs_follow_up(dialog.nodes[node_id], value)
    ]


def lists_open_point(outcome: Outcome, node_id: str) -> bool:
    """Whether the outcome's card shows this question's open point: all of them when it lists none."""
    return outcome.open_points is None or node_id in outcome.open_points


def marked(dialog: Dialog, outcome_id: str | None = None) -> list[tuple[str, str]]:
    """The (node, choice) answers a card must tell apart for their marks: those `against` the outcome
    (any outcome, for None) and those that `settle` a topic."""
    return [(n, c) for n, c, against, settles in _marks(dialog) if (outcome_id in against if outcome_id else against) or settles]


def needs_follow_up(node: Node, value: AnswerValue) -> bool:
    picked = value if isinstance(value, tuple) else (value,)
    return any(c.follow_up and c.id in picked for c in node.choices)


def cited(point: Point, answers: Mapping[str, AnswerValue]) -> list[tuple[str, str]]:
    """The (node, choice) answers a point's words rest on: the tests it makes that these answers pass."""
    if point.when is None:
        return []
    found = []
    for test in _answer_leaves(point.when):
        if conditions.holds(test, {}, answers):
            value = answers[test.node]
            picked: tuple[object, ...] = value if isinstance(value, tuple) else (value,)
            if test.op == "includes":
                picked = (test.value,)
            found += [(test.node, str(v)) for v in picked]
    return found


_leaves: dict[int, tuple[Condition, tuple[AnswerTest, ...]]] = {}


def _answer_leaves(condition: Condition) -> tuple[AnswerTest, ...]:
    """The answer tests a condition makes outside any `not` (by identity: asked at every ending)."""
    entry = _leaves.get(id(condition))
    if entry is None or entry[0] is not condition:
        tests = tuple(
            t for t, negated in conditions.leaves(condition)
            if not negated and isinstance(t, AnswerTest) and t.op != "answered"
        )
        entry = _leaves[id(condition)] = (condition, tests)
    return entry[1]


def against(dialog: Dialog, outcome: Outcome, answers: Mapping[str, AnswerValue]) -> list[tuple[str, str]]:
    """Answers given that the dialog marks as pulling away from this outcome."""
    marks = _marks(dialog)
    found = []
    for node_id, choice_id, outcomes, _ in marks:
        if outcome.id in outcomes and is_picked(answers.get(node_id), choice_id):
            found.append((node_id, choice_id))
    return found


def settled_topics(dialog: Dialog, answers: Mapping[str, AnswerValue]) -> dict[str, tuple[str, str]]:
    """Topic -> the (node, choice) answer that settled it."""
    found: dict[str, tuple[str, str]] = {}
    for node_id, choice_id, _, topics in _marks(dialog):
        if topics and is_picked(answers.get(node_id), choice_id):
            for topic in topics:
                found.setdefault(topic, (node_id, choice_id))
    return found


def is_picked(value: AnswerValue | None, choice_id: str) -> bool:
    return value == choice_id or (isinstance(value, tuple) and choice_id in value)


_marked: dict[tuple[str, str], list[tuple[str, str, tuple[str, ...], tuple[str, ...]]]] = {}


def _marks(dialog: Dialog) -> list[tuple[str, str, tuple[str, ...], tuple[str, ...]]]:
    """Every choice marked `against` or `settles`, in file order: a dialog has few of them."""
    key = (dialog.id, dialog.content_hash)
    if key not in _marked:
        if len(_marked) > 64:
            _marked.clear()
        _marked[key] = [
            (node.id, c.id, c.against, c.settles) for node in dialog.nodes.values() for c in node.choices if c.against or c.settles
        ]
    return _marked[key]


def answer_label(node: Node, value: AnswerValue) -> str:
    if node.kind == "scale":
        return f"{value} of 5"
    if node.kind == "text":
        return str(value)
    picked = value if isinstance(value, tuple) else (value,)
    labels = [c.label for c in node.choices if c.id in picked]
    return ", ".join(labels) if labels else "none of these"
