"""Every reply as a `Card`: which lines, in which order, under which headings, with which buttons.

Decided here once, so every platform shows the same message and adapters only format it (see
cards.py). Pure functions of frozen replies; a question's card is the same on every turn of the
same step, which is what lets an adapter cache its markup.
"""

from __future__ import annotations

import time

from bot import words
from bot.conversation.bars import score_bar, spread_bar
from bot.conversation.buttons import Payload
from bot.conversation.cards import (
    Ask,
    Button,
    Card,
    Cite,
    Confirm,
    Line,
    Person,
    Row,
    Section,
    Span,
    Strong,
    Style,
    Text,
    When,
    Where,
    coded,
)
from bot.conversation.replies import (
    Advice,
    DecisionRecord,
    Disagreement,
    FollowUp,
    History,
    Notice,
    NoticeKind,
    Prompt,
    Question,
    Reply,
    ResultCard,
    Retired,
    Review,
    RoundCard,
    SharedResult,
    TeamSummary,
)
from bot.dialogs.catalog import AGENCY_DIALOG, MAIN_DIALOG
from bot.team.comparison import moved_lines, record_lead, record_title

RESTART_CONFIRM = Confirm(words.START_OVER_TITLE, words.START_OVER_WARNING, words.START_OVER, words.KEEP_MY_ANSWERS)
FORGET_CONFIRM = Confirm(words.DELETE_YOUR_DATA, words.DELETE_CONFIRM, words.DELETE, words.KEEP_IT, danger=True)


def card_of(reply: Reply) -> Card:
    """The card for any reply (a `FollowUp` is delivered as its recipient's turn, never drawn)."""
    if isinstance(reply, Question):
        return question(reply)
    if isinstance(reply, ResultCard):
        return result(reply)
    if isinstance(reply, Notice):
        return notice(reply)
    if isinstance(reply, History):
        return history(reply)
    if isinstance(reply, Retired):
        return Card(intro=(reply.text,), plain=True, fallback=reply.text)
    if isinstance(reply, RoundCard):
        return round_card(reply)
    if isinstance(reply, TeamSummary):
        return team_summary(reply)
    if isinstance(reply, Prompt):
        return prompt(reply)
    if isinstance(reply, Review):
        return review(reply)
    if isinstance(reply, DecisionRecord):
        return decision(reply)
    if isinstance(reply, SharedResult):
        return shared(reply.card, reply.sharer)
    assert isinstance(reply, FollowUp)
    return Card(plain=True)


# --- a check ------------------------------------------------------------------------------------


def question(step: Question) -> Card:
    at = Payload(step.session_id, step.version, step.node).encode()
    nav = Payload(step.session_id, step.version).encode()
    spoken = {0: step.scale_low, len(step.options) - 1: step.scale_high} if step.kind == "scale" else {}
    top = step.options[-1].label if step.options else ""
    options = tuple(
        (o.id, o.label, words.SCALE_POINT_LABEL.format(value=o.label, top=top, meaning=spoken[i]) if spoken.get(i) else "")
        for i, o in enumerate(step.options)
    )
    sections = []
    if step.previous:
        before = ", ".join(o.label for o in step.options if o.id in step.previous) or step.previous[0]
        sections.append(Section(words.BEFORE_YOU_ANSWERED, (Line(before),), small=True, name="previous"))
    if step.why:
        sections.append(Section(words.WHY_IT_MATTERS, (Line(step.why, source=step.source),), small=True, name="why"))
    buttons = (Button(words.BACK, "back", nav, spoken=words.BACK_LABEL),) if step.can_go_back else ()
    restart = Button(words.START_OVER, "restart", nav, spoken=words.START_OVER_LABEL, confirm=RESTART_CONFIRM if step.can_go_back else None)
    return Card(
        title=step.dialog_title,
        intro=tuple(p for p in (step.description, *step.preface) if p),
        prompt=step.text,
        ask=Ask(step.kind, at, options, step.min_picks, step.max_picks, step.max_length, step.previous),
        sections=tuple(sections),
        footer=step.progress.text,
        rows=(Row("nav", (*buttons, restart)),),
        headline=False,
        opens=bool(step.description),
        fallback=f"{step.progress.text}: {step.text}",
    )


