"""Team rounds on Slack: `/outsource-check team` in a channel, private checks, reveal, positions, close.

The round card lives in the channel; each member's check lives in their DM; the comparison is
posted in the channel at the reveal and the discussion prompts go in its thread.
"""

from __future__ import annotations

import json
import logging
import re

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import fallback_text, question_blocks
from adapters.slack.delivery import Delivery, Place
from adapters.slack.team_blocks import (
    close_reason_modal,
    decision_blocks,
    markdown_blocks,
    position_modal,
    prompt_text,
    round_card_blocks,
    summary_blocks,
)
from adapters.slack.text import escape
from adapters.slack.values import ButtonValue, ForgedValue, decode
from bot import words
from bot.conversation.events import (
    CloseRound,
    Event,
    LatestRound,
    MoveTo,
    OpenRound,
    RevealRound,
    RoundThread,
    SecondLook,
    ShowRound,
    TakePosition,
    TakeRoundCheck,
)
from bot.conversation.replies import DecisionRecord, Notice, NoticeKind, Question, Reply, RoundCard, TeamSummary
from bot.conversation.service import ConversationService
from bot.team.comparison import parse_deadline

log = logging.getLogger("outsource_check.slack")
EXPECTED = re.compile(r"\bexpected:(\d{1,3})\b")
QUORUM = re.compile(r"\bquorum:(\d{1,3})\b")
DEADLINE = re.compile(r"\bdeadline:\S+")


def parse_team_text(text: str, now: float = 0.0) -> tuple[str, int, bool, float, int]:
    """`team [topic] [expected:N] [deadline:30m|2h|1d] [quorum:N] [anonymous]` -> (topic, expected, anonymous, deadline, quorum)."""
    expected = EXPECTED.search(text)
    quorum = QUORUM.search(text)
    deadline = DEADLINE.search(text)
    text = DEADLINE.sub("", QUORUM.sub("", EXPECTED.sub("", text)))
    words = text.split()
    anonymous = "anonymous" in words
    topic = " ".join(w for w in words if w != "anonymous")
    due = parse_deadline(deadline.group(0), now) if deadline else 0.0
    return topic, int(expected.group(1)) if expected else 0, anonymous, due, int(quorum.group(1)) if quorum else 0


