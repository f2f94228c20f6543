"""Core replies as Discord messages: an embed plus a view of dynamic components.

Pure functions (reply in, `Rendered` out), so every node of every dialog can be rendered and
checked against Discord's limits in a test without a connection. Views hold only DynamicItems
and never time out, so nothing about a conversation is kept in memory between clicks.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord

from adapters.common.pictures import draw
from adapters.discord import components as c
from adapters.discord import ids
from adapters.discord.text import clip, safe
from bot import words
from bot.conversation.bars import score_bar
from bot.conversation.replies import Advice, History, Notice, Question, ResultCard

if TYPE_CHECKING:
    from bot.conversation.picture import Picture

MAX_BUTTON_ROWS = 4  # one choice per row (long labels stay readable); the fifth row is Back / Start over
COLOUR = discord.Colour.blurple()
EMBED_TOTAL = 6000
DESCRIPTION = 4096


@dataclass(frozen=True)
class Rendered:
    content: str | None
    embed: discord.Embed | None
    view: discord.ui.View | None
    picture: Picture | None = None  # shown as the embed's image: attached as a file with its alt text

    def file(self) -> discord.File | None:
        """A new File each time: discord.py reads (and closes) one as it sends it."""
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


def with_picture(embed: discord.Embed, shown: Picture) -> Picture:
    """The embed shows the picture it will be sent with (`attachment://` names the file)."""
    embed.set_image(url=f"attachment://{shown.filename}")
    return shown


def fit(embed: discord.Embed) -> discord.Embed:
    """Discord refuses an embed over 6000 characters in all, or a description over 4096: trim the description."""
    description = embed.description or ""
    excess = max(len(embed) - EMBED_TOTAL, len(description) - DESCRIPTION)
    if excess > 0:
        embed.description = clip(description, max(1, len(description) - excess))
    return embed


def new_view() -> discord.ui.View:
    return discord.ui.View(timeout=None)


def forget_view() -> discord.ui.View:
    """The confirmation's two buttons: delete everything, or keep it."""
    return new_view().add_item(c.ForgetAnswer("yes")).add_item(c.ForgetAnswer("no"))


def question(q: Question, *, content: str | None = None, in_dm: bool = True) -> Rendered:
    lines = [safe(q.description, 600)] if q.description else []
    lines += [safe(p, 600) for p in q.preface]
    lines.append(f"**{safe(q.text, 1000)}**")
    if q.kind == "text":
        hint = "Press **Type your answer**" + (", or simply reply here in this DM." if in_dm else ".")
        lines.append(f"{hint} At most {q.max_length} characters.")
    elif q.kind == "multi":
        lines.append(words.PICK_ALL_IN_MENU if q.min_picks == 0 else words.PICK_AT_LEAST_IN_MENU.format(count=q.min_picks))
    embed = discord.Embed(title=safe(q.dialog_title, 256), description="\n\n".join(lines), colour=COLOUR)
    if q.previous:
        before = ", ".join(o.label for o in q.options if o.id in q.previous) or q.previous[0]
        embed.add_field(name=words.BEFORE_YOU_ANSWERED, value=safe(before, 1024), inline=False)
    if q.why:
        cited = f" (from {q.source})" if q.source else ""
        embed.add_field(name=words.WHY_IT_MATTERS, value=safe(f"{q.why}{cited}", 1024), inline=False)
    embed.set_footer(text=q.progress.text)
    return Rendered(content, fit(embed), _question_view(q))


def _question_view(q: Question) -> discord.ui.View:
    view = new_view()
    if q.kind == "text":
        view.add_item(c.TypeAnswer(q.session_id, q.version, q.node))
    elif q.kind == "multi":
        view.add_item(c.PickMany(q.session_id, q.version, q.node, q.options, q.min_picks, q.max_picks))
        if q.min_picks == 0:
            view.add_item(c.NoneOfThese(q.session_id, q.version, q.node))
    elif q.kind == "scale":
        for option in q.options:
            view.add_item(c.AnswerButton(q.session_id, q.version, q.node, option, row=0))
    elif len(q.options) <= MAX_BUTTON_ROWS:
        for row, option in enumerate(q.options):
            view.add_item(c.AnswerButton(q.session_id, q.version, q.node, option, row=row))
    else:
        view.add_item(c.PickOne(q.session_id, q.version, q.node, q.options))
    if q.can_go_back:
        view.add_item(c.Back(q.session_id, q.version))
    view.add_item(c.Restart(q.session_id, q.version))
    return view




