"""Team rounds on Slack: `/outsource-check team` in a channel, private checks, reveal, vote, close.

The round card lives in the channel; each member's check lives in their DM; the comparison is
posted in the channel at the reveal and the discussion prompts go in its thread.
"""

from __future__ import annotations

import logging
import re

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.delivery import Delivery, Place
from adapters.slack.team_blocks import (
    decision_blocks,
    markdown_blocks,
    prompt_text,
    round_card_blocks,
    summary_blocks,
)
from adapters.slack.text import escape
from adapters.slack.values import ButtonValue
from bot.conversation.events import (
    CloseRound,
    Event,
    LatestRound,
    MoveTo,
    OpenRound,
    RevealRound,
    RoundThread,
    ShowRound,
    TakeRoundCheck,
    VoteRound,
)
from bot.conversation.replies import DecisionRecord, Question, Reply, RoundCard, TeamSummary
from bot.conversation.service import ConversationService
from bot.team.comparison import parse_deadline

log = logging.getLogger("outsource_check.slack")
EXPECTED = re.compile(r"\bexpected:(\d{1,3})\b")
DEADLINE = re.compile(r"\bdeadline:\S+")


def parse_team_text(text: str, now: float = 0.0) -> tuple[str, int, bool, float]:
    """`team [topic] [expected:N] [deadline:30m|2h|1d] [anonymous]` -> (topic, expected, anonymous, deadline)."""
    expected = EXPECTED.search(text)
    deadline = DEADLINE.search(text)
    text = DEADLINE.sub("", EXPECTED.sub("", text))
    words = text.split()
    anonymous = "anonymous" in words
    topic = " ".join(w for w in words if w != "anonymous")
    due = parse_deadline(deadline.group(0), now) if deadline else 0.0
    return topic, int(expected.group(1)) if expected else 0, anonymous, due


async def is_channel_member(client: AsyncWebClient, channel: str, user_id: str) -> bool:
    """Only channel members may join a channel's round (a public channel can be read without joining)."""
    cursor = None
    while True:
        page = await client.conversations_members(channel=channel, limit=1000, cursor=cursor)
        if user_id in page.get("members", []):
            return True
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return False


async def is_workspace_admin(client: AsyncWebClient, user_id: str) -> bool:
    """Workspace admins and owners may reveal or close any round, as its starter may."""
    user = (await client.users_info(user=user_id)).get("user") or {}
    return bool(user.get("is_admin") or user.get("is_owner"))


