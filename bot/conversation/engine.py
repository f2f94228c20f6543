"""The pure conversation engine: (dialog, session, action) in, (session, replies) out.

No I/O and no clock of its own (the caller passes `now`), so every dialog can be walked
exhaustively in tests and a turn is the same on every platform. Its one memory, where each
session's last turn left it (`_where`), changes what a turn costs, never what it returns. A rejected action returns the
session it was given, untouched, with a Notice saying why.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot import words
from bot.conversation.answers import check_answer, clean_text, normalise
from bot.conversation.explain import result_card
from bot.conversation.replies import Notice, NoticeKind, Option, Progress, Question, Reply, To
from bot.conversation.session import Session
from bot.dialogs.commands import surface_of
from bot.dialogs.facts import facts
from bot.dialogs.model import RESULT, SCALE_VALUES, AnswerRecord, AnswerValue, Dialog, Node, Outcome
from bot.dialogs.scoring import choose_outcome, fill, next_after, record_answer, route


@dataclass(frozen=True)
class Step:
    session: Session
    replies: tuple[Reply, ...]
    accepted: bool = True


@dataclass
class Position:
    """Where replaying a session's answers leads: a question to ask, or an outcome."""

    node: Node | None = None
    outcome: Outcome | None = None
    preface: list[str] = field(default_factory=list)
    answers: dict[str, AnswerValue] = field(default_factory=dict)
    scores: dict[str, int] = field(default_factory=dict)
    questions_answered: int = 0
    problem: str = ""


# --- public actions ---------------------------------------------------------------------------


def start(
    dialog: Dialog,
    *,
    session_id: str,
    owner: str,
    now: float,
    prefill: Mapping[str, str] | None = None,
    context: Mapping[str, str] | None = None,
    surface: str = "",
) -> Step:
    """A new session; `prefill` answers text nodes up front (e.g. the agency's name)."""
    answers: list[AnswerRecord] = []
    position = replay(dialog, ())
    while prefill and position.node is not None and position.node.kind == "text" and position.node.id in prefill:
        value = clean_text(prefill[position.node.id])[: position.node.max_length]
        if check_answer(position.node, value):
            break
        answers.append(AnswerRecord(position.node.id, value))
        position = replay(dialog, answers)
    context = dict(context or {})
    if answers:
        context["prefilled"] = ",".join(a.node for a in answers)
    session = Session(
        id=session_id,
        owner=owner,
        dialog_id=dialog.id,
        dialog_hash=dialog.content_hash,
        version=0,
        started_at=now,
        updated_at=now,
        context=tuple(sorted(context.items())),
        surface=surface,
    )
    return _advance(dialog, session, tuple(answers), now)


def answer(dialog: Dialog, session: Session, *, node: str, value: object, version: int | None, now: float) -> Step:
    """Answer the current question. The click must name the node (and version) it answers."""
    if session.dialog_hash != dialog.content_hash and not session.finished and not fits(dialog, session):
        return Step(session, show(dialog, session), accepted=False)  # the "questions changed" notice, with a restart
    refusal = _check_fresh(dialog, session, node, version)
    if refusal:
        return _refuse(session, NoticeKind.STALE, refusal)
    position = _where(dialog, session)
    if position.node is None:
        return _refuse(session, NoticeKind.STALE, words.ALREADY_FINISHED)
    normalised = normalise(position.node, value)
    problem = check_answer(position.node, normalised)
    if problem:
        return _refuse(session, NoticeKind.INVALID, problem)
    record = AnswerRecord(node, normalised)
    return _advance(dialog, session, (*session.answers, record), now, after=_continue(dialog, position, record))


def back(dialog: Dialog, session: Session, *, version: int | None, now: float) -> Step:
    """Undo the last answer (as often as there are answers)."""
    if not session.shows(version):
        return _refuse(session, NoticeKind.STALE, words.EARLIER_STEP)
    if not session.answers or session.answers == _prefilled(session):
        return _refuse(session, NoticeKind.INVALID, words.FIRST_QUESTION)
    undone = session.answers[-1]
    value = list(undone.value) if isinstance(undone.value, tuple) else undone.value
    return _advance(dialog, session, session.answers[:-1], now, went_back=json.dumps([undone.node, value]))


def restart(dialog: Dialog, session: Session, *, version: int | None, now: float) -> Step:
    if not session.shows(version):
        return _refuse(session, NoticeKind.STALE, words.EARLIER_STEP)
    return _advance(dialog, session, _prefilled(session), now)


