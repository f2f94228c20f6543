"""Getting core replies onto Slack: update the living message, whisper notices, never go silent.

In-place updates of the message a click came from go through the interaction's `response_url`
(it does not count against Web API rate limits) and fall back to `chat.update`. Web API errors
are logged and turned into a short apology to the user; the session was already saved (or left
untouched) by the core, so an error here never corrupts it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import aiohttp
import orjson
from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.common.delivery import Ask, deliver, is_check
from adapters.common.pictures import picture_of
from adapters.common.places import Place
from adapters.common.text import clip
from adapters.common.turns import Turns
from adapters.slack.blocks import render, render_card
from bot import words
from bot.conversation import layout
from bot.conversation.replies import DecisionRecord, Reply, ResultCard, SharedResult, TeamSummary, To
from bot.conversation.routes import Route

if TYPE_CHECKING:
    from bot.conversation.picture import Picture

log = logging.getLogger("outsource_check.slack")
JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}
TURNS = Turns(log)  # turns running right now (each listener runs on in a task of its own after its ack): a shutdown waits for them
NOT_IN_CHANNEL = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action", "no_permission"}


def _error_of(exc: Exception) -> str:
    """Slack's error code, or the HTTP status / exception name when the answer was not Slack JSON."""
    if isinstance(exc, SlackApiError):
        data = getattr(exc.response, "data", None)
        if isinstance(data, dict):
            return str(data.get("error", "unknown_error"))
        return f"HTTP {getattr(exc.response, 'status_code', '?')}"
    return type(exc).__name__