class SlackTeam:
    def __init__(self, service: ConversationService) -> None:
        self.service = service

    async def ask(self, user: str, action) -> list[Reply]:
        return await self.service.handle(Event(user, action))

    async def command(self, delivery: Delivery, user: str, name: str, channel: str, text: str) -> None:
        if text.strip().lower() == "export":
            await self.export_latest(delivery, user, channel)
            return
        if channel.startswith("D"):
            await delivery.ephemeral("Team rounds run in a channel: type `/outsource-check team` there.")
            return
        try:
            topic, expected, anonymous, deadline = parse_team_text(text, self.service.clock())
        except ValueError as exc:
            await delivery.ephemeral(f"That deadline doesn't work: {exc}.")
            return
        posted = await delivery.client.chat_postMessage(channel=channel, text="Starting a team round…")
        place = Place(channel, posted["ts"])
        replies = await self.ask(
            user,
            OpenRound(name=name, surface=place.surface, topic=topic, expected=expected, anonymous=anonymous, deadline=deadline),
        )
        if not any(isinstance(r, RoundCard) for r in replies):  # no round (the store is down, say): no card either
            await delivery.remove(place)
        await self.show(delivery, user, replies)

    async def export_latest(self, delivery: Delivery, user: str, channel: str) -> None:
        await self.export(delivery, await self.ask(user, LatestRound(f"{channel}:", record=True)))

    async def export(self, delivery: Delivery, replies: list[Reply]) -> None:
        """The decision record as Markdown, only for the asker; else what the core said (none here, try again)."""
        record = next((r for r in replies if isinstance(r, DecisionRecord)), None)
        if record is None:
            await delivery.show_ephemeral(replies)
            return
        await delivery.ephemeral(escape(record.markdown), blocks=markdown_blocks(record))

    async def click(self, delivery: Delivery, user: str, name: str, action_id: str, value: ButtonValue, clicked: Place) -> None:
        round_id = value.session
        if action_id == "oc.round.take":
            if not await is_channel_member(delivery.client, clicked.channel, delivery.user_id):
                replies = await self.ask(user, TakeRoundCheck(round_id, name=name, is_member=False))
                await self.show(delivery, user, replies)
                return
            # the core first: a closed round (or an outage) is refused before any DM is opened
            replies = await self.ask(user, TakeRoundCheck(round_id, name=name))
            question = next((r for r in replies if isinstance(r, Question)), None)
            if question is None:
                await self.show(delivery, user, replies)
                return
            dm = await delivery.new_dm_message("Starting your check for the team round…")
            moved = await self.ask(user, MoveTo(question.session_id, dm.surface))
            if not any(isinstance(r, Question) for r in moved):  # the store went away in between: the placeholder goes
                await delivery.remove(dm)
                await self.show(delivery, user, moved)
                return
            await self.show(delivery, user, [*(r for r in replies if not isinstance(r, Question)), *moved], private=dm)
        elif action_id == "oc.round.reveal":
            is_admin = await is_workspace_admin(delivery.client, delivery.user_id)
            await self.show(delivery, user, await self.ask(user, RevealRound(round_id, is_admin=is_admin)))
        elif action_id.startswith("oc.round.vote."):
            await self.show(delivery, user, await self.ask(user, VoteRound(round_id, value.choice)), summary_at=clicked)
        elif action_id == "oc.round.close":
            is_admin = await is_workspace_admin(delivery.client, delivery.user_id)
            await self.show(delivery, user, await self.ask(user, CloseRound(round_id, is_admin=is_admin)))
        elif action_id == "oc.round.export":
            await self.export(delivery, await self.ask(user, ShowRound(round_id, record=True)))

    async def show(
        self, delivery: Delivery, user: str, replies: list[Reply], private: Place | None = None, summary_at: Place | None = None
    ) -> None:
        """Round replies go to the channel; the member's own question or result to their DM."""
        personal: list[Reply] = []
        for reply in replies:
            if isinstance(reply, RoundCard):
                place = Place.parse(reply.surface)
                if place is not None:
                    await delivery.client.chat_update(
                        channel=place.channel, ts=place.ts, text=f"Team round: {escape(reply.topic)}", blocks=round_card_blocks(reply)
                    )
            elif isinstance(reply, TeamSummary):
                await self.show_summary(delivery, user, reply, summary_at)
            elif isinstance(reply, DecisionRecord):
                await self.post_decision(delivery, reply)
                await self.close_comparison(delivery, user, reply)
            else:
                personal.append(reply)
        if personal:
            if private is not None:
                await delivery.show(personal, private)
            else:
                await delivery.show_ephemeral(personal)

    async def show_summary(self, delivery: Delivery, user: str, summary: TeamSummary, at: Place | None) -> None:
        text = f"Team results: {escape(summary.team_outcome_title)}"
        if at is not None:  # a vote: update the comparison where it was clicked
            await delivery.update(at, text, summary_blocks(summary))
            return
        card = Place.parse(summary.surface)
        if card is None:
            return
        posted = await delivery.client.chat_postMessage(channel=card.channel, text=text, blocks=summary_blocks(summary))
        thread = Place(card.channel, posted["ts"])
        for number, prompt in enumerate(summary.disagreements, 1):
            await delivery.client.chat_postMessage(channel=card.channel, thread_ts=thread.ts, text=prompt_text(number, prompt))
        await self.ask(user, RoundThread(summary.round_id, thread.surface))

    async def close_comparison(self, delivery: Delivery, user: str, record: DecisionRecord) -> None:
        """Once the decision is recorded, the comparison keeps its counts and loses its vote and Close buttons."""
        at = Place.parse(record.thread)  # the comparison is the message the thread hangs on
        if at is None:
            return
        summary = next((r for r in await self.ask(user, ShowRound(record.round_id)) if isinstance(r, TeamSummary)), None)
        if summary is not None:
            await delivery.update(at, f"Team results: {escape(summary.team_outcome_title)}", summary_blocks(summary, closed=True))

    async def post_decision(self, delivery: Delivery, record: DecisionRecord) -> None:
        thread = Place.parse(record.thread) or Place.parse(record.surface)
        if thread is None:
            return
        await delivery.client.chat_postMessage(
            channel=thread.channel,
            thread_ts=thread.ts,
            reply_broadcast=True,
            text=f"Decision: {escape(record.decision)}",
            blocks=decision_blocks(record),
        )
