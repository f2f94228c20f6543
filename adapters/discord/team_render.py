"""Team rounds as Discord messages: the round card, the comparison, thread prompts, the decision record.

Pure functions (core reply in, `Rendered` out) like render.py, so the limits can be checked
without a connection. Names are whatever people call themselves on Discord and topics are typed
by users: all of it is escaped, and nothing is sent with mentions allowed (client.py).
"""

from __future__ import annotations

import io
import re

import discord

from adapters.discord import components as c
from adapters.discord.render import COLOUR, Rendered, fit, new_view
from adapters.discord.text import clip, inert, safe
from bot.conversation.bars import spread_bar
from bot.conversation.replies import DecisionRecord, Disagreement, End, RoundCard, TeamSummary

DEFAULT_TOPIC = "Should we outsource our social media?"
STATUS = {"open": "Open", "revealed": "Revealed: see the results below", "closed": "Closed"}
VOTE_ROWS = 4  # rows 0-3 hold the vote buttons (five a row); row 4 holds Close and Export
MESSAGE_LIMIT = 2000
THREAD_NAME = 100


def topic_of(topic: str) -> str:
    return topic or DEFAULT_TOPIC


def round_card(card: RoundCard) -> Rendered:
    """Who is in and how many finished (a ✓ by their name), never what anyone answered."""
    finished = set(card.finished)
    names = ", ".join(f"{safe(n, 80)}{' ✓' if n in finished else ''}" for n in card.joined) or "nobody yet"
    count = f"{len(card.finished)}" + (f" of {card.expected} expected" if card.expected else "")
    lines = [
        f"Started by {safe(card.starter, 80)}. {STATUS.get(card.status, card.status.title())}.",
        f"Taking part: {names}.",
        f"Finished: {count}.",
        "Answers stay hidden until the reveal" + (", and names are left out of the results." if card.anonymous else "."),
    ]
    if card.deadline and card.status == "open":
        when = int(card.deadline)
        lines.append(f"Reveals on its own after <t:{when}:f> (<t:{when}:R>), at the first click or command after it.")
    if card.status == "open":
        lines.append("Press **Take the check** to answer privately; the starter (or a server admin) presses **Reveal**.")
    embed = discord.Embed(title=safe(f"Team round: {topic_of(card.topic)}", 256), description="\n".join(lines), colour=COLOUR)
    view = None
    if card.status == "open":
        view = new_view().add_item(c.TakeCheck(card.round_id)).add_item(c.Reveal(card.round_id))
    return Rendered(None, fit(embed), view)




def summary(result: TeamSummary) -> Rendered:
    """The comparison posted at the reveal, with a vote button per outcome (counts in the labels)."""
    members = "\n".join(f"• {safe(m.name, 80)}: {safe(m.outcome, 120)}" for m in result.members)
    spreads = "\n".join(
        f"`{spread_bar(s)}` {safe(s.label, 80)}: {s.low:+d} to {s.high:+d} (median {s.median:+g})" for s in result.spreads
    )
    agreeing, finished = result.agreement
    lines = []
    if result.disagreements:
        lines.append(f"{len(result.disagreements)} question(s) the team split on are in the thread below.")
    lines.append("Vote with the buttons: one vote each, changeable until the round is closed.")
    embed = discord.Embed(title=safe(f"Team results: {topic_of(result.topic)}", 256), description="\n".join(lines), colour=COLOUR)
    embed.add_field(name="Each member's recommendation", value=clip(members, 1024) or "-", inline=False)
    embed.add_field(name="Where the team stands (lowest to highest, █ the median)", value=clip(spreads, 1024) or "-", inline=False)
    embed.add_field(
        name=safe(f"Team recommendation: {result.team_outcome_title}", 256),
        value=f"{agreeing} of {finished} finished members got it: {result.strength} agreement.",
        inline=False,
    )
    embed.set_footer(text=clip(f"Rule: {result.rule}.", 2048))
    votes = dict(result.votes)
    view = new_view()
    for index, option in enumerate(result.options[: VOTE_ROWS * 5]):
        label = f"{clip(option.label, 72)} ({votes.get(option.id, 0)})"  # the count always shows
        view.add_item(c.Vote(result.round_id, option.id, label, row=index // 5))
    view.add_item(c.CloseRound(result.round_id, row=VOTE_ROWS)).add_item(c.ExportRound(result.round_id, row=VOTE_ROWS))
    return Rendered(None, fit(embed), view)


def thread_name(result: TeamSummary) -> str:
    """Thread names are plain text (no markdown rendered), at most 100 characters."""
    return clip(inert(f"Discussion: {topic_of(result.topic)}"), THREAD_NAME)


def prompt(number: int, disagreement: Disagreement) -> str:
    split = ", ".join(f"{safe(label, 100)} ({count})" for label, count in disagreement.split)
    why = ""
    if disagreement.why:
        why = f"\n*Why the article asks:* {safe(disagreement.why, 900)}" + (f" ({safe(disagreement.source, 100)})" if disagreement.source else "")
    return clip(f"**Discussion {number}: {safe(disagreement.question, 500)}**\nThe team answered: {split}.{ends(disagreement)}{why}", MESSAGE_LIMIT)


def ends(disagreement: Disagreement) -> str:
    """Who stands at each end, by mention (ids from the core, never typed text), asked to say why."""
    if len(disagreement.ends) < 2:
        return ""
    sides = [f"{_who(end)} ({safe(end.answer, 100)})" for end in disagreement.ends]
    return f"\nAt one end {sides[0]}; at the other {sides[1]}. What makes you see it that way? Say why here before anyone changes an answer."


def _who(end: End) -> str:
    ids = [key.removeprefix("discord:") for key in end.members if DISCORD_USER.match(key)]
    if not ids:
        return f"{end.count} member{'s' if end.count != 1 else ''}"
    return ", ".join(f"<@{i}>" for i in ids)


def mentioned(disagreement: Disagreement) -> list[int]:
    """The users a prompt names: the only ones it may ping."""
    return [int(key.removeprefix("discord:")) for end in disagreement.ends for key in end.members if DISCORD_USER.match(key)]


DISCORD_USER = re.compile(r"^discord:\d{1,20}$")


def decision(record: DecisionRecord) -> Rendered:
    votes = "\n".join(f"• {safe(name, 80)}: {safe(title, 120)}" for name, title in record.votes)
    reasons = "\n".join(f"• {safe(r, 300)}" for r in record.reasons)
    steps = "\n".join(f"☐ {safe(s, 300)}" for s in record.next_steps)
    about = f"{record.date} · {safe(topic_of(record.topic), 200)} · {safe(', '.join(record.participants), 1500)}"
    embed = discord.Embed(title=safe(f"Decision: {record.decision}", 256), description=about, colour=COLOUR)
    embed.add_field(name="Votes", value=clip(votes, 1024) or "No votes: the team's recommendation stands.", inline=False)
    embed.add_field(name="Main reasons", value=clip(reasons, 1024) or "-", inline=False)
    embed.add_field(name="Next steps", value=clip(steps, 1024) or "-", inline=False)
    if record.follow_with:
        embed.add_field(name="Before anyone signs", value="Vet each agency first: `/outsource-check agency`.", inline=False)
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
    return "The decision record is attached as Markdown.", file