def result(card: ResultCard, *, buttons: bool = True) -> Card:
    """`buttons` False: the card as shown where it cannot be acted on (the Home tab)."""
    sections = []
    if card.reasons:
        sections.append(Section(words.WHY_THIS_FITS, _advice(card.reasons, "✅")))
    if card.tensions:
        sections.append(Section(words.PULLS_OTHER_WAY, _advice(card.tensions, "⚠️")))
    sections.append(Section(words.ANSWERS_AT_A_GLANCE, _scores(card)))
    sections.append(Section(words.NEXT_STEPS, tuple(Line(s, "☐") for s in card.next_steps)))
    if card.still_to_settle:
        sections.append(Section(words.STILL_TO_SETTLE, tuple(Line(s, "❓") for s in card.still_to_settle)))
    nav = Payload(card.session_id, card.version).encode()
    row = (
        *((Button(words.SHARE_TO_A_CHANNEL, "share", nav, style="primary"),) if card.can_share else ()),
        Button(words.VET_AN_AGENCY, "vet", nav),
        Button(words.BACK, "back", nav, spoken=words.BACK_LABEL),
        Button(words.START_OVER, "restart", nav, confirm=RESTART_CONFIRM),
    )
    return Card(
        title=words.RECOMMENDATION_TITLE.format(title=card.title),
        intro=(*card.preface, card.summary),
        sections=tuple(sections),
        footer=based_on(card.sources),
        rows=(Row("result", row),) if buttons else (),
        fallback=f"Recommendation: {card.title}. {card.summary}",
        picture=True,
    )


def shared(card: ResultCard, sharer: str) -> Card:
    """What a channel sees when someone shares a result: attributed, compact, no buttons."""
    subject = words.SHARED_FOR.format(subject=card.subject) if card.subject else ""
    ran: Text = (Person(sharer, words.SOMEONE), words.SHARED_RAN, Strong(card.dialog_title), f"{subject}.")
    return Card(
        title=words.RECOMMENDATION_TITLE.format(title=card.title),
        intro=(ran, card.summary),
        sections=(Section(words.SCORES, _scores(card)), Section(words.NEXT_STEPS, tuple(Line(s, "☐") for s in card.next_steps))),
        footer=based_on(card.sources),
        fallback=f"Recommendation: {card.title}. {card.summary}",
    )


def based_on(sources: tuple[str, ...]) -> Text:
    spans: list[Span] = [words.BASED_ON]
    for i, title in enumerate(sources):
        spans += ["; "] * bool(i) + [Cite(title)]
    return tuple(spans)


def shared_in(channel: str) -> Card:
    """The sharer's confirmation, once the summary is posted in `channel` (a surface prefix)."""
    before, _, after = words.SHARED_IN.partition("{channel}")
    return Card(intro=((before, Where(channel), after),), plain=True, fallback=words.SHARED_IN.format(channel="the channel"))


def _scores(card: ResultCard) -> tuple[Line, ...]:
    # no number beside the bar: each dimension has a scale of its own, so "+2" and "+4" don't compare
    return tuple(Line(s.heading, bar=score_bar(s)) for s in card.scores)


def _advice(items: tuple[Advice, ...], mark: str) -> tuple[Line, ...]:
    return tuple(Line(a.text, mark, quote=a.quote, source=a.article) for a in items)


def notice(n: Notice) -> Card:
    if n.kind is NoticeKind.CONFIRM_FORGET:  # the question stays until answered (again, after "try again")
        note = "" if n.text == words.FORGET_WARNING else n.text
        forget = Row("forget", (
            Button(words.DELETE_EVERYTHING, "forget", "yes", style="danger", confirm=FORGET_CONFIRM),
            Button(words.KEEP_MY_DATA, "forget", "no"),
        ))
        return Card(intro=tuple(t for t in (note, words.FORGET_WARNING) if t), rows=(forget,), plain=True, fallback=words.DELETE_YOUR_DATA)
    if n.kind is NoticeKind.CHANGED:  # the dialog changed under a running check: offer the one thing that helps
        restart = Button(words.START_OVER, "restart", Payload(n.session_id, 0).encode(), style="primary")
        return Card(intro=(coded(n.text),), rows=(Row("changed", (restart,)),), plain=True, fallback=n.text)
    return Card(intro=(coded(n.text),), plain=True, fallback=n.text)


def history(h: History) -> Card:
    if not h.entries:
        return Card(title=words.YOUR_LAST_RESULTS, intro=(words.NO_FINISHED_CHECKS,), fallback=words.YOUR_LAST_RESULTS)
    lines = tuple(
        Line((f"{time.strftime('%Y-%m-%d', time.gmtime(e.finished_at))} ", Strong(e.dialog_title), f": {e.outcome_title}"), "•")
        for e in h.entries
    )
    return Card(title=words.YOUR_LAST_RESULTS, sections=(Section(lines=lines),), fallback=words.YOUR_LAST_RESULTS)


