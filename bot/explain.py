"""The result card: a recommendation that explains itself.

A bare verdict invites a shrug; pointing at the two or three answers that decided it, with the
article's reasoning beside each, is what lets a team argue with the result usefully.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot import conditions
from bot.analysis import facts
from bot.model import AnswerTest, Dialog, Node, Outcome, ScoreTest
from bot.replies import Driver, ResultCard, ScoreLine
from bot.scoring import answer_scores, fill, score
from bot.session import AnswerValue, Session

MAX_DRIVERS = 3
NAMED_BY_RULE = 1000  # an answer the rule names outright outweighs any score nudge


def result_card(dialog: Dialog, session: Session, outcome: Outcome, preface: tuple[str, ...] = ()) -> ResultCard:
    answers = session.answer_map()
    scores = score(dialog, answers)
    ranges = facts(dialog).score_ranges
    lines = tuple(
        ScoreLine(d.id, d.label, scores[d.id], ranges[d.id][0], ranges[d.id][1], d.why) for d in dialog.dimensions
    )
    settle = tuple(
        fill(dialog, dialog.nodes[node_id].follow_up or dialog.nodes[node_id].text, answers)
        for node_id, value in answers.items()
        if _needs_follow_up(dialog.nodes[node_id], value)
    )
    subject = next((str(answers[n.id]) for n in dialog.nodes.values() if n.save_as and n.id in answers), "")
    sources = tuple(dict.fromkeys([outcome.source.file, *(_sources_of(dialog, answers))]))
    return ResultCard(
        session_id=session.id,
        version=session.version,
        dialog_id=dialog.id,
        dialog_title=dialog.title,
        outcome=outcome.id,
        title=fill(dialog, outcome.title, answers),
        summary=fill(dialog, outcome.summary, answers),
        why=fill(dialog, outcome.why or outcome.source.quote, answers),
        scores=lines,
        drivers=drivers(dialog, outcome, answers),
        next_steps=tuple(fill(dialog, step, answers) for step in outcome.next_steps),
        still_to_settle=settle,
        sources=sources,
        preface=preface,
        subject=subject,
        surface=session.surface,
    )


def drivers(dialog: Dialog, outcome: Outcome, answers: Mapping[str, AnswerValue]) -> tuple[Driver, ...]:
    """The answers that pushed hardest towards this outcome, strongest first."""
    named: set[str] = set()
    wanted: dict[str, int] = {}  # dimension -> +1 (higher helps) or -1 (lower helps)
    if outcome.when is not None:
        for test, negated in conditions.leaves(outcome.when):
            if isinstance(test, AnswerTest):
                named.add(test.node)
            elif isinstance(test, ScoreTest):
                wanted[test.dimension] = 1 if conditions.wants_higher(test, negated) else -1
    weights: list[tuple[int, int, str]] = []
    for order, (node_id, value) in enumerate(answers.items()):
        node = dialog.nodes[node_id]
        points = answer_scores(node, value)
        if wanted:
            weight = sum(p * wanted[d] for d, p in points if d in wanted)
        else:  # the fallback has no rule: the answers that moved the scores most explain it
            weight = sum(abs(p) for _, p in points)
        if node_id in named:
            weight += NAMED_BY_RULE
        if weight > 0:
            weights.append((-weight, order, node_id))
    chosen = [node_id for _, _, node_id in sorted(weights)[:MAX_DRIVERS]]
    return tuple(
        Driver(
            node=node_id,
            question=fill(dialog, _short(dialog.nodes[node_id]), answers),
            answer=fill(dialog, answer_label(dialog.nodes[node_id], answers[node_id]), answers),
            why=fill(dialog, dialog.nodes[node_id].why or "", answers),
        )
        for node_id in chosen
    )


def answer_label(node: Node, value: AnswerValue) -> str:
    if node.kind == "scale":
        return f"{value} of 5"
    if node.kind == "text":
        return str(value)
    picked = value if isinstance(value, tuple) else (value,)
    labels = [c.label for c in node.choices if c.id in picked]
    return ", ".join(labels) if labels else "none of these"


def _short(node: Node) -> str:
    if node.short:
        return node.short
    return node.text if len(node.text) <= 60 else node.text[:57].rstrip() + "..."


def _needs_follow_up(node: Node, value: AnswerValue) -> bool:
    picked = value if isinstance(value, tuple) else (value,)
    return any(c.follow_up and c.id in picked for c in node.choices)


def _sources_of(dialog: Dialog, answers: Mapping[str, AnswerValue]) -> list[str]:
    return [dialog.nodes[n].source.file for n in answers if dialog.nodes[n].source is not None]
