"""The result card: a recommendation that explains itself.

The explanation is authored, not computed from score weights: each outcome carries reasons
(why it fits these answers) and tensions (answers that pull the other way, and what to do about
them), written from the articles. The card shows the ones that hold, most specific first, so an
owner reads a consultant's reasoning about *their* answers; the score bars stay a picture of the
answers, not the argument.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.conversation.replies import Advice, ResultCard, ScoreLine
from bot.conversation.session import ROUND_CONTEXT, Session
from bot.dialogs import advice
from bot.dialogs.advice import MAX_REASONS
from bot.dialogs.commands import surface_of
from bot.dialogs.model import AnswerValue, Dialog, Dimension, Outcome, Point
from bot.dialogs.scoring import asked_dimensions, fill, score, shown


def result_card(dialog: Dialog, session: Session, outcome: Outcome, preface: tuple[str, ...] = ()) -> ResultCard:
    answers = session.answer_map()
    where = surface_of(session.owner)
    scores = score(dialog, answers)
    asked = asked_dimensions(dialog, answers)  # a dimension the path never asked about gets no bar
    lines = tuple(_score_line(dialog, d, scores, answers) for d in dialog.dimensions if d.id in asked)
    settle = tuple(
        fill(dialog, node.follow_up or node.text, answers, where) for node in advice.open_points(dialog, outcome, answers)
    )
    subject = next((str(answers[n.id]) for n in dialog.nodes.values() if n.save_as and n.id in answers), "")
    return ResultCard(
        session_id=session.id,
        version=session.version,
        dialog_id=dialog.id,
        dialog_title=dialog.title,
        outcome=outcome.id,
        title=fill(dialog, outcome.title, answers, where),
        summary=fill(dialog, outcome.summary, answers, where),
        why=fill(dialog, outcome.why or outcome.source.quote, answers),
        scores=lines,
        reasons=reasons(dialog, outcome, scores, answers, where),
        tensions=tensions(dialog, outcome, scores, answers, where),
        next_steps=tuple(fill(dialog, p.text, answers, where) for p in advice.next_steps(outcome, scores, answers)),
        still_to_settle=settle,
        sources=tuple(dialog.article_title(a.file) for a in dialog.articles),
        preface=preface,
        subject=subject,
        surface=session.surface,
        # a member who published before the reveal would anchor the others: the round shares, together
        can_share=session.context_value(ROUND_CONTEXT) is None,
    )


def _score_line(dialog: Dialog, dimension: Dimension, scores: Mapping[str, int], answers: Mapping[str, AnswerValue]) -> ScoreLine:
    bar = shown(dialog, dimension, scores, answers)
    return ScoreLine(dimension.id, dimension.label, bar.score, bar.low, bar.high, dimension.why, bar.ruled_out)


def reasons(
    dialog: Dialog, outcome: Outcome, scores: Mapping[str, int], answers: Mapping[str, AnswerValue], where: str = ""
) -> tuple[Advice, ...]:
    return tuple(_advice(dialog, p, answers, where) for p in advice.applying(outcome.reasons, scores, answers)[:MAX_REASONS])


def tensions(
    dialog: Dialog, outcome: Outcome, scores: Mapping[str, int], answers: Mapping[str, AnswerValue], where: str = ""
) -> tuple[Advice, ...]:
    return tuple(_advice(dialog, p, answers, where) for p in advice.shown_tensions(dialog, outcome, scores, answers))


def _advice(dialog: Dialog, point: Point, answers: Mapping[str, AnswerValue], where: str) -> Advice:
    source = point.source
    return Advice(
        text=fill(dialog, point.text, answers, where),
        quote=source.quote if source else "",
        article=dialog.article_title(source.file) if source else "",
    )