def show(dialog: Dialog, session: Session) -> tuple[Reply, ...]:
    """The replies that describe where a session stands now (for resume and re-rendering)."""
    if session.dialog_hash != dialog.content_hash and not fits(dialog, session):
        return (
            Notice(
                NoticeKind.CHANGED,
                f"The questions of '{dialog.title}' changed since you started, so your answers no"
                " longer fit. Start over to take the new version.",
                session.id,
                to=To.HERE,  # in place of the check's message, with a Start over button
            ),
        )
    return _replies(dialog, session, replay(dialog, session.answers))


def fits(dialog: Dialog, session: Session) -> bool:
    """Whether a session begun on another version of the dialog can simply continue."""
    position = replay(dialog, session.answers)
    if position.problem:
        return False
    if position.node is None:
        return position.outcome is not None and (session.outcome in (None, position.outcome.id))
    return position.node.id == session.node and facts(dialog).signatures[position.node.id] == session.node_signature


# --- replaying answers --------------------------------------------------------------------------


def replay(dialog: Dialog, answers: tuple[AnswerRecord, ...] | list[AnswerRecord]) -> Position:
    return _walk(dialog, Position(scores={d.id: 0 for d in dialog.dimensions}), dialog.start, answers)


# Where each session's last turn left it, so that its next answer need not replay every answer
# before it (two fifths of an answer's cost at the ninth question: 51 of 126 us). A memo of
# `replay`, which is a function of the dialog and the answers alone: a kept position is used only
# for the same dialog (its content hash) and equal answers, so a session moved on by another process
# meanwhile is replayed as before. Kept positions are never changed afterwards (`_continue` walks on
# from a copy). At most `MAX_REMEMBERED` sessions, the least recently moved forgotten first: a
# position weighs about 4.4 KB, so 9 MB at most, and a miss costs only the replay it would have cost.
MAX_REMEMBERED = 2048
_LAST_POSITIONS: dict[str, tuple[str, tuple[AnswerRecord, ...], Position]] = {}


def _where(dialog: Dialog, session: Session) -> Position:
    kept = _LAST_POSITIONS.get(session.id)
    if kept is not None and kept[0] == dialog.content_hash and kept[1] == session.answers:
        return kept[2]
    return replay(dialog, session.answers)


def _remember(session: Session, position: Position) -> None:
    _LAST_POSITIONS.pop(session.id, None)
    _LAST_POSITIONS[session.id] = (session.dialog_hash, session.answers, position)
    if len(_LAST_POSITIONS) > MAX_REMEMBERED:
        del _LAST_POSITIONS[next(iter(_LAST_POSITIONS))]


def _continue(dialog: Dialog, position: Position, record: AnswerRecord) -> Position:
    """Where one more answer leads from a replayed position: the same as replaying them all, once."""
    assert position.node is not None
    resumed = Position(answers=dict(position.answers), scores=dict(position.scores), questions_answered=position.questions_answered)
    return _walk(dialog, resumed, position.node.id, (record,))


def _walk(dialog: Dialog, position: Position, target: str | None, answers: tuple[AnswerRecord, ...] | list[AnswerRecord]) -> Position:
    index = 0
    budget = (len(dialog.nodes) + 1) * (len(answers) + 1) + 1
    while target is not None:
        budget -= 1
        if budget < 0:
            position.problem = "the dialog loops without asking anything"
            return position
        if target == RESULT or dialog.is_outcome(target):
            position.outcome = (
                choose_outcome(dialog, position.answers, position.scores) if target == RESULT else dialog.outcome(target)
            )
            break
        node = dialog.nodes[target]
        if node.kind == "message":
            position.preface.append(fill(dialog, node.text, position.answers))
            target = node.next
        elif node.kind == "branch":
            target = route(dialog, node, position.answers, position.scores)
        elif index < len(answers):
            record = answers[index]
            if record.node != node.id or check_answer(node, record.value):
                position.problem = f"answer {index + 1} does not fit question '{node.id}'"
                return position
            record_answer(dialog, position.answers, position.scores, node, record.value)
            position.preface = []
            position.questions_answered += 1
            index += 1
            target = next_after(node, record.value)
        else:
            position.node = node
            return position
    if index < len(answers):
        position.problem = "there are answers beyond the end of the dialog"
    return position


# --- internals ---------------------------------------------------------------------------


