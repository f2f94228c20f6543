"""Team rounds as Discord messages: the round card, the comparison, thread prompts, the decision record.

Pure functions (core reply in, `Rendered` out) like render.py, so the limits can be checked
without a connection. Names are whatever people call themselves on Discord and topics are typed
by users: all of it is escaped, and nothing is sent with mentions allowed (client.py).
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

import discord

from adapters.common.pictures import draw
from adapters.discord import components as c
from adapters.discord.render import COLOUR, Rendered, fit, new_view, with_picture
from adapters.discord.text import clip, inert, safe
from bot import words
from bot.conversation.bars import spread_bar
from bot.conversation.replies import DecisionRecord, Disagreement, End, Position, RoundCard, TeamSummary
from bot.team.comparison import moved_lines

if TYPE_CHECKING:
    from bot.conversation.picture import Picture

POSITION_ROW, CLOSE_ROW = 0, 1  # Agree, Abstain, Object; then Close and Export
MESSAGE_LIMIT = 2000
THREAD_NAME = 100


def topic_of(topic: str) -> str:
    return topic or words.DEFAULT_TOPIC


def round_card(card: RoundCard) -> Rendered:
    """Who is in and how many finished (a ✓ by their name), never what anyone answered."""
    finished = set(card.finished)
    names = ", ".join(f"{safe(n, 80)}{' ✓' if n in finished else ''}" for n in card.joined) or words.NOBODY_YET
    lines = [
        words.STARTED_BY.format(starter=safe(card.starter, 80), status=words.ROUND_STATUS.get(card.status, card.status.title())),
        words.TAKING_PART.format(names=names),
        words.FINISHED_OF_EXPECTED.format(finished=len(card.finished), expected=card.expected) if card.expected else words.FINISHED_COUNT.format(finished=len(card.finished)),
        words.ANSWERS_HIDDEN + (words.NAMES_LEFT_OUT if card.anonymous else "."),
    ]
    if card.quorum:
        lines.append(words.QUORUM.format(quorum=card.quorum))
    if card.deadline and card.status == "open":
        when = int(card.deadline)
        lines.append(words.REVEALS_ON_ITS_OWN.format(when=f"after <t:{when}:f> (<t:{when}:R>)"))
    if card.status == "open":
        lines.append("Press **Take the check** to answer privately; the starter (or a server admin) presses **Reveal**.")
    embed = discord.Embed(title=safe(words.TEAM_ROUND_TITLE.format(topic=topic_of(card.topic)), 256), description="\n".join(lines), colour=COLOUR)
    view = None
    if card.status == "open":
        view = new_view().add_item(c.TakeCheck(card.round_id)).add_item(c.Reveal(card.round_id))
    return Rendered(None, fit(embed), view)




def summary(result: TeamSummary, shown: Picture | None = None) -> Rendered:
    """The comparison posted at the reveal, with Agree, Abstain and Object on the proposed decision (counts in the labels)."""
    members = "\n".join(f"• {safe(m.name, 80)}: {safe(m.outcome, 120)}" for m in result.members)
    spreads = "\n".join(
        f"`{spread_bar(s)}` {safe(s.label, 80)}: {s.low:+d} to {s.high:+d} (median {s.median:+g})" for s in result.spreads
    )
    agreeing, finished = result.agreement
    lines = []
    if result.disagreements:
        lines.append(words.SPLIT_IN_THREAD.format(count=len(result.disagreements)))
    lines.append(safe(words.PROPOSED_DECISION_IS, 600).replace("{title}", f"**{safe(result.team_outcome_title, 200)}**"))
    if result.quorum:
        lines.append(words.QUORUM.format(quorum=result.quorum))
    moved = moved_lines(result)
    embed = discord.Embed(title=safe(words.TEAM_RESULTS_TITLE.format(topic=topic_of(result.topic)), 256), description="\n".join(lines), colour=COLOUR)
    embed.add_field(name=words.EACH_MEMBER, value=clip(members, 1024) or "-", inline=False)
    embed.add_field(name=f"{words.WHERE_TEAM_STANDS} {words.WHERE_TEAM_STANDS_KEY}", value=clip(spreads, 1024) or "-", inline=False)
    embed.add_field(
        name=safe(words.TEAM_RECOMMENDATION.format(title=result.team_outcome_title), 256),
        value=words.AGREEMENT.format(agreeing=agreeing, finished=finished, strength=result.strength),
        inline=False,
    )
    if moved:
        embed.add_field(name=words.SECOND_LOOKS_TITLE, value=clip("\n".join(f"• {safe(line, 400)}" for line in moved), 1024), inline=False)
    embed.set_footer(text=clip(words.RULE_LINE.format(rule=result.rule), 2048))
    shown = with_picture(embed, shown or draw(result))
    if result.closed:  # the round takes nothing more: its results stay, with the record to export
        return Rendered(None, fit(embed), new_view().add_item(c.ExportRound(result.round_id)), shown)
    view = new_view()
    for stance, count in result.positions:  # the count always shows
        view.add_item(c.Position(result.round_id, stance, count, row=POSITION_ROW))
    view.add_item(c.CloseRound(result.round_id, row=CLOSE_ROW)).add_item(c.ExportRound(result.round_id, row=CLOSE_ROW))
    if result.can_look_again:
        view.add_item(c.SecondLook(result.round_id, row=CLOSE_ROW))
    return Rendered(None, fit(embed), view, shown)


def thread_name(result: TeamSummary) -> str:
    """Thread names are plain text (no markdown rendered), at most 100 characters."""
    return clip(inert(f"Discussion: {topic_of(result.topic)}"), THREAD_NAME)


def prompt(number: int, disagreement: Disagreement) -> str:
    split = ", ".join(f"{safe(label, 100)} ({count})" for label, count in disagreement.split)
    why = ""
    if disagreement.why:
        why = f"\n*{words.WHY_THE_ARTICLE_ASKS}* {safe(disagreement.why, 900)}" + (f" ({safe(disagreement.source, 100)})" if disagreement.source else "")
    title = safe(words.DISCUSSION.format(number=number, question=clip(disagreement.question, 500)), 600)
    return clip(f"**{title}**\n{words.TEAM_ANSWERED.format(split=split)}{ends(disagreement)}{why}", MESSAGE_LIMIT)


def ends(disagreement: Disagreement) -> str:
    """Who stands at each end, by mention (ids from the core, never typed text), asked to say why."""
    if len(disagreement.ends) < 2:
        return ""
    sides = [f"{_who(end)} ({safe(end.answer, 100)})" for end in disagreement.ends]
    return words.AT_ONE_END.format(one=sides[0], other=sides[1])


def _who(end: End) -> str:
    ids = [key.removeprefix("discord:") for key in end.members if DISCORD_USER.match(key)]
    if not ids:
        return f"{end.count} member{'s' if end.count != 1 else ''}"
    return ", ".join(f"<@{i}>" for i in ids)


def mentioned(disagreement: Disagreement) -> list[int]:
    """The users a prompt names: the only ones it may ping."""
    return [int(key.removeprefix("discord:")) for end in disagreement.ends for key in end.members if DISCORD_USER.match(key)]


DISCORD_USER = re.compile(r"^discord:\d{1,20}$")


def position_line(position: Position) -> str:
    said = f"{safe(position.name, 80)} {words.STANCE_WORDS.get(position.stance, position.stance)}"
    return f"• {said}: {safe(position.reason, 300)}" if position.reason else f"• {said}"


def decision(record: DecisionRecord) -> Rendered:
    positions = "\n".join(position_line(p) for p in record.positions)
    objections = "\n".join(f"• {safe(p.name, 80)}: {safe(p.reason or words.NO_REASON_GIVEN, 300)}" for p in record.objections)
    reasons = "\n".join(f"• {safe(r, 300)}" for r in record.reasons)
    steps = "\n".join(f"☐ {safe(s, 300)}" for s in record.next_steps)
    about = f"{record.date} · {safe(topic_of(record.topic), 200)} · {safe(', '.join(record.participants), 1500)}\n{words.PROPOSED}"
    if record.review_on:
        about += "\n" + words.REVIEW_LINE.format(date=record.review_on)
    embed = discord.Embed(title=safe(words.DECISION_TITLE.format(decision=record.decision), 256), description=about, colour=COLOUR)
    if record.closed_short:
        embed.add_field(name=words.CLOSED_BEFORE_QUORUM, value=safe(record.closed_short, 1024), inline=False)
    embed.add_field(name=words.POSITIONS, value=clip(positions, 1024) or words.NO_POSITIONS, inline=False)
    embed.add_field(name=words.OBJECTIONS, value=clip(objections, 1024) or words.NO_OBJECTIONS, inline=False)
    embed.add_field(name=words.MAIN_REASONS, value=clip(reasons, 1024) or "-", inline=False)
    embed.add_field(name=words.NEXT_STEPS, value=clip(steps, 1024) or "-", inline=False)
    if record.follow_with:
        embed.add_field(name=words.BEFORE_ANYONE_SIGNS, value=words.VET_EACH_AGENCY, inline=False)
    return Rendered(None, fit(embed), new_view().add_item(c.ExportRound(record.round_id)))


def markdown(record: DecisionRecord) -> tuple[str, discord.File | None]:
    """The record as Markdown: a code block when it fits one message, else an attached .md file.

    A code block shows the Markdown as text to copy (nothing in it renders or pings); a triple
    backtick typed into a topic or name is broken up so it cannot end the block early.
    """
    body = record.markdown.replace("```", "`\u200b`\u200b`")
    block = f"```markdown\n{body}```"
    if len(block) <= MESSAGE_LIMIT:
        return block, None
    file = discord.File(io.BytesIO(record.markdown.encode()), filename=f"decision-{record.round_id}.md")
    return words.RECORD_ATTACHED, file
