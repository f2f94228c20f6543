"""Comparing a team's results and writing down what it decided.

The team's recommendation follows a rule stated to the team: the majority of the members'
outcomes; a tie goes to whichever tied outcome the dialog's own rules pick on the team's summed
scores, else to the one listed first in the dialog. The questions the team split on most come
with the article's reasoning, as prompts for the discussion thread.
"""

from __future__ import annotations

import re
import statistics
import time
from collections import Counter
from dataclasses import replace
from typing import Any, cast

from bot import words
from bot.conversation.replies import (
    DecisionRecord,
    Disagreement,
    End,
    MemberResult,
    Move,
    Position,
    Prompt,
    RoundCard,
    Spread,
    Stance,
    Strength,
    TeamSummary,
)
from bot.dialogs import advice
from bot.dialogs.advice import answer_label
from bot.dialogs.model import AnswerValue, Dialog, Node, Outcome
from bot.dialogs.scoring import asked_dimensions, fill, score, shown
from bot.followups import plan
from bot.team.rounds import CLOSED, REVEALED, STANCES, Member, Round, carries

MAX_PROMPTS = 3
DEADLINE = re.compile(r"(?:deadline:)?(\d{1,4})\s*([mhd]?)")
UNIT_SECONDS = {"": 60, "m": 60, "h": 3600, "d": 86400}


def parse_deadline(text: str | None, now: float) -> float:
    """"30" (minutes), "30m", "2h", "1d" or "deadline:2h" -> when a round reveals itself; "" -> never.

    Every platform offers the same option, so it is read the same way everywhere.
    """
    if text is None or not text.strip():
        return 0.0
    match = DEADLINE.fullmatch(text.strip().lower())
    if match is None or int(match[1]) == 0:
        raise ValueError("a deadline is a number of minutes, or like 30m, 2h or 1d")
    return now + int(match[1]) * UNIT_SECONDS[match[2]]


def round_card(round_: Round) -> RoundCard:
    return RoundCard(
        round_id=round_.id,
        version=round_.version,
        topic=round_.topic,
        starter=round_.starter_name,
        status=round_.status,
        joined=tuple(m.name for m in round_.members),
        finished=tuple(m.name for m in round_.finished_members),
        expected=round_.expected,
        deadline=round_.deadline,
        anonymous=round_.anonymous,
        surface=round_.surface,
        quorum=round_.quorum,
    )


def team_outcome(round_: Round, dialog: Dialog) -> tuple[str, int]:
    """The team's outcome id and how many members got it.

    A tie goes to the tied outcome whose reasons (those with a condition) hold for more of the
    members' own answers (the advice that fits more of the team), then to the first tied outcome in the dialog, the fallback
    last: a fallback says "it's open", and a tie with a definite answer is not that.
    """
    counts = Counter(m.outcome for m in round_.finished_members)
    if not counts:
        return dialog.fallback.id, 0
    best = max(counts.values())
    tied = [o for o in dialog.outcomes if counts.get(o.id) == best]
    if len(tied) == 1:
        return tied[0].id, best
    members = [m.answer_map() for m in round_.finished_members]

    def support(outcome: Outcome) -> int:  # a reason without a condition says nothing about anyone's answers
        grounded = tuple(r for r in outcome.reasons if r.when is not None)
        return sum(1 for answers in members if advice.applying(grounded, score(dialog, answers), answers))

    ranked = sorted(enumerate(tied), key=lambda item: (-support(item[1]), item[1].fallback, item[0]))
    return ranked[0][1].id, best


def strength(agreeing: int, finished: int) -> Strength:
    share = agreeing / finished if finished else 0.0
    return "strong" if share >= 0.75 else "moderate" if share >= 0.5 else "weak"


def spreads(round_: Round, dialog: Dialog) -> tuple[Spread, ...]:
    """Each dimension's low, median and high over the finished members asked about it, and each one's own point.

    The points carry the round's display names (neutral "Member N" in an anonymous round), in member
    order, so a picture can draw every member where the bars only show the span. A member whose
    check never asked about a dimension (it ended early, on the basics) has no point there (None),
    rather than a 0 that would read as an opinion; a dimension nobody was asked about is left out."""
    finished = round_.finished_members
    given = [(dict(m.scores), m.answer_map()) for m in finished]  # once per member, not per dimension
    asked = [asked_dimensions(dialog, answers) for _, answers in given]
    result = []
    for dimension in dialog.dimensions:
        bars = [
            shown(dialog, dimension, scores, answers) if dimension.id in seen else None
            for (scores, answers), seen in zip(given, asked, strict=True)
        ]
        points = tuple((round_.display_name(m), bar.score if bar is not None else None) for m, bar in zip(finished, bars, strict=True))
        values = [score for _, score in points if score is not None]
        if not values:
            continue
        # one axis for the team: a `veto` dimension's scale is what each member was asked, so take the widest
        low, high = min(bar.low for bar in bars if bar is not None), max(bar.high for bar in bars if bar is not None)
        result.append(Spread(dimension.label, min(values), statistics.median(values), max(values), low, high, points))
    return tuple(result)