def _modal_of(body: dict, view: dict) -> tuple[str, ButtonValue, Place, str]:
    """The user id, what the modal is about, the comparison it came from, and the typed reason; ForgedValue if not ours."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
        value = decode(meta.get("v"))
        place = Place(str(meta["ch"]), str(meta["ts"]))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ForgedValue(str(exc)) from None
    typed = ((view.get("state") or {}).get("values", {}).get("reason", {}).get("text") or {}).get("value") or ""
    if not isinstance(typed, str):
        raise ForgedValue("not a typed reason")
    return body["user"]["id"], value, place, typed


def _user_of(body: dict) -> str:
    return f"slack:{body['user'].get('team_id') or body['team']['id']}:{body['user']['id']}"


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
            await delivery.ephemeral(words.SLACK_TEAM_IN_DM)
            return
        try:
            topic, expected, anonymous, deadline, quorum = parse_team_text(text, self.service.clock())
        except ValueError as exc:
            await delivery.ephemeral(words.DEADLINE_REFUSED.format(problem=exc))
            return
        posted = await delivery.client.chat_postMessage(channel=channel, text=words.ROUND_STARTING)
        place = Place(channel, posted["ts"])
        replies = await self.ask(
            user,
            OpenRound(
                name=name, surface=place.surface, topic=topic, expected=expected, anonymous=anonymous, deadline=deadline, quorum=quorum
            ),
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

    async def click(
        self, delivery: Delivery, user: str, name: str, action_id: str, value: ButtonValue, clicked: Place, trigger_id: str = ""
    ) -> None:
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
            dm = await delivery.new_dm_message(words.STARTING_ROUND_CHECK)
            moved = await self.ask(user, MoveTo(question.session_id, dm.surface))
            if not any(isinstance(r, Question) for r in moved):  # the store went away in between: the placeholder goes
                await delivery.remove(dm)
                await self.show(delivery, user, moved)
                return
            await self.show(delivery, user, [*(r for r in replies if not isinstance(r, Question)), *moved], private=dm)
        elif action_id == "oc.round.look":
            # a second look, only for the member: the split questions as ephemeral messages in the channel;
            # their buttons are ordinary answers, and the last one updates the comparison
            replies = await self.ask(user, SecondLook(round_id))
            question = next((r for r in replies if isinstance(r, Question)), None)
            if question is None:
                await self.show(delivery, user, replies)
                return
            await delivery.ephemeral(fallback_text(question), blocks=question_blocks(question))
        elif action_id == "oc.round.reveal":
            is_admin = await is_workspace_admin(delivery.client, delivery.user_id)
            await self.show(delivery, user, await self.ask(user, RevealRound(round_id, is_admin=is_admin)))
        elif action_id.startswith("oc.round.position."):
            # the modal opens first (a trigger_id lasts 3 s); the core checks the position when it is submitted
            if value.choice not in words.STANCE_LABELS or action_id != f"oc.round.position.{value.choice}":
                log.warning("refused a forged position from %s: %r", delivery.user_id, value.choice)
                await delivery.ephemeral(words.FORGED_FORM)
                return
            await delivery.client.views_open(
                trigger_id=trigger_id, view=position_modal(round_id, value.choice, clicked.channel, clicked.ts)
            )
        elif action_id == "oc.round.close":
            is_admin = await is_workspace_admin(delivery.client, delivery.user_id)
            replies = await self.ask(user, CloseRound(round_id, is_admin=is_admin))
            short = next((r for r in replies if isinstance(r, Notice) and r.kind is NoticeKind.REASON_NEEDED), None)
            if short is not None:  # before the quorum: ask why, and close with the reason
                await delivery.client.views_open(
                    trigger_id=trigger_id, view=close_reason_modal(round_id, short.text, clicked.channel, clicked.ts)
                )
                return
            await self.show(delivery, user, replies)
        elif action_id == "oc.round.export":
            await self.export(delivery, await self.ask(user, ShowRound(round_id, record=True)))

    # --- the modals ---------------------------------------------------------------------------

    async def position_submitted(self, ack, body: dict, view: dict, client: AsyncWebClient) -> None:
        """Agree, abstain or object with a reason: recorded, then the comparison shows the new counts."""
        try:
            user_id, value, place, typed = _modal_of(body, view)
        except (ForgedValue, KeyError) as exc:
            log.warning("refused a forged position form: %s", exc)
            await ack(response_action="errors", errors={"reason": words.FORGED_FORM})
            return
        user = _user_of(body)
        replies = await self.ask(user, TakePosition(value.session, value.choice, typed))  # in-process: an error shows in the form
        notice = next((r for r in replies if isinstance(r, Notice)), None)
        if notice is not None:
            await ack(response_action="errors", errors={"reason": notice.text[:150]})
            return
        await ack()
        delivery = Delivery(client=client, user_id=user_id, origin=place)
        async with delivery.apologising():
            await self.show(delivery, user, replies, summary_at=place)
            said = words.STANCE_LABELS.get(value.choice, value.choice).lower()
            await delivery.ephemeral(words.SLACK_POSITION_TAKEN.format(stance=said))

    async def close_submitted(self, ack, body: dict, view: dict, client: AsyncWebClient) -> None:
        """Closing before the quorum, with the closer's reason: the decision record keeps it."""
        try:
            user_id, value, place, typed = _modal_of(body, view)
        except (ForgedValue, KeyError) as exc:
            log.warning("refused a forged close form: %s", exc)
            await ack(response_action="errors", errors={"reason": words.FORGED_FORM})
            return
        await ack()
        user = _user_of(body)
        delivery = Delivery(client=client, user_id=user_id, origin=place)
        async with delivery.apologising():
            is_admin = await is_workspace_admin(client, user_id)
            await self.show(delivery, user, await self.ask(user, CloseRound(value.session, is_admin=is_admin, reason=typed)))

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
                        channel=place.channel, ts=place.ts, text=words.TEAM_ROUND_TITLE.format(topic=escape(reply.topic)), blocks=round_card_blocks(reply)
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
        text = words.TEAM_RESULTS_TITLE.format(topic=escape(summary.team_outcome_title))
        if at is None and summary.thread:  # already posted (a second look): the comparison changes where it is
            at = Place.parse(summary.thread)
        if at is not None:  # a position: update the comparison where it was taken
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
        """Once the decision is recorded, the comparison keeps its counts and loses its position and Close buttons."""
        at = Place.parse(record.thread)  # the comparison is the message the thread hangs on
        if at is None:
            return
        summary = next((r for r in await self.ask(user, ShowRound(record.round_id)) if isinstance(r, TeamSummary)), None)
        if summary is not None:
            await delivery.update(at, words.TEAM_RESULTS_TITLE.format(topic=escape(summary.team_outcome_title)), summary_blocks(summary, closed=True))

    async def post_decision(self, delivery: Delivery, record: DecisionRecord) -> None:
        thread = Place.parse(record.thread) or Place.parse(record.surface)
        if thread is None:
            return
        await delivery.client.chat_postMessage(
            channel=thread.channel,
            thread_ts=thread.ts,
            reply_broadcast=True,
            text=words.DECISION_TITLE.format(decision=escape(record.decision)),
            blocks=decision_blocks(record),
        )
