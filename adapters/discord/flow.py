"""What each Discord event means for a conversation: the one place that calls the core.

Every turn acknowledges the interaction first, then asks the core, then shows the replies: a
question or result edits the message the conversation lives in; a refusal or hint goes to the
user alone. Discord errors are logged and the user is told; the core has already saved (or left
untouched) the session by then, so a failed send never corrupts it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import aiohttp
import discord

from adapters.discord import render
from adapters.discord.delivery import ANSWER_WITHIN, Delivery, Place
from adapters.discord.text import is_greeting, safe
from adapters.logs import new_turn
from bot import words
from bot.conversation.events import Action, Answer, Back, Event, Forget, MoveTo, Restart, Resume, Start, TypedReply
from bot.conversation.replies import (
    DecisionRecord,
    History,
    Notice,
    Question,
    Reply,
    ResultCard,
    RoundCard,
    TeamSummary,
)
from bot.conversation.service import ConversationService
from bot.dialogs.catalog import AGENCY_DIALOG, MAIN_DIALOG

log = logging.getLogger("outsource_check.discord")


def user_key(user: discord.abc.User) -> str:
    return f"discord:{user.id}"


def rendering(reply: Reply, content: str | None = None, in_dm: bool = True) -> render.Rendered:
    if isinstance(reply, Question):
        return render.question(reply, content=content, in_dm=in_dm)
    if isinstance(reply, ResultCard):
        return render.result(reply, content=content)
    if isinstance(reply, Notice) and reply.kind == "changed":
        return render.changed(reply)
    text = reply.text if isinstance(reply, Notice) else "Nothing to show."
    return render.Rendered(safe(text, 2000), None, None)


class Flow:
    def __init__(self, *, service: ConversationService, client: discord.Client) -> None:
        self.service = service
        self.client = client
        self.answer_within = ANSWER_WITHIN  # seconds a click waits for the core before deferring
        self.in_flight: set[asyncio.Task] = set()  # turns still running: shutdown waits for them
        self.late: set[asyncio.Task] = set()  # turns begun once shutdown had started: refused
        self.closing = False
        from adapters.discord.team import DiscordTeam  # team.py builds on this module: imported here, not at the top

        self.team = DiscordTeam(self)

    async def ask(self, user: discord.abc.User, action: Action) -> list[Reply]:
        if asyncio.current_task() in self.late:  # begun during shutdown: say so rather than start what may not finish
            return [Notice("unavailable", words.RESTARTING)]
        return await self.service.handle(Event(user_key(user), action))

    async def finish_turns(self, *, timeout: float) -> None:
        """Refuse new turns, then wait (at most `timeout` seconds) for the ones in flight."""
        self.closing = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        announced = False
        while True:  # turns that began just before `closing` was set are waited for too
            pending = [t for t in self.in_flight if t is not asyncio.current_task() and not t.done()]
            if not pending:
                return
            if not announced:
                log.info("finishing %d turn(s) in flight", len(pending))
                announced = True
            left = deadline - loop.time()
            if left <= 0:
                log.warning("%d turn(s) still running after %ss; closing anyway", len(pending), timeout)
                return
            await asyncio.wait(pending, timeout=left)

    @asynccontextmanager
    async def turn(self, delivery: Delivery) -> AsyncIterator[None]:
        """One user's turn: a correlation id for the logs, tracked for a graceful shutdown, and an
        apology instead of silence."""
        new_turn()
        task = asyncio.current_task()
        if task is not None:
            self.in_flight.add(task)
            if self.closing:
                self.late.add(task)
        try:
            yield
        except (discord.HTTPException, aiohttp.ClientError) as exc:
            status = getattr(exc, "status", type(exc).__name__)
            log.warning("Discord refused a call for user %s: %s %s", delivery.user.id, status, getattr(exc, "code", ""))
            try:
                await delivery.say(words.APOLOGY)
            except (discord.HTTPException, aiohttp.ClientError) as again:
                log.warning("could not deliver the apology to %s either: %s", delivery.user.id, getattr(again, "status", again))
        finally:
            self.in_flight.discard(task)  # type: ignore[arg-type]
            self.late.discard(task)  # type: ignore[arg-type]

    # --- clicks ---------------------------------------------------------------------------------

    async def answer(self, interaction: discord.Interaction, session: str, version: int, node: str, value: object) -> None:
        await self._click(interaction, Answer(session, node, value, version))

    async def back(self, interaction: discord.Interaction, session: str, version: int) -> None:
        await self._click(interaction, Back(session, version))

    async def restart(self, interaction: discord.Interaction, session: str, version: int) -> None:
        await self._click(interaction, Restart(session, version or None))  # 0: the "changed" notice's button

    async def _click(self, interaction: discord.Interaction, action: Action, typed: bool = False) -> None:
        delivery = Delivery.of(interaction)
        async with self.turn(delivery):
            replies = await delivery.in_time(self.ask(interaction.user, action), self.answer_within)
            if not typed and any(isinstance(r, Notice) and r.kind == "invalid" for r in replies):
                # a component only offers valid answers: one that does not fit was not made by us
                log.warning("refused a click from %s on session %s that does not fit its question", interaction.user.id, getattr(action, "session", "?"))
            await self.show(delivery, replies)
            await delivery.acknowledge()  # nothing shown through the interaction (e.g. a team card): stop its clock

    async def vet(self, interaction: discord.Interaction) -> None:
        delivery = Delivery.of(interaction)
        async with self.turn(delivery):
            await delivery.acknowledge()
            await self.start(delivery, Start(AGENCY_DIALOG))

    async def forget(self, interaction: discord.Interaction, confirmed: bool) -> None:
        delivery = Delivery.of(interaction)
        async with self.turn(delivery):
            await delivery.acknowledge()
            replies = await self.ask(interaction.user, Forget(confirmed=True)) if confirmed else []
            text = replies[0].text if replies and isinstance(replies[0], Notice) else words.DELETE_NOTHING
            view = None
            if replies and isinstance(replies[0], Notice) and replies[0].kind == "unavailable":
                view = render.forget_view()  # nothing was deleted: the confirmation stays, for another try
            if not await delivery.edit_here(render.Rendered(safe(text, 2000), None, view)):
                await delivery.say(safe(text, 2000), view=view)

    async def open_text_modal(self, interaction: discord.Interaction, session: str, version: int, node: str) -> None:
        """A modal must be the first response, so it opens without asking the core; the answer is checked on submit."""
        new_turn()
        await interaction.response.send_modal(render.text_modal(session, version, node))

    async def modal_submitted(self, interaction: discord.Interaction, session: str, version: int, node: str, text: str) -> None:
        await self._click(interaction, Answer(session, node, text, version), typed=True)

    # --- typed DMs ------------------------------------------------------------------------------

    async def typed(self, message: discord.Message) -> None:
        """A DM typed to the bot: a greeting, or an answer to the running check."""
        if message.author.bot or message.guild is not None:
            return
        delivery = Delivery(client=self.client, user=message.author, dm=message.channel)
        async with self.turn(delivery):
            text = message.content.strip()
            if is_greeting(text):
                await self.welcome(delivery)
                return
            replies = await self.ask(message.author, TypedReply(text))
            first = replies[0] if replies else None
            if isinstance(first, Notice) and first.kind == "nothing_to_resume":
                await self.welcome(delivery)
            elif isinstance(first, Notice) and first.kind != "changed":
                await delivery.say(safe(first.text, 2000))
            else:
                await self.show(delivery, replies)

    async def welcome(self, delivery: Delivery) -> None:
        (found, *_) = await self.ask(delivery.user, Resume())
        if isinstance(found, (Question, ResultCard)):
            if await self.relocate(delivery, found.session_id, content=words.WELCOME_BACK) is not None:
                await delivery.retire(Place.parse(found.surface), words.MOVED_ON)
        elif isinstance(found, Notice) and found.kind != "nothing_to_resume":
            await delivery.say(safe(found.text, 2000))  # the store is down: "try again", and nothing started
        else:
            await self.start(delivery, Start(MAIN_DIALOG), greeting=words.WELCOME)

    # --- showing replies ------------------------------------------------------------------------

    async def show(self, delivery: Delivery, replies: list[Reply]) -> None:
        for reply in replies:
            if isinstance(reply, (Question, ResultCard)) or (isinstance(reply, Notice) and reply.kind == "changed"):
                await self.put(delivery, reply)
            elif isinstance(reply, Notice):
                await delivery.say(safe(reply.text, 2000))
            elif isinstance(reply, History):
                await delivery.say(embed=render.history(reply))
            elif isinstance(reply, (RoundCard, TeamSummary, DecisionRecord)):
                await self.team.put(delivery, reply)  # e.g. a member's last answer finished (or revealed) a round
            else:
                log.info("no Discord rendering for %s yet", type(reply).__name__)

    async def put(self, delivery: Delivery, reply: Question | ResultCard | Notice) -> None:
        """Edit the living message in place; if it cannot be reached, continue in a fresh one."""
        rendered = rendering(reply, in_dm=not delivery.in_guild)
        if await delivery.edit_here(rendered):
            return
        place = Place.parse(getattr(reply, "surface", ""))
        if place is not None and not delivery.late:  # a late click gets a fresh message at the bottom
            try:
                await delivery.message_at(place).edit(**rendered.as_kwargs())
                return
            except discord.NotFound:
                log.info("living message %s is gone; continuing in a fresh one", place.message)
        session = getattr(reply, "session_id", "")
        if session and await self.relocate(delivery, session, content=words.FRESH) is not None:
            await delivery.retire(place, words.MOVED_ON)

    async def relocate(self, delivery: Delivery, session: str, content: str) -> discord.Message | None:
        """Continue a check in a new DM message: old buttons go stale, later replies name the new one.

        None when it could not move (the store is down, say): the new message is deleted again and
        the user told why, so nothing in the DM is left waiting for a check that never comes.
        """
        message = await delivery.post_dm(content)
        replies = await self.ask(delivery.user, MoveTo(session, Place.of(message).surface))
        if not await self.landed(delivery, replies, message):
            return None
        await message.edit(**rendering(replies[0], content=content).as_kwargs())
        return message

    async def landed(self, delivery: Delivery, replies: list[Reply], placeholder: discord.Message) -> bool:
        """Whether the core put the conversation in `placeholder`; if not, it goes and the user hears why."""
        first = replies[0] if replies else None
        if isinstance(first, (Question, ResultCard)) or isinstance(first, Notice) and first.kind == "changed":
            return True
        await delivery.delete(placeholder)
        await delivery.say(safe(first.text, 2000) if isinstance(first, Notice) else words.NOT_STARTED)
        return False

    async def start(self, delivery: Delivery, action: Start, greeting: str | None = None) -> None:
        """A new check in its own DM message, or (DMs closed) as ephemeral replies that say why."""
        try:
            message = await delivery.post_dm(greeting or words.STARTING)
        except discord.Forbidden:
            replies = await self.ask(delivery.user, action)
            rendered = rendering(replies[0], content=words.DMS_CLOSED, in_dm=False)
            await delivery.say(rendered.content, embed=rendered.embed, view=rendered.view)
            return
        replies = await self.ask(delivery.user, replace(action, surface=Place.of(message).surface))
        if not await self.landed(delivery, replies, message):
            return
        await message.edit(**rendering(replies[0], content=greeting).as_kwargs())
        if delivery.in_guild:
            await delivery.say(f"I've sent your check to our DM: {message.jump_url}")
        elif delivery.thinking:
            await delivery.say("Your check is in the message below.")