def _distance(kind: str, values: list[AnswerValue]) -> float:
    """How far apart a team's answers to one question are, 0 (all alike) to 1."""
    if kind == "scale":
        numbers = [v for v in values if isinstance(v, int)]
        return (max(numbers) - min(numbers)) / 4 if numbers else 0.0
    if kind == "multi":
        sets: list[set[str | int]] = [set(v) if isinstance(v, tuple) else {v} for v in values]
        union = set().union(*sets)
        common = set.intersection(*sets) if sets else set()
        return 1 - len(common) / len(union) if union else 0.0
    if kind == "text":
        return 0.0  # names and free text are not opinions to compare
    counts = Counter(values)
    return 1 - max(counts.values()) / len(values)


def split_nodes(round_: Round, dialog: Dialog) -> tuple[str, ...]:
    """The questions the team split on (the thread's prompts), as node ids: what a second look asks again.

    Taken from the answers at the reveal, so a second look does not move its own questions."""
    return tuple(node.id for _, _, node, _, _ in _split(_at_reveal(round_), dialog))


def _at_reveal(round_: Round) -> Round:
    return replace(round_, members=tuple(m.as_first() for m in round_.members))


def _split(round_: Round, dialog: Dialog) -> list[tuple[float, int, Node, tuple[tuple[str, int], ...], list[tuple[Member, AnswerValue]]]]:
    finished = round_.finished_members
    scored = []
    for order, node in enumerate(n for n in dialog.nodes.values() if n.is_question):
        given = [(m, dict((a.node, a.value) for a in m.answers)[node.id]) for m in finished if node.id in {a.node for a in m.answers}]
        values = [v for _, v in given]
        if len(values) < 2:
            continue
        distance = _distance(node.kind, values)
        if distance > 0:
            split = Counter(answer_label(node, v) for v in values)
            scored.append((-distance, order, node, tuple(split.most_common()), given))
    scored.sort(key=lambda item: (item[0], item[1]))
    return scored[:MAX_PROMPTS]


def disagreements(round_: Round, dialog: Dialog) -> tuple[Disagreement, ...]:
    return tuple(
        Disagreement(
            node.short or node.text,
            split,
            node.why,
            dialog.article_title(node.source.file) if node.source else "",
            _ends(round_, node, given),
        )
        for _, _, node, split, given in _split(round_, dialog)
    )


def _ends(round_: Round, node: Node, given: list[tuple[Member, AnswerValue]]) -> tuple[End, ...]:
    """The members at each end of a split, asked to say why before anyone moves.

    A scale's ends are its lowest and highest answers; a single choice's, its two most given
    answers (the first given first on a tie). Pick-several answers overlap, so they have no ends.
    Only members who answered are named, and in an anonymous round no one is.
    """
    if node.kind == "multi" or node.kind == "text":
        return ()
    groups: dict[AnswerValue, list[Member]] = {}
    for member, value in given:
        groups.setdefault(value, []).append(member)
    if node.kind == "scale":
        ordered = sorted(groups, key=lambda v: v if isinstance(v, int) else 0)
        chosen = [ordered[0], ordered[-1]]
    else:
        chosen = sorted(groups, key=lambda v: -len(groups[v]))[:2]
    return tuple(
        End(
            answer_label(node, value),
            len(groups[value]),
            () if round_.anonymous else tuple(m.user for m in groups[value]),
        )
        for value in chosen
    )


def summary(round_: Round, dialog: Dialog) -> TeamSummary:
    chosen, agreeing = team_outcome(round_, dialog)
    finished = len(round_.finished_members)
    taken = Counter(m.position for m in round_.positioned_members)
    return TeamSummary(
        round_id=round_.id,
        version=round_.version,
        topic=round_.topic,
        members=tuple(
            MemberResult(round_.display_name(m), _title(dialog, m.outcome, member=m) if m.finished else "not finished")
            for m in round_.members
        ),
        spreads=spreads(round_, dialog),
        disagreements=disagreements(round_, dialog),
        team_outcome=chosen,
        team_outcome_title=_title(dialog, chosen, round_),
        agreement=(agreeing, finished),
        strength=strength(agreeing, finished),
        rule=words.RULE,
        positions=tuple((stance, taken[stance]) for stance in STANCES),
        quorum=round_.quorum,
        surface=round_.surface,
        can_look_again=round_.status == REVEALED and bool(split_nodes(round_, dialog)),
        thread=round_.thread,
        closed=round_.status == CLOSED,
        carried=carries(round_),
        **_what_moved(round_, dialog),
    )


