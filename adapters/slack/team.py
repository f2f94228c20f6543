"""Team rounds on Slack: `/outsource-check team` in a channel, private checks, reveal, positions, close.

The round card lives in the channel; each member's check lives in their DM; the comparison is
posted in the channel at the reveal and the discussion prompts go in its thread.
"""

from __future__ import annotations

import json
import logging
import re
from typing import TYPE_CHECKING

from slack_sdk.web.async_client import AsyncWebClient

from adapters.common.places import Place
from adapters.slack.delivery import Delivery
from adapters.slack.team_blocks import close_reason_modal, position_modal
from adapters.slack.values import ButtonValue, ForgedValue, decode
from bot import words
from bot.conversation.events import (
    CloseRound,
    LatestRound,
    OpenRound,
    RevealRound,
    SecondLook,
    ShowRound,
    TakePosition,
    TakeRoundCheck,
)
from bot.conversation.replies import Notice, NoticeKind

if TYPE_CHECKING:
    from adapters.slack.app import Listeners

log = logging.getLogger("outsource_check.slack")
EXPECTED = re.compile(r"\bexpected:(\d{1,3})\b")
QUORUM = re.compile(r"\bquorum:(\d{1,3})\b")
DEADLINE = re.compile(r"\bdeadline:\S+")


def parse_team_text(text: str) -> tuple[str, int, bool, str, int]:
    """`team [topic] [expected:N] [deadline:30m|2h|1d] [quorum:N] [anonymous]` -> (topic, expected, anonymous, deadline, quorum)."""
    expected = EXPECTED.search(text)
    quorum = QUORUM.search(text)
    deadline = DEADLINE.search(text)
    text = DEADLINE.sub("", QUORUM.sub("", EXPECTED.sub("", text)))
    said = text.split()
    topic = " ".join(w for w in said if w != "anonymous")
    due = deadline.group(0).removeprefix("deadline:") if deadline else ""
    return topic, int(expected.group(1)) if expected else 0, "anonymous" in said, due, int(quorum.group(1)) if quorum else 0


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
    """The Slack facts a round needs (channel membership, admins, forms); the flow is the core's."""

    def __init__(self, listeners: Listeners) -> None:
        self.listeners = listeners

    async def command(self, delivery: Delivery, user: str, name: str, channel: str, text: str) -> None:
        if text.strip().lower() == "export":
            await self.listeners.turn(delivery, user, LatestRound(f"{channel}:", record=True))
            return
        topic, expected, anonymous, deadline, quorum = parse_team_text(text)
        opened = OpenRound(
            name=name, surface="" if channel.startswith("D") else f"{channel}:", topic=topic, expected=expected, anonymous=anonymous, deadline_in=deadline, quorum=quorum
        )
        await self.listeners.turn(delivery, user, opened)

    async def click(
        self, delivery: Delivery, user: str, name: str, action_id: str, value: ButtonValue, clicked: Place, trigger_id: str = ""
    ) -> None:
        round_id = value.session
        if action_id == "oc.round.take":
            member = await is_channel_member(delivery.client, clicked.channel, delivery.user_id)
            await self.listeners.turn(delivery, user, TakeRoundCheck(round_id, name=name, is_member=member))
        elif action_id == "oc.round.look":
            await self.listeners.turn(delivery, user, SecondLook(round_id))
        elif action_id == "oc.round.reveal":
            is_admin = await is_workspace_admin(delivery.client, delivery.user_id)
            await self.listeners.turn(delivery, user, RevealRound(round_id, is_admin=is_admin))
        elif action_id.startswith("oc.round.position."):
            # the modal opens first (a trigger_id lasts 3 s); the core checks the position when it is submitted
            if value.choice not in words.STANCE_LABELS or action_id != f"oc.round.position.{value.choice}":
                log.warning("refused a forged position from %s: %r", delivery.user_id, value.choice)
                await delivery.ephemeral(words.FORGED_FORM)
                return
            view = position_modal(round_id, value.choice, clicked.channel, clicked.message)
            await delivery.client.views_open(trigger_id=trigger_id, view=view)
        elif action_id == "oc.round.close":
            is_admin = await is_workspace_admin(delivery.client, delivery.user_id)
            ask = self.listeners.asker(user)
            replies = await ask(CloseRound(round_id, is_admin=is_admin))
            short = next((r for r in replies if isinstance(r, Notice) and r.kind is NoticeKind.REASON_NEEDED), None)
            if short is not None:  # before the quorum: ask why, and close with the reason
                view = close_reason_modal(round_id, short.text, clicked.channel, clicked.message)
                await delivery.client.views_open(trigger_id=trigger_id, view=view)
                return
            await delivery.deliver(replies, ask)
        elif action_id == "oc.round.export":
            await self.listeners.turn(delivery, user, ShowRound(round_id, record=True))

    # --- the modals ---------------------------------------------------------------------------

    async def position_submitted(self, ack, body: dict, view: dict, client: AsyncWebClient) -> None:
        """Agree, abstain or object with a reason: recorded, then the comparison shows the new counts."""
        try:
            user_id, value, place, typed = _modal_of(body, view)
        except (ForgedValue, KeyError) as exc:
            log.warning("refused a forged position form: %s", exc)
            await ack(response_action="errors", errors={"reason": words.FORGED_FORM})
            return
        ask = self.listeners.asker(_user_of(body))
        replies = await ask(TakePosition(value.session, value.choice, typed))  # in-process: an error shows in the form
        refusal = next((r for r in replies if isinstance(r, Notice) and r.kind is not NoticeKind.DONE), None)
        if refusal is not None:
            await ack(response_action="errors", errors={"reason": refusal.text[:150]})
            return
        await ack()
        delivery = Delivery(client=client, user_id=user_id, origin=place)
        async with delivery.apologising():
            await delivery.deliver(replies, ask)

    async def close_submitted(self, ack, body: dict, view: dict, client: AsyncWebClient) -> None:
        """Closing before the quorum, with the closer's reason: the decision record keeps it."""
        try:
            user_id, value, place, typed = _modal_of(body, view)
        except (ForgedValue, KeyError) as exc:
            log.warning("refused a forged close form: %s", exc)
            await ack(response_action="errors", errors={"reason": words.FORGED_FORM})
            return
        await ack()
        delivery = Delivery(client=client, user_id=user_id, origin=place)
        async with delivery.apologising():
            is_admin = await is_workspace_admin(client, user_id)
            await self.listeners.turn(delivery, _user_of(body), CloseRound(value.session, is_admin=is_admin, reason=typed))