def home(latest: ResultCard | None, unavailable: bool = False) -> tuple[Card, ...]:
    """A home page (Slack's App Home tab): start buttons, then the last result without its buttons."""
    start = Row("home", (
        Button(words.START_THE_CHECK, "start", MAIN_DIALOG, style="primary"),
        Button(words.VET_AN_AGENCY, "start", AGENCY_DIALOG),
    ))
    first = Card(title=words.APP_NAME, intro=(words.HOME_INTRO,), rows=(start,), fallback=words.APP_NAME)
    if unavailable:
        return first, Card(intro=(words.HOME_UNAVAILABLE,), plain=True)
    if latest is None:
        return first, Card(intro=(words.NO_FINISHED_CHECK,), plain=True)
    return first, Card(sections=(Section(lines=(Line(words.YOUR_LAST_RESULT),), small=True),)), result(latest, buttons=False)


# --- team rounds --------------------------------------------------------------------------------


def _topic(topic: str) -> str:
    return topic or words.DEFAULT_TOPIC


def _round(round_id: str, stance: str = "") -> str:
    return f"{round_id}:{stance}" if stance else round_id


def round_card(card: RoundCard) -> Card:
    """Who is in and who finished (a ✓ by their name), never what anyone answered."""
    finished = set(card.finished)
    names = ", ".join(f"{n}{' ✓' if n in finished else ''}" for n in card.joined) or words.NOBODY_YET
    count = len(card.finished)
    intro: list[Text] = [
        words.STARTED_BY.format(starter=card.starter, status=words.ROUND_STATUS[card.status]),
        words.TAKING_PART.format(names=names) + " "
        + (words.FINISHED_OF_EXPECTED.format(finished=count, expected=card.expected) if card.expected else words.FINISHED_COUNT.format(finished=count)),
        words.ANSWERS_HIDDEN + (words.NAMES_LEFT_OUT if card.anonymous else "."),
    ]
    if card.quorum:
        intro.append(words.QUORUM.format(quorum=card.quorum))
    rows: tuple[Row, ...] = ()
    if card.status == "open":
        if card.deadline:
            before, _, after = words.REVEALS_ON_ITS_OWN.partition("{when}")
            intro.append((before, When(card.deadline, words.AT_THE_DEADLINE), after))
        intro.append(words.HOW_A_ROUND_RUNS)
        rows = (Row("round", (
            Button(words.TAKE_THE_CHECK, "round.take", _round(card.round_id), style="primary"),
            Button(words.REVEAL, "round.reveal", _round(card.round_id)),
        )),)
    title = words.TEAM_ROUND_TITLE.format(topic=_topic(card.topic))
    return Card(title=title, intro=tuple(intro), rows=rows, fallback=title)


def team_summary(summary: TeamSummary) -> Card:
    """The comparison posted at the reveal, with Agree, Abstain and Object on the proposed decision."""
    agreeing, finished = summary.agreement
    sections = [
        Section(words.EACH_MEMBERS_RECOMMENDATION, tuple(Line(f"{m.name}: {m.outcome}", "•") for m in summary.members)),
        Section(
            f"{words.WHERE_TEAM_STANDS} {words.WHERE_TEAM_STANDS_KEY}",
            tuple(Line(f"{s.label}: {s.low:+d} to {s.high:+d} (median {s.median:+g})", bar=spread_bar(s)) for s in summary.spreads),
        ),
        Section(
            words.TEAM_RECOMMENDATION.format(title=summary.team_outcome_title),
            (Line(words.AGREEMENT.format(agreeing=agreeing, finished=finished, strength=summary.strength)),),
        ),
    ]
    moved = moved_lines(summary)
    if moved:
        sections.append(Section(words.SECOND_LOOKS_TITLE, tuple(Line(line, "•") for line in moved)))
    intro: list[Text] = []
    if summary.disagreements:
        intro.append(words.SPLIT_IN_THREAD.format(count=len(summary.disagreements)))
    tally = ", ".join(f"{words.STANCE_LABELS[stance]} {count}" for stance, count in summary.positions)
    counts: dict[str, int] = dict(summary.positions)
    here = _round(summary.round_id)
    export = Button(words.EXPORT_AS_MARKDOWN, "round.export", here)
    if summary.closed:  # the decision is recorded: the positions stay as counts, and only the export is left
        intro.append((words.CLOSED_POSITIONS if summary.carried else words.CLOSED_NOT_CARRIED).format(tally=tally))
        rows: tuple[Row, ...] = (Row("close", (export,)),)
    else:
        before, _, after = words.PROPOSED_DECISION_IS.partition("{title}")
        quorum = " " + words.QUORUM.format(quorum=summary.quorum) if summary.quorum else ""
        intro.append((before, Strong(summary.team_outcome_title), after + quorum))
        if not summary.carried:  # said before anyone presses Close, not only in the record
            intro.append(words.NOT_CARRIED_YET)
        positions = tuple(
            Button(
                f"{words.STANCE_LABELS[stance]} ({counts.get(stance, 0)})", "round.position", _round(summary.round_id, stance),
                style=STANCE_STYLES[stance], spoken=words.STANCE_ACCESSIBLE[stance].format(count=counts.get(stance, 0)),
            )
            for stance in words.STANCE_LABELS
        )
        close = (Button(words.CLOSE_AND_RECORD, "round.close", here, style="primary"), export)
        look = (Button(words.TAKE_A_SECOND_LOOK, "round.look", here),) if summary.can_look_again else ()
        rows = (Row("positions", positions), Row("close", (*close, *look)))
    title = words.TEAM_RESULTS_TITLE.format(topic=_topic(summary.topic))
    return Card(
        title=title, intro=tuple(intro), sections=tuple(sections), footer=words.RULE_LINE.format(rule=summary.rule),
        rows=rows, fallback=title, picture=True,
    )