def prompts(round_: Round, dialog: Dialog) -> list[Prompt]:
    """The discussion prompts for the comparison's thread, once the adapter said where that thread is."""
    return [
        Prompt(round_.id, number, disagreement, round_.thread, round_.anonymous)
        for number, disagreement in enumerate(disagreements(round_, dialog), 1)
    ]


def _what_moved(round_: Round, dialog: Dialog) -> dict[str, Any]:
    """Who changed which answer in a second look, and the team's recommendation then and now."""
    looked = [m for m in round_.members if m.looked_again]
    if not looked:
        return {}
    moves = []
    for m in looked:
        before = {a.node: a.value for a in m.first_answers}
        for a in m.answers:
            if a.node in before and before[a.node] != a.value and a.node in dialog.nodes:
                node = dialog.nodes[a.node]
                moves.append(
                    Move(
                        round_.display_name(m),
                        node.short or node.text,
                        answer_label(node, before[a.node]),
                        answer_label(node, a.value),
                        _title(dialog, m.first_outcome, member=m.as_first()),
                        _title(dialog, m.outcome, member=m),
                    )
                )
    first = _at_reveal(round_)
    chosen, agreeing = team_outcome(first, dialog)
    finished = len(first.finished_members)
    return {
        "moves": tuple(moves),
        "first_outcome_title": _title(dialog, chosen, first),
        "first_agreement": (agreeing, finished),
        "first_strength": strength(agreeing, finished),
    }


def moved_lines(summary: TeamSummary) -> list[str]:
    """What the second looks moved, in plain text (adapters escape it): each change, then first vs now."""
    if not summary.first_outcome_title:
        return []
    lines = [words.MOVE_LINE.format(**m.__dict__) for m in summary.moves] or [words.NOTHING_MOVED]
    agreeing, finished = summary.first_agreement
    now_agreeing, now_finished = summary.agreement
    lines.append(
        words.FIRST_VS_NOW.format(
            first=summary.first_outcome_title,
            first_agreement=f"{agreeing} of {finished}, {summary.first_strength}",
            now=summary.team_outcome_title,
            now_agreement=f"{now_agreeing} of {now_finished}, {summary.strength}",
        )
    )
    return lines


def decided(round_: Round, dialog: Dialog) -> str:
    """The decision recorded is the proposed one: the team's recommendation. Members agree, abstain
    or object to it; objections are kept in the record, they do not pick another outcome."""
    return team_outcome(round_, dialog)[0]


def positions(round_: Round) -> tuple[Position, ...]:
    return tuple(Position(round_.display_name(m), cast(Stance, m.position), m.reason) for m in round_.positioned_members)


def closed_short(round_: Round) -> str:
    """"Closed with 2 of 3 positions: <reason>" when the closer closed before the quorum, else ""."""
    if not round_.close_reason:
        return ""
    return f"Closed with {round_.closed_with} of {round_.quorum} positions: {round_.close_reason}"


def decision_record(round_: Round, dialog: Dialog, now: float | None = None) -> DecisionRecord:
    outcome = dialog.outcome(round_.decision or decided(round_, dialog)) or dialog.fallback
    date = time.strftime("%Y-%m-%d", time.gmtime(now if now is not None else round_.updated_at))
    participants = tuple(round_.display_name(m) for m in round_.members)
    reasons = [outcome.summary, *(_common_reasons(round_, dialog, outcome))]
    carried = carries(round_)
    record = DecisionRecord(
        round_id=round_.id,
        topic=round_.topic,
        date=date,
        participants=participants,
        decision=_title(dialog, outcome.id, round_),
        positions=positions(round_),
        reasons=tuple(reasons),
        # not carried: nothing was decided, so there is nothing to carry out, to vet or to review
        next_steps=_team_steps(round_, dialog, outcome) if carried else words.NOT_CARRIED_STEPS,
        follow_with=outcome.follow_with if carried else "",
        markdown="",
        surface=round_.surface,
        thread=round_.thread,
        closed_short=closed_short(round_),
        review_on=review_on(round_, outcome) if carried else "",
        carried=carried,
    )
    return _with_markdown(record, outcome.why)