class Delivery:
    def __init__(
        self,
        *,
        client: AsyncWebClient,
        user_id: str,
        response_url: str | None = None,
        origin: Place | None = None,
        channel: str = "",
    ) -> None:
        self.client = client
        self.user_id = user_id
        self.response_url = response_url
        self.origin = origin  # the message clicked, if any: "here"
        self.channel = channel or (origin.channel if origin else "")  # where the user acted

    async def respond(self, **payload: object) -> int:
        """POST to the interaction's response_url over the process's shared HTTP session.

        (bolt's own `respond` opens a new connection for every call; under load that was a sixth
        of a turn's cost, and slack_sdk's webhook client still cost twice this plain aiohttp
        post.) A kept-alive connection the other end dropped is retried once on a fresh one.
        Returns the HTTP status; 0 when there is no response_url.
        """
        if not self.response_url:
            return 0
        data = {k: v for k, v in payload.items() if v is not None}
        session = self.client.session
        if session is None:  # no shared session (a one-off client): slack_sdk opens its own
            return (await AsyncWebhookClient(url=self.response_url).send_dict(data)).status_code
        body = orjson.dumps(data)
        try:
            return await _post(session, self.response_url, body)
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
            return await _post(session, self.response_url, body)  # the kept-alive connection was gone: once more

    @asynccontextmanager
    async def apologising(self, quiet: bool = False) -> AsyncIterator[None]:
        """A turn's Web API work: tracked (a shutdown lets it finish), and an apology instead of silence."""
        async with TURNS.turn(fresh=False):
            try:
                yield
            except (SlackApiError, ClientError) as exc:
                reason = _error_of(exc)
                log.warning("Slack Web API call failed for %s: %s", self.user_id, reason)
                if not quiet:
                    try:
                        await self.ephemeral(words.SLACK_APOLOGY)
                    except (SlackApiError, ClientError):
                        log.warning("could not deliver the apology to %s either", self.user_id)

    async def deliver(self, replies: list[Reply], ask: Ask) -> None:
        """Each reply where the core routes it (adapters/common/delivery.py); pictures last, once every word is out.

        A picture Slack refuses (no `files:write`, uploads switched off for apps, a rate limit past
        its retries) is logged and left out: every word it shows is on the card already, so an
        apology to "try again" would only confuse (Discord does the same where it may not attach)."""
        self.pictures: list[tuple[Reply, To, Place | None]] = []
        await deliver(self, replies, ask)
        for reply, to, at in self.pictures:
            try:
                await self.show_picture(reply, to, at)
            except (SlackApiError, ClientError) as exc:
                log.warning("Slack refused a picture for %s (%s): the words went out without it", self.user_id, _error_of(exc))

    # --- the routes, the Slack way (adapters/common/delivery.py `Surface`) -------------------------

    async def update(self, reply: Reply, at: Place) -> Place | None:
        await self.redraw(at, *render(reply))
        return at

    async def here(self, reply: Reply) -> Place | None:
        if self.origin is not None and self.origin.message:
            await self.redraw(self.origin, *render(reply))
            return self.origin
        if is_check(reply):  # typed, not clicked: a new message
            return await self.new(reply)
        await self.privately(reply)
        return None

    async def new(self, reply: Reply) -> Place | None:
        return await self.new_dm_message(*render(reply))

    async def in_channel(self, reply: Reply, channel: Place) -> Place | None:
        text, blocks = render(reply)
        try:
            posted = await self.client.chat_postMessage(channel=channel.channel, text=text, blocks=blocks)
        except SlackApiError as exc:
            if not isinstance(reply, SharedResult) or _error_of(exc) not in NOT_IN_CHANNEL:
                raise
            await self.dm(words.CANNOT_POST_IN.format(channel=f"<#{channel.channel}>"))  # a share to a channel we are not in
            return None
        return Place(channel.channel, posted["ts"])

    async def in_thread(self, reply: Reply, thread: Place) -> None:
        text, blocks = render(reply)
        broadcast = isinstance(reply, DecisionRecord)  # the decision is news for the whole channel
        await self.client.chat_postMessage(channel=thread.channel, thread_ts=thread.message, reply_broadcast=broadcast, text=text, blocks=blocks)

    async def privately(self, reply: Reply) -> None:
        await self.ephemeral(*render(reply))

    async def landed(self, reply: Reply, way: Route, at: Place | None) -> None:
        if isinstance(reply, SharedResult) and at is not None:
            await self.dm(*render_card(layout.shared_in(reply.channel)))
        self.pictures.append((reply, way.to, at or self.origin))
        if way.to is To.NEW and at is not None and self.channel and self.channel != at.channel:
            await self.ephemeral(words.SENT_TO_DM)  # asked elsewhere: say where it went

    async def show_picture(self, reply: Reply, to: To, at: Place | None) -> None:
        """The picture of a result or of the team, uploaded the way Slack expects (a file, with its alt
        text), beside the message: a result's in the DM, the team's in the comparison's thread, when
        the comparison is posted and whenever a second look changes its figures."""
        if at is None:
            return
        if isinstance(reply, ResultCard) and to in (To.MESSAGE, To.HERE, To.NEW):
            await self.upload(await picture_of(reply), at.channel)
        elif isinstance(reply, TeamSummary) and (to is To.CHANNEL or reply.new_figures):
            await self.upload(await picture_of(reply), at.channel, thread=at.message)

    async def upload(self, shown: Picture, channel: str, thread: str | None = None) -> None:
        await self.client.files_upload_v2(
            file=shown.png, filename=shown.filename, title=shown.alt.partition("\n")[0][:250], alt_txt=clip(shown.alt, 1000), channel=channel, thread_ts=thread
        )

    async def new_dm_message(self, text: str, blocks: list[dict] | None = None) -> Place:
        """Posted to the user's id, which Slack delivers in the app's DM with them (opening it when
        needed) and answers with that DM's channel id: one Web API round trip before the first
        question is on screen, where `conversations.open` first made it two."""
        posted = await self.client.chat_postMessage(channel=self.user_id, text=text, blocks=blocks)
        return Place(str(posted["channel"]), posted["ts"])

    async def redraw(self, place: Place, text: str, blocks: list[dict] | None) -> None:
        if self.response_url and place == self.origin:
            status = await self.respond(text=text, blocks=blocks, replace_original=True)
            if 200 <= status < 300:
                return
            log.info("response_url update failed (%s); falling back to chat.update", status)
        await self.client.chat_update(channel=place.channel, ts=place.message, text=text, blocks=blocks)

    async def ephemeral(self, text: str, blocks: list[dict] | None = None) -> None:
        if self.response_url:
            status = await self.respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)
            if 200 <= status < 300:
                return
        if self.channel:
            await self.client.chat_postEphemeral(channel=self.channel, user=self.user_id, text=text, blocks=blocks)
        else:
            await self.dm(text, blocks)

    async def dm(self, text: str, blocks: list[dict] | None = None) -> None:
        """`text` is mrkdwn: callers escape anything that came from the core or a user."""
        await self.client.chat_postMessage(channel=self.user_id, text=text, blocks=blocks)


async def _post(session: aiohttp.ClientSession, url: str, body: bytes) -> int:
    async with session.post(url, data=body, headers=JSON_HEADERS) as response:
        await response.read()
        return response.status