STANCE_STYLES: dict[str, Style] = {"agree": "success", "abstain": "", "object": "danger"}


def thread_name(summary: TeamSummary) -> str:
    return words.THREAD_NAME.format(topic=_topic(summary.topic))


def prompt(reply: Prompt) -> Card:
    """One question the team split on, in the thread: who stands at each end is asked why."""
    d: Disagreement = reply.disagreement
    split = ", ".join(f"{label} ({count})" for label, count in d.split)
    lines: list[Text] = [(Strong(words.DISCUSSION.format(number=reply.number, question=d.question)),), words.TEAM_ANSWERED.format(split=split)]
    if len(d.ends) >= 2:
        one, other = (_who(end.members, end.count) + (f" ({end.answer})",) for end in d.ends[:2])
        lead, _, rest = words.AT_ONE_END.strip().partition("{one}")
        middle, _, tail = rest.partition("{other}")
        lines.append((lead, *one, middle, *other, tail))
    if d.why:
        lines.append((Strong(words.WHY_THE_ARTICLE_ASKS), f" {d.why}" + (f" ({d.source})" if d.source else "")))
    mentions = tuple(key for end in d.ends[:2] for key in end.members)
    return Card(intro=tuple(lines), plain=True, fallback=words.DISCUSSION.format(number=reply.number, question=d.question), mentions=mentions)


def _who(members: tuple[str, ...], count: int) -> tuple[Span, ...]:
    if not members:
        return (words.MEMBERS_COUNT.format(count=count, s="s" if count != 1 else ""),)
    people: list[Span] = []
    for i, key in enumerate(members):
        people += [", "] if i else []
        people.append(Person(key, words.A_MEMBER))
    return tuple(people)


def decision(record: DecisionRecord) -> Card:
    if record.exported:
        return Card(code=record.markdown, code_name=f"decision-{record.round_id}.md", plain=True, fallback=record_title(record))
    about = f"{record.date} · {_topic(record.topic)} · {', '.join(record.participants)}"
    intro: list[Text] = [about, record_lead(record)]
    if record.review_on:
        intro.append(words.REVIEW_LINE.format(date=record.review_on))
    sections = []
    if record.closed_short:
        sections.append(Section(words.CLOSED_BEFORE_QUORUM, (Line(record.closed_short),), name="closed_short"))
    positions = tuple(
        Line(f"{p.name} {words.STANCE_WORDS.get(p.stance, p.stance)}" + (f": {p.reason}" if p.reason else ""), "•") for p in record.positions
    )
    objections = tuple(Line(f"{p.name}: {p.reason or words.NO_REASON_GIVEN}", "•") for p in record.objections)
    sections += [
        Section(words.POSITIONS, positions or (Line(words.NO_POSITIONS, "•"),), name="positions"),
        Section(words.OBJECTIONS, objections or (Line(words.NO_OBJECTIONS, "•"),), name="objections"),
        Section(words.MAIN_REASONS if record.carried else words.WHY_PROPOSED, tuple(Line(r, "•") for r in record.reasons)),
        Section(words.NEXT_STEPS, tuple(Line(s, "☐") for s in record.next_steps)),
    ]
    if record.follow_with:
        sections.append(Section(words.BEFORE_ANYONE_SIGNS, (Line(words.VET_BEFORE_SIGNING),)))
    title = record_title(record)
    export = Row("close", (Button(words.EXPORT_AS_MARKDOWN, "round.export", _round(record.round_id)),))
    return Card(title=title, intro=tuple(intro), sections=tuple(sections), rows=(export,), fallback=title)


def review(reply: Review) -> Card:
    title = words.REVIEW_TITLE.format(decision=reply.decision)
    again = Row("again", (Button(words.REVIEW_RUN_AGAIN, "start", reply.dialog_id, style="primary"),))
    return Card(title=title, intro=reply.questions, rows=(again,), fallback=title)