def review_on(round_: Round, outcome: Outcome) -> str:
    """The decision's review date: the engagement's end (`review_after` days) or 90 days after the close."""
    if round_.status != CLOSED or not round_.closed_at:
        return ""
    return time.strftime("%Y-%m-%d", time.gmtime(plan.review_at(round_.closed_at, outcome.review_after)))




def record_title(record: DecisionRecord) -> str:
    """"Decision: <outcome>", or "Not carried: <outcome>" when the positions did not carry the proposal."""
    return (words.DECISION_TITLE if record.carried else words.NOT_CARRIED_TITLE).format(decision=record.decision)


def record_lead(record: DecisionRecord) -> str:
    """What the decision is: the proposal the team took positions on, and, when it was not carried, the count that sank it."""
    if record.carried:
        return words.PROPOSED
    return words.NOT_CARRIED.format(agreed=record.count("agree"), objected=record.count("object"))


def position_line(position: Position) -> str:
    """"ann agrees: <reason>" in plain text (adapters escape it)."""
    said = f"{position.name} {words.STANCE_WORDS.get(position.stance, position.stance)}"
    return f"{said}: {position.reason}" if position.reason else said


def objection_line(position: Position) -> str:
    return f"{position.name}: {position.reason or '(no reason given)'}"


def _backers_answers(round_: Round, outcome_id: str) -> list[dict[str, AnswerValue]]:
    return [m.answer_map() for m in round_.finished_members if m.outcome == outcome_id]


def _common_reasons(round_: Round, dialog: Dialog, outcome: Outcome) -> list[str]:
    """The outcome's reasons that hold for the members who got it, most shared first."""
    counts: Counter[str] = Counter()
    backers = _backers_answers(round_, outcome.id)
    for answers in backers:
        for point in advice.applying(outcome.reasons, score(dialog, answers), answers):
            counts[fill(dialog, point.text, answers)] += 1
    return [f"{text} ({n} of {len(backers)})" for text, n in counts.most_common(3)]


def _team_steps(round_: Round, dialog: Dialog, outcome: Outcome) -> tuple[str, ...]:
    """Next steps that apply to most of the members who got this outcome (all unconditional ones)."""
    backers = _backers_answers(round_, outcome.id)
    steps = []
    for point in outcome.next_steps:
        holding = sum(1 for answers in backers if advice.holds(point, score(dialog, answers), answers))
        if point.when is None or (backers and holding * 2 >= len(backers)):
            steps.append(fill(dialog, point.text, backers[0] if backers else {}))
    return tuple(steps)


def _title(dialog: Dialog, outcome_id: str, round_: Round | None = None, member: Member | None = None) -> str:
    """An outcome's title, its {placeholders} filled from the member's answers (or a backer's)."""
    outcome = dialog.outcome(outcome_id)
    if outcome is None:
        return outcome_id
    if member is None and round_ is not None:
        member = next((m for m in round_.finished_members if m.outcome == outcome_id), None)
    answers = member.answer_map() if member is not None else {}
    return fill(dialog, outcome.title, answers)


def _with_markdown(record: DecisionRecord, why: str) -> DecisionRecord:
    lines = [
        f"# {record_title(record)}",
        "",
        f"- **Topic:** {record.topic or 'Should we outsource our social media?'}",
        f"- **Date:** {record.date}",
        f"- **Participants:** {', '.join(record.participants) or 'none'}",
        *([f"- **{words.REVIEW_LINE.format(date=record.review_on).replace(': ', ':** ', 1)}"] if record.review_on else []),
        "",
        record_lead(record),
        *([f"\n{record.closed_short}"] if record.closed_short else []),
        "",
        "## Positions",
        *([f"- {position_line(p)}" for p in record.positions] or ["- (no positions taken)"]),
        "",
        "## Objections",
        *([f"- {objection_line(p)}" for p in record.objections] or ["- none"]),
        "",
        f"## {words.MAIN_REASONS if record.carried else words.WHY_PROPOSED}",
        *[f"- {reason}" for reason in record.reasons],
        *([f"- From the article: {why}"] if why else []),
        "",
        "## Next steps",
        *[f"- [ ] {step}" for step in record.next_steps],
    ]
    if record.follow_with:
        lines += ["", words.VET_BEFORE_SIGNING]
    return DecisionRecord(**{**record.__dict__, "markdown": "\n".join(lines) + "\n"})
