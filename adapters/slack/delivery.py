"""Getting core replies onto Slack: update the living message, whisper notices, never go silent.

In-place updates of the message a click came from go through the interaction's `response_url`
(it does not count against Web API rate limits) and fall back to `chat.update`. Web API errors
are logged and turned into a short apology to the user; the session was already saved (or left
untouched) by the core, so an error here never corrupts it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.blocks import (
    button,
    fallback_text,
    history_blocks,
    question_blocks,
    result_blocks,
    shared_summary_blocks,
)
from adapters.slack.text import escape, plain
from adapters.slack.values import ButtonValue
from bot import words
from bot.conversation.replies import History, Notice, Question, Reply, ResultCard

log = logging.getLogger("outsource_check.slack")
JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}
NOT_IN_CHANNEL = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action", "no_permission"}


def _error_of(exc: Exception) -> str:
    """Slack's error code, or the HTTP status / exception name when the answer was not Slack JSON."""
    if isinstance(exc, SlackApiError):
        data = getattr(exc.response, "data", None)
        if isinstance(data, dict):
            return str(data.get("error", "unknown_error"))
        return f"HTTP {getattr(exc.response, 'status_code', '?')}"
    return type(exc).__name__


@dataclass(frozen=True)
class Place:
    """A message: where a conversation lives. Its surface string is what the core keeps."""

    channel: str
    ts: str

    @property
    def surface(self) -> str:
        return f"{self.channel}:{self.ts}"

    @classmethod
    def parse(cls, surface: str) -> Place | None:
        channel, _, ts = surface.partition(":")
        return cls(channel, ts) if channel and ts else None


class Delivery:
    def __init__(
        self,
        *,
        client: AsyncWebClient,
        user_id: str,
        response_url: str | None = None,
        origin: Place | None = None,
    ) -> None:
        self.client = client
        self.user_id = user_id
        self.response_url = response_url
        self.origin = origin

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
        body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
        try:
            return await _post(session, self.response_url, body)
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
            return await _post(session, self.response_url, body)  # the kept-alive connection was gone: once more

    @asynccontextmanager
    async def apologising(self, quiet: bool = False) -> AsyncIterator[None]:
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

    async def new_dm_message(self, text: str) -> Place:
        opened = await self.client.conversations_open(users=self.user_id)
        channel = opened["channel"]["id"]
        posted = await self.client.chat_postMessage(channel=channel, text=text)
        return Place(channel, posted["ts"])

    async def show(self, replies: list[Reply], place: Place) -> None:
        for reply in replies:
            if isinstance(reply, Question):
                await self.update(place, fallback_text(reply), question_blocks(reply))
            elif isinstance(reply, ResultCard):
                await self.update(place, fallback_text(reply), result_blocks(reply))
            elif isinstance(reply, Notice) and reply.kind == "changed":
                restart = ButtonValue(reply.session_id, 0).encode()
                blocks = [
                    {"type": "section", "text": plain(reply.text)},
                    {"type": "actions", "elements": [button(words.START_OVER, "oc.restart", restart, style="primary")]},
                ]
                await self.update(place, escape(reply.text), blocks)
            else:
                await self.show_ephemeral([reply])

    async def show_ephemeral(self, replies: list[Reply]) -> None:
        for reply in replies:
            if isinstance(reply, History):
                await self.ephemeral(words.YOUR_LAST_RESULTS, blocks=history_blocks(reply))
            elif isinstance(reply, Notice):
                await self.ephemeral(escape(reply.text))

    async def update(self, place: Place, text: str, blocks: list[dict]) -> None:
        if self.response_url and place == self.origin:
            status = await self.respond(text=text, blocks=blocks, replace_original=True)
            if 200 <= status < 300:
                return
            log.info("response_url update failed (%s); falling back to chat.update", status)
        await self.client.chat_update(channel=place.channel, ts=place.ts, text=text, blocks=blocks)

    async def retire(self, place: Place, text: str) -> None:
        """An old living message: keep its words, drop its buttons."""
        await self.client.chat_update(channel=place.channel, ts=place.ts, text=text, blocks=[{"type": "section", "text": plain(text)}])

    async def remove(self, place: Place) -> None:
        """A placeholder that never got its conversation ("Starting your check…"): delete it, so nothing
        stale is left in the chat; where Slack refuses, at least it stops claiming to start anything."""
        try:
            await self.client.chat_delete(channel=place.channel, ts=place.ts)
        except SlackApiError as exc:
            log.info("could not delete placeholder %s (%s); retiring it instead", place.surface, _error_of(exc))
            await self.retire(place, words.NOT_STARTED_HERE)

    async def ephemeral(self, text: str, blocks: list[dict] | None = None) -> None:
        if self.response_url:
            status = await self.respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)
            if 200 <= status < 300:
                return
        if self.origin is not None and self.origin.channel:
            await self.client.chat_postEphemeral(channel=self.origin.channel, user=self.user_id, text=text, blocks=blocks)
        else:
            await self.dm(text, blocks)

    async def replace_original(self, text: str, blocks: list[dict] | None = None) -> None:
        if self.response_url:
            await self.respond(text=escape(text), blocks=blocks, replace_original=True)
        else:
            await self.dm(escape(text), blocks)

    async def dm(self, text: str, blocks: list[dict] | None = None) -> None:
        """`text` is mrkdwn: callers escape anything that came from the core or a user."""
        await self.client.chat_postMessage(channel=self.user_id, text=text, blocks=blocks)

    async def post(self, channel: str, text: str) -> None:
        await self.client.chat_postMessage(channel=channel, text=escape(text))

    async def share(self, card: ResultCard, channel: str) -> None:
        try:
            await self.client.chat_postMessage(channel=channel, text=fallback_text(card), blocks=shared_summary_blocks(card, self.user_id))
        except SlackApiError as exc:
            if _error_of(exc) not in NOT_IN_CHANNEL:
                raise
            await self.dm(f"I can't post in <#{channel}>: invite me there first (`/invite @Outsource Check`), then share again.")
            return
        await self.dm(f"Shared your result in <#{channel}>.")


async def _post(session: aiohttp.ClientSession, url: str, body: bytes) -> int:
    async with session.post(url, data=body, headers=JSON_HEADERS) as response:
        await response.read()
        return response.status
