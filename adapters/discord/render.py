"""A card (bot/conversation/cards.py) as a Discord message: an embed plus its components.

The core decides the lines; this only formats them, inside Discord's limits (an embed's 6000
characters, a field's 1024, five rows of five buttons). Pure functions (card in, `Rendered` out),
so every node of every dialog can be checked against the limits in a test without a connection.
Components carry their state in their custom_ids; no view is kept: nothing about a conversation is in memory.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord

from adapters.common.pictures import picture_of
from adapters.discord import components as c
from adapters.discord.text import clip, inert, safe
from bot import words
from bot.conversation import layout
from bot.conversation.cards import (
    Ask,
    Button,
    Card,
    Cite,
    Code,
    Line,
    Person,
    Strong,
    Text,
    When,
    Where,
    plain_text,
    spans,
)
from bot.conversation.replies import Reply, ResultCard, TeamSummary

if TYPE_CHECKING:
    from bot.conversation.picture import Picture

MAX_BUTTON_ROWS = 4  # one choice per row (long labels stay readable); the fifth row is Back / Start over
COLOUR = discord.Colour.blurple()
EMBED_TOTAL, DESCRIPTION, FIELD = 6000, 4096, 1024
MESSAGE_LIMIT = 2000
THREAD_NAME = 100
DISCORD_USER = re.compile(r"^discord:(\d{1,20})$")


@dataclass(frozen=True)
class Rendered:
    content: str | None
    embed: discord.Embed | None
    view: discord.ui.View | None
    picture: Picture | None = None  # shown as the embed's image: attached as a file with its alt text
    attached: tuple[str, bytes] | None = None  # a file sent with the message (a long decision record's Markdown)

    def file(self) -> discord.File | None:
        """A new File each time: discord.py reads (and closes) one as it sends it."""
        if self.attached is not None:
            return discord.File(io.BytesIO(self.attached[1]), filename=self.attached[0])
        if self.picture is None:
            return None
        return discord.File(io.BytesIO(self.picture.png), filename=self.picture.filename, description=clip(self.picture.alt, 1024))

    def as_kwargs(self) -> dict:
        """For `Message.edit` / `edit_original_response`: view=None clears old buttons; the picture replaces any before."""
        kwargs = {"content": self.content, "embed": self.embed, "view": self.view}
        file = self.file()
        if file is not None:
            kwargs["attachments"] = [file]
        return kwargs

    def send_kwargs(self) -> dict:
        """For a new message: only what is there (Discord refuses a message with nothing in it)."""
        kwargs: dict = {k: v for k, v in (("content", self.content), ("embed", self.embed), ("view", self.view)) if v}
        file = self.file()
        if file is not None:
            kwargs["file"] = file
        return kwargs


def without_picture(rendered: Rendered) -> Rendered:
    """The same message with its text only: where the bot may not attach files (no Attach Files)."""
    if rendered.picture is None or rendered.embed is None:
        return rendered
    embed = rendered.embed.copy()
    embed.set_image(url=None)
    return Rendered(rendered.content, embed, rendered.view)


async def drawn(reply: Reply, in_dm: bool = True) -> Rendered:
    """The reply's message, with a result's or a team's picture (adapters/common/pictures.py says
    which are drawn on the event loop and which, 10-20 ms of CPU, off it)."""
    shown = await picture_of(reply) if isinstance(reply, (ResultCard, TeamSummary)) else None
    return rendered(layout.card_of(reply), in_dm=in_dm, shown=shown)


def rendered(card: Card, *, in_dm: bool = True, shown: Picture | None = None) -> Rendered:
    if card.code:
        return markdown(card.code, card.code_name)
    view = _view(card)
    if card.plain:
        return Rendered(clip("\n".join(styled(t, 1900) for t in card.intro), MESSAGE_LIMIT), None, view)
    embed = discord.Embed(title=safe(card.title, 256) if card.title else None, description=_description(card, in_dm), colour=COLOUR)
    for section in card.sections:
        if section.heading and section.lines:
            embed.add_field(name=safe(section.heading, 256), value=field(section.lines) or "-", inline=False)
    if card.footer:
        embed.set_footer(text=clip(inert(plain_text(card.footer)), 2048))
    if card.picture and shown is not None:  # the embed shows the picture it is sent with (`attachment://` names the file)
        embed.set_image(url=f"attachment://{shown.filename}")
    return Rendered(None, fit(embed), view, shown if card.picture else None)


def _description(card: Card, in_dm: bool) -> str:
    parts = [styled(t, 1500) for t in card.intro]
    if card.prompt:
        parts.append(f"**{safe(card.prompt, 1000)}**")
    if card.ask is not None and (hint := _hint(card.ask, in_dm)):
        parts.append(hint)
    parts += [field(s.lines) for s in card.sections if not s.heading and s.lines]
    joiner = "\n\n" if card.prompt or any(len(plain_text(t)) > 100 for t in card.intro) else "\n"
    return joiner.join(p for p in parts if p)


def _hint(ask: Ask, in_dm: bool) -> str:
    if ask.kind == "text":
        return (words.PRESS_TYPE_YOUR_ANSWER if in_dm else words.PRESS_TYPE_YOUR_ANSWER_HERE).format(max_length=ask.max_length)
    if ask.kind == "multi":
        return words.PICK_ALL_IN_MENU if ask.min_picks == 0 else words.PICK_AT_LEAST_IN_MENU.format(count=ask.min_picks)
    return ""


def styled(text: Text, limit: int) -> str:
    """Spans as Discord markdown: words escaped, a person a mention (sent with pings only where allowed)."""
    out = []
    for span in spans(text):
        if isinstance(span, str):
            out.append(safe(span, limit))
        elif isinstance(span, Strong):
            out.append(f"**{safe(span.text, limit)}**")
        elif isinstance(span, Person):
            match = DISCORD_USER.match(span.key)
            out.append(f"<@{match.group(1)}>" if match else safe(span.fallback, 80))
        elif isinstance(span, Code):
            out.append(f"`{inert(span.text)}`")
        elif isinstance(span, Cite):
            out.append(f"*{safe(span.title, limit)}*")
        elif isinstance(span, Where):
            out.append(f"<#{span.channel.partition(':')[0]}>")
        elif isinstance(span, When):
            out.append(f"after <t:{int(span.at)}:f> (<t:{int(span.at)}:R>)")
    return clip("".join(out), limit)


def field(lines: tuple[Line, ...]) -> str:
    """The lines of a field, each with the article's words under it, inside a field's 1024 characters."""
    budget = max(40, (FIELD - 24) // max(1, len(lines)))
    out = []
    for item in lines:
        quoted = bool(item.quote)
        head = " ".join(p for p in (item.mark, f"`{item.bar}`" if item.bar else "", styled(item.text, budget // 2 if quoted else budget)) if p)
        if quoted:
            head += f"\n> *“{safe(item.quote, budget // 2)}”*" + (f" ({safe(item.source, 120)})" if item.source else "")
        elif item.source:
            head += " " + safe(words.FROM_SOURCE.format(source=item.source), 150)
        out.append(head)
    return clip("\n".join(out), FIELD)


def fit(embed: discord.Embed) -> discord.Embed:
    """Discord refuses an embed over 6000 characters in all, or a description over 4096: the longest
    text gives way first (the description, else the longest field), so every part keeps a share."""
    if len(embed.description or "") > DESCRIPTION:
        embed.description = clip(embed.description or "", DESCRIPTION)
    while (excess := len(embed) - EMBED_TOTAL) > 0:
        sizes = [len(embed.description or "")] + [len(f.value or "") for f in embed.fields]
        longest = max(range(len(sizes)), key=sizes.__getitem__)
        keep = max(100, sizes[longest] - excess)
        if longest == 0:
            embed.description = clip(embed.description or "", keep)
        else:
            f = embed.fields[longest - 1]
            embed.set_field_at(longest - 1, name=f.name, value=clip(f.value or "", keep), inline=False)
        if sizes[longest] <= 100:
            break
    return embed


def _view(card: Card) -> c.Sent | None:
    """A question's answer widgets first, its own buttons on the last row; any other card's rows in order."""
    items = _ask(card.ask) if card.ask is not None else []
    for row, line in enumerate(card.rows):
        items += [(4 if card.ask is not None else min(row, 4), c.act_button(button)) for button in line.buttons]
    return c.sent(items)


def _ask(ask: Ask) -> list[tuple[int, dict]]:
    """The answer widgets, each with its row: a button per choice (a row each, a scale's all in one), else a menu."""
    if ask.kind == "text":
        return [(0, c.act_button(Button(words.TYPE_YOUR_ANSWER, "text", ask.payload, style="primary")))]
    if ask.kind == "multi":
        menu = [(0, c.menu("pick_many", ask.payload, ask.options, low=ask.min_picks, high=ask.max_picks))]
        return menu + ([(1, c.act_button(Button(words.NONE_OF_THESE, "none", ask.payload)))] if ask.min_picks == 0 else [])
    if ask.kind == "scale" or len(ask.options) <= MAX_BUTTON_ROWS:
        return [(0 if ask.kind == "scale" else i, c.act_button(Button(label, "answer", f"{ask.payload}:{option}")))
                for i, (option, label, _) in enumerate(ask.options)]
    return [(0, c.menu("pick_one", ask.payload, ask.options))]


def question(reply: Reply, in_dm: bool = True) -> Rendered:
    """Any reply's message without its picture (a question has none): what tests and benchmarks check."""
    return rendered(layout.card_of(reply), in_dm=in_dm)


def thread_name(summary: TeamSummary) -> str:
    """Thread names are plain text (no markdown rendered), at most 100 characters."""
    return clip(inert(layout.thread_name(summary)), THREAD_NAME)


def markdown(text: str, name: str) -> Rendered:
    """A record's Markdown: a code block when it fits one message, else an attached .md file.

    A code block shows the Markdown as text to copy (nothing in it renders or pings); a triple
    backtick typed into a topic or name is broken up so it cannot end the block early.
    """
    block = "```markdown\n" + text.replace("```", "`\u200b`\u200b`") + "```"
    if len(block) <= MESSAGE_LIMIT:
        return Rendered(block, None, None)
    return Rendered(words.RECORD_ATTACHED, None, None, attached=(name, text.encode()))


def mentioned(card: Card) -> list[int]:
    """The users a message names and may ping (a prompt asks them why): no one else."""
    return [int(m.group(1)) for key in card.mentions if (m := DISCORD_USER.match(key))]