def _check_fresh(dialog: Dialog, session: Session, node: str, version: int | None) -> str:
    if session.finished:
        return words.ALREADY_FINISHED_START_OVER
    if node != session.node:
        return words.ALREADY_ANSWERED
    if not session.shows(version):
        return words.EARLIER_STEP
    return ""


def _refuse(session: Session, kind: NoticeKind, text: str) -> Step:
    return Step(session, (Notice(kind, text, session.id),), accepted=False)


def _prefilled(session: Session) -> tuple[AnswerRecord, ...]:
    """The leading text answers given with the start command (a restart keeps them)."""
    prefilled = (session.context_value("prefilled") or "").split(",")
    keep: list[AnswerRecord] = []
    for record in session.answers:
        if record.node not in prefilled:
            break
        keep.append(record)
    return tuple(keep)


def _advance(
    dialog: Dialog,
    session: Session,
    answers: tuple[AnswerRecord, ...],
    now: float,
    after: Position | None = None,
    went_back: str = "",
) -> Step:
    position = after if after is not None else replay(dialog, answers)
    if position.problem:
        return _refuse(session, NoticeKind.INVALID, words.DOES_NOT_FIT.format(problem=position.problem))
    context = tuple((k, v) for k, v in session.context if k != WENT_BACK)
    if went_back:
        context = tuple(sorted((*context, (WENT_BACK, went_back))))
    changes = dict(
        context=context,
        answers=answers,
        node=position.node.id if position.node else None,
        node_signature=facts(dialog).signatures[position.node.id] if position.node else "",
        scores=tuple(position.scores.items()),
        outcome=position.outcome.id if position.outcome else None,
        dialog_hash=dialog.content_hash,
        updated_at=now,
    )
    new = session.bump(**changes)
    _remember(new, position)
    return Step(new, _replies(dialog, new, position))


WENT_BACK = "went_back"  # context key: the answer a Back just undid, shown as the earlier choice


def _previous(session: Session, node: Node) -> tuple[str, ...]:
    """What the user answered here before going back, so they see their earlier choice."""
    raw = session.context_value(WENT_BACK)
    if not raw:
        return ()
    undone_node, value = json.loads(raw)
    if undone_node != node.id:
        return ()
    return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)


def _replies(dialog: Dialog, session: Session, position: Position) -> tuple[Reply, ...]:
    if position.outcome is not None:
        return (result_card(dialog, session, position.outcome, tuple(position.preface)),)
    assert position.node is not None
    return (question(dialog, session, position),)


def question(dialog: Dialog, session: Session, position: Position) -> Question:
    node = position.node
    assert node is not None
    kind = node.kind
    assert kind != "message" and kind != "branch", "replaying answers stops only at a question"
    low, high = facts(dialog).remaining[node.id]
    asked = position.questions_answered - len(_prefilled(session))  # a name given with the command was not asked
    number = asked + 1
    where = surface_of(session.owner)
    options: tuple[Option, ...]
    if node.kind == "scale":
        options = tuple(Option(str(v), _scale_label(node, v)) for v in SCALE_VALUES)
    else:
        options = tuple(Option(c.id, fill(dialog, c.label, position.answers, where)) for c in node.choices)
    return Question(
        session_id=session.id,
        version=session.version,
        dialog_id=dialog.id,
        dialog_title=dialog.title,
        node=node.id,
        kind=kind,
        text=fill(dialog, node.text, position.answers, where),
        options=options,
        progress=Progress(number, asked + high),  # the longest way from here: "about" never grows
        why=fill(dialog, node.why, position.answers, where),
        source=dialog.article_title(node.source.file) if node.source else "",
        preface=tuple(fill(dialog, p, position.answers, where) for p in position.preface),
        min_picks=node.min_picks,
        max_picks=node.max_picks or 0,
        scale_low=node.scale_low,
        scale_high=node.scale_high,
        max_length=node.max_length if node.kind == "text" else 0,
        can_go_back=len(session.answers) > len(_prefilled(session)),
        surface=session.surface,
        previous=_previous(session, node),
        description=dialog.description if asked == 0 else "",
    )


def _scale_label(node: Node, value: int) -> str:
    if value == SCALE_VALUES[0] and node.scale_low:
        return f"{value} - {node.scale_low}"
    if value == SCALE_VALUES[-1] and node.scale_high:
        return f"{value} - {node.scale_high}"
    return str(value)