def score_lines(card: ResultCard) -> str:
    return "\n".join(f"`{score_bar(s)}` {safe(s.label, 80)} ({s.score:+d})" for s in card.scores)


def _bullets(items: tuple[str, ...], mark: str, limit: int = 1024) -> str:
    return safe("\n".join(f"{mark} {item}" for item in items), limit)


def _advice(items: tuple[Advice, ...], mark: str) -> str:
    """Each point with the article's words under it, kept inside a field's 1024 characters."""
    budget = 1000 // max(1, len(items))
    lines = []
    for item in items:
        quote = ""
        if item.quote:
            source = f" ({safe(item.article, 120)})" if item.article else ""
            quote = f"\n> *“{safe(item.quote, budget // 2)}”*{source}"
        lines.append(f"{mark} {safe(item.text, budget // 2)}{quote}")
    return "\n".join(lines)[:1024]


def result(card: ResultCard, *, content: str | None = None, shown: Picture | None = None) -> Rendered:
    """Field budgets keep the whole embed under Discord's 6000 characters, whatever the dialog says."""
    description = [safe(p, 300) for p in card.preface]
    description.append(safe(card.summary, 1200))
    embed = discord.Embed(title=safe(words.RECOMMENDATION_TITLE.format(title=card.title), 256), description="\n\n".join(description), colour=COLOUR)
    if card.reasons:
        embed.add_field(name=words.WHY_THIS_FITS, value=_advice(card.reasons, "✅"), inline=False)
    if card.tensions:
        embed.add_field(name=words.PULLS_OTHER_WAY, value=_advice(card.tensions, "⚠️"), inline=False)
    embed.add_field(name=words.ANSWERS_AT_A_GLANCE, value=score_lines(card)[:1024] or "-", inline=False)
    embed.add_field(name=words.NEXT_STEPS, value=_bullets(card.next_steps, "☐", 900) or "-", inline=False)
    if card.still_to_settle:
        embed.add_field(name=words.STILL_TO_SETTLE, value=_bullets(card.still_to_settle, "?", 600), inline=False)
    embed.set_footer(text=(words.BASED_ON + "; ".join(card.sources))[:300])
    view = new_view()
    if card.can_share:  # a team round's check is shared by the round's reveal, not before it
        view.add_item(c.Share(card.session_id, card.version))
    view.add_item(c.Vet(card.session_id, card.version))
    view.add_item(c.Restart(card.session_id, card.version))
    return Rendered(content, fit(embed), view, with_picture(embed, shown or draw(card)))


def shared(card: ResultCard, user_id: int) -> discord.Embed:
    """What a channel sees when someone shares a result: attributed, compact, no buttons."""
    subject = f" for {safe(card.subject, 100)}" if card.subject else ""
    lines = [f"<@{user_id}> ran **{safe(card.dialog_title, 200)}**{subject}.", safe(card.summary, 1500)]
    embed = discord.Embed(title=safe(words.RECOMMENDATION_TITLE.format(title=card.title), 256), description="\n\n".join(lines), colour=COLOUR)
    embed.add_field(name="Scores", value=score_lines(card)[:1024] or "-", inline=False)
    embed.add_field(name=words.NEXT_STEPS, value=_bullets(card.next_steps, "☐", 1000) or "-", inline=False)
    embed.set_footer(text=(words.BASED_ON + "; ".join(card.sources))[:300])
    return fit(embed)


def changed(notice: Notice) -> Rendered:
    """The dialog changed under a running check: say so, and offer the one thing that helps."""
    view = new_view()
    view.add_item(c.Restart(notice.session_id, 0))
    return Rendered(safe(notice.text, 2000), None, view)


def history(entries: History) -> discord.Embed:
    if not entries.entries:
        return discord.Embed(title=words.YOUR_LAST_RESULTS, description=words.NO_FINISHED_CHECKS)
    lines = [
        f"• {time.strftime('%Y-%m-%d', time.gmtime(e.finished_at))} **{safe(e.dialog_title, 100)}**: {safe(e.outcome_title, 200)}"
        for e in entries.entries
    ]
    return fit(discord.Embed(title=words.YOUR_LAST_RESULTS, description="\n".join(lines), colour=COLOUR))


def text_modal(session: str, version: int, node: str) -> discord.ui.Modal:
    """Its custom_id carries the question it answers; the core checks length and freshness on submit."""
    modal = discord.ui.Modal(title=words.YOUR_ANSWER, custom_id=ids.with_node("m", session, version, node), timeout=900)
    modal.add_item(discord.ui.TextInput(label=words.YOUR_ANSWER, custom_id="answer", max_length=500, style=discord.TextStyle.paragraph))
    return modal
