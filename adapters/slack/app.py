"""The slack-bolt app: Slack events in, core events out, the replies delivered where the core routes them.

Every listener acknowledges first (Slack allows 3 seconds) and does its Web API work after the
ack; the only work before an ack is a core call that never leaves the process (a modal needs it
to show an inline error). The HTTP response leaves the moment a listener acks (acks.py), not at
bolt's next look for it, every 10 ms. What a command or a button means is the core's
(commands.py, clicks.py); this adds what only Slack knows: channel membership, admins, the forms
it opens.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import replace

import aiohttp
from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from adapters.common.places import Place
from adapters.slack import forms
from adapters.slack.acks import ack_first
from adapters.slack.blocks import PICK, act_of, escape
from adapters.slack.delivery import TURNS, Ask, Delivery
from adapters.slack.settings import SlackSettings
from bot import words
from bot.conversation.buttons import Forged, decode
from bot.conversation.clicks import FORMS, Facts, event_of, needs, round_of
from bot.conversation.commands import command_of
from bot.conversation.events import (
    Answer,
    Arrived,
    CloseRound,
    Event,
    LatestResult,
    Share,
    Show,
    TakePosition,
    TypedReply,
)
from bot.conversation.replies import Notice, NoticeKind, Question, Reply, ResultCard
from bot.conversation.service import ConversationService

log = logging.getLogger("outsource_check.slack")
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,30}$")


def make_client(settings: SlackSettings, session: aiohttp.ClientSession | None = None) -> AsyncWebClient:
    """429s wait for Retry-After and try again; dropped connections are retried too.

    Pass one `session` per process: bolt hands it to every per-request client, so Web API calls
    and response_url updates reuse connections instead of opening one each.
    """
    return AsyncWebClient(
        token=settings.bot_token,
        base_url=settings.api_url,
        session=session,
        retry_handlers=[AsyncConnectionErrorRetryHandler(), AsyncRateLimitErrorRetryHandler(max_retry_count=3)],
    )


def user_key(team_id: str, user_id: str) -> str:
    return f"slack:{team_id}:{user_id}"


def build_app(*, service: ConversationService, settings: SlackSettings, client: AsyncWebClient | None = None) -> AsyncApp:
    # bolt awaits each listener and answers Slack when it returns; `ack_first` returns at the ack
    app = AsyncApp(client=client or make_client(settings), signing_secret=settings.signing_secret or None, process_before_response=True)
    listeners = Listeners(service)

    async def skip_redeliveries(body: dict, next) -> BoltResponse | None:  # noqa: A002 - bolt's own name
        """Slack re-sends an event it thinks was lost; whichever process sees it first handles it.
        (On the event listeners only: a middleware of the whole app would cost every click its call.)"""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and await service.handle(Event("slack", Arrived(f"slack:{event_id}"))):
            return BoltResponse(status=200, body="")
        await next()
        return None

    # bolt asks each listener in turn whether a request is its own, building the listener's
    # arguments to ask it (some 12 us each): clicks, by far the most frequent, are asked first
    app.action(re.compile(r"^oc\."))(ack_first(listeners.action))
    app.command(words.COMMAND)(ack_first(listeners.command))
    app.view("oc.text")(ack_first(listeners.text_submitted))
    app.view("oc.share")(ack_first(listeners.share_submitted))
    app.view("oc.round.position")(ack_first(listeners.position_submitted))
    app.view("oc.round.close")(ack_first(listeners.close_submitted))
    app.event("app_home_opened", middleware=[skip_redeliveries])(ack_first(listeners.home_opened))
    app.event("message", middleware=[skip_redeliveries])(ack_first(listeners.message))
    return app


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
    """Workspace admins and owners may reveal or close any round, and change workspace settings."""
    user = (await client.users_info(user=user_id)).get("user") or {}
    return bool(user.get("is_admin") or user.get("is_owner"))


async def facts_for(wanted: frozenset[str], client: AsyncWebClient, user_id: str, channel: str, name: str = "") -> Facts:
    """Only the facts an act needs: each is a Web API call."""
    member = "member" in wanted and await is_channel_member(client, channel, user_id)
    admin = "admin" in wanted and await is_workspace_admin(client, user_id)
    return Facts(name=name, is_member=member, is_admin=admin)


def _user_of(body: dict) -> str:
    return user_key(body["user"].get("team_id") or body.get("team", {}).get("id", ""), body["user"]["id"])


def _form(view: dict, block: str) -> tuple[str, Place, str]:
    """What a modal is about (the payload it was opened with), the message it came from, and what was typed."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
        payload, place = str(meta["v"]), Place(str(meta["ch"]), str(meta["ts"]))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise Forged(str(exc)) from None
    typed = ((view.get("state") or {}).get("values", {}).get(block, {}).get("text") or {}).get("value") or ""
    if not isinstance(typed, str):
        raise Forged("not typed text")
    return payload, place, typed


class Listeners:
    """Slack events in, core events out, and the replies delivered where the core routes them."""

    def __init__(self, service: ConversationService) -> None:
        self.service = service

    def asker(self, user: str) -> Ask:
        async def ask(action: object) -> list[Reply]:
            async with TURNS.turn(fresh=False):  # a shutdown lets the core's step finish too
                return await self.service.handle(Event(user, action))  # type: ignore[arg-type]

        return ask

    async def turn(self, delivery: Delivery, user: str, action: object) -> None:
        """One step of any flow: ask the core, deliver what it says (and what follows from that)."""
        ask = self.asker(user)
        await delivery.deliver(await ask(action), ask)

    async def command(self, ack, command: dict, client: AsyncWebClient) -> None:
        await ack()
        user_id, channel = command["user_id"], command["channel_id"]
        user = user_key(command["team_id"], user_id)
        delivery = Delivery(client=client, user_id=user_id, response_url=command.get("response_url"), channel=channel)
        name = command.get("user_name") or user_id
        text = command.get("text") or ""
        async with delivery.apologising():
            asked = command_of(text, name=name, channel=f"{channel}:", in_dm=channel.startswith("D"))
            if asked.needs:
                facts = await facts_for(asked.needs, client, user_id, channel, name)
                asked = command_of(text, name=name, channel=f"{channel}:", in_dm=channel.startswith("D"), facts=facts)
            if asked.event is not None:
                await self.turn(delivery, user, asked.event)
            elif asked.hint:
                await delivery.ephemeral(asked.hint)
            elif asked.unknown:
                await delivery.ephemeral(words.UNKNOWN_SUBCOMMAND, blocks=forms.help_blocks(words.I_DONT_KNOW.format(sub=escape(asked.unknown))))
            else:
                await delivery.ephemeral(words.HELP_TITLE, blocks=forms.help_blocks())

    async def action(self, ack, body: dict, client: AsyncWebClient) -> None:
        """A button: what it asks for is the core's (clicks.py); a form opens first where one is needed."""
        await ack()
        clicked = body["actions"][0]
        if clicked.get("action_id") == PICK:
            return  # ticking a box changes nothing until Next
        act, payload = act_of(clicked.get("action_id", "")), str(clicked.get("value") or "")
        user_id, user = body["user"]["id"], _user_of(body)
        container = body.get("container") or {}
        place = Place(container.get("channel_id", ""), container.get("message_ts", ""))
        delivery = Delivery(client=client, user_id=user_id, response_url=body.get("response_url"), origin=place)
        async with delivery.apologising():
            try:
                if act in FORMS:
                    await self.open_form(delivery, user, act, payload, body, place)
                    return
                name = body["user"].get("name") or body["user"].get("username") or user_id
                facts = await facts_for(needs(act), client, user_id, place.channel, name)
                event = event_of(act, payload, replace(facts, picks=_ticked(body)))
            except Forged as exc:
                log.warning("refused a forged click from %s (%s): %s", user_id, act[:40], exc)
                await delivery.ephemeral(words.FORGED)
                return
            ask = self.asker(user)
            replies = await ask(event)
            short = next((r for r in replies if isinstance(r, Notice) and r.kind is NoticeKind.REASON_NEEDED), None)
            if short is not None:  # closing before the quorum: ask why, and close with the reason
                view = forms.close_reason_modal(payload, short.text, place.channel, place.message)
                await client.views_open(trigger_id=body.get("trigger_id", ""), view=view)
                return
            await delivery.deliver(replies, ask)

    async def open_form(self, delivery: Delivery, user: str, act: str, payload: str, body: dict, place: Place) -> None:
        """A typed answer, a share, or a position with its reason: only while the button's step is current."""
        trigger = body.get("trigger_id", "")
        if act == "round.position":  # a trigger lasts 3 s: the form opens first, the core checks it on submit
            _, stance = round_of(payload)
            if not stance:
                raise Forged("a position names its stance")
            await delivery.client.views_open(trigger_id=trigger, view=forms.position_modal(payload, stance, place.channel, place.message))
            return
        at = decode(payload)
        ask = self.asker(user)
        replies = await ask(Show(at.session, at.version, share=act == "share"))
        reply = replies[0]
        if act == "share" and isinstance(reply, ResultCard):
            await delivery.client.views_open(trigger_id=trigger, view=forms.share_modal(reply))
        elif act == "text" and isinstance(reply, Question):
            await delivery.client.views_open(trigger_id=trigger, view=forms.text_answer_modal(reply, place.channel, place.message))
        else:
            await delivery.deliver([r for r in replies if isinstance(r, Notice)] or [Notice(NoticeKind.STALE, words.ALREADY_DONE)], ask)

    # --- forms --------------------------------------------------------------------------------

    async def submitted(self, ack, body: dict, view: dict, client: AsyncWebClient, block: str, make, refused) -> None:
        """A form's answer, checked by the core before the form closes where `refused` says so: the
        refusal shows in the form, which stays open with the typed words ("try again" is one more press)."""
        try:
            payload, place, typed = _form(view, block)
            event = make(payload, typed)
        except Forged as exc:
            log.warning("refused a forged form from %s: %s", body["user"]["id"], exc)
            await ack(response_action="errors", errors={block: words.FORGED_FORM})
            return
        ask = self.asker(_user_of(body))
        replies = await ask(event)
        refusal = next((r for r in replies if isinstance(r, Notice) and refused(r.kind)), None)
        if refusal is not None:
            await ack(response_action="errors", errors={block: refusal.text[:150]})
            return
        await ack()
        delivery = Delivery(client=client, user_id=body["user"]["id"], origin=place)
        async with delivery.apologising():
            await delivery.deliver(replies, ask)

    async def text_submitted(self, ack, body: dict, view: dict, client: AsyncWebClient) -> None:
        def answer(payload: str, typed: str) -> Answer:
            at = decode(payload)
            return Answer(at.session, at.node, typed, at.version)

        await self.submitted(ack, body, view, client, "answer", answer, lambda kind: kind in {"invalid", "unavailable"})

    async def position_submitted(self, ack, body: dict, view: dict, client: AsyncWebClient) -> None:
        def position(payload: str, typed: str) -> TakePosition:
            round_id, stance = round_of(payload)
            return TakePosition(round_id, stance, typed)

        await self.submitted(ack, body, view, client, "reason", position, lambda kind: kind is not NoticeKind.DONE)

    async def close_submitted(self, ack, body: dict, view: dict, client: AsyncWebClient) -> None:
        """Closing before the quorum, with the closer's reason: the decision record keeps it."""
        try:
            payload, place, typed = _form(view, "reason")
            round_id = round_of(payload)[0]
        except Forged as exc:
            log.warning("refused a forged close form: %s", exc)
            await ack(response_action="errors", errors={"reason": words.FORGED_FORM})
            return
        await ack()
        user_id = body["user"]["id"]
        delivery = Delivery(client=client, user_id=user_id, origin=place)
        async with delivery.apologising():
            admin = await is_workspace_admin(client, user_id)
            await self.turn(delivery, _user_of(body), CloseRound(round_id, is_admin=admin, reason=typed))

    async def share_submitted(self, ack, body: dict, view: dict, client: AsyncWebClient) -> None:
        await ack()
        user_id = body["user"]["id"]
        delivery = Delivery(client=client, user_id=user_id)
        async with delivery.apologising():
            try:
                at = decode(view.get("private_metadata"))
            except Forged as exc:
                log.warning("refused a forged share from %s: %s", user_id, exc)
                return
            channel = view["state"]["values"]["channel"]["channel"].get("selected_conversation") or ""
            if not CHANNEL_ID.match(channel):
                log.warning("refused a share to %r from %s", channel[:40], user_id)
                await delivery.dm(words.NOT_A_CHANNEL)
                return
            await self.turn(delivery, _user_of(body), Share(at.session, f"{channel}:"))

    # --- events ---------------------------------------------------------------------------------

    async def home_opened(self, event: dict, body: dict, client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        user_id = event["user"]
        latest = await self.asker(user_key(body.get("team_id", ""), user_id))(LatestResult())
        card = next((r for r in latest if isinstance(r, ResultCard)), None)
        unavailable = any(isinstance(r, Notice) for r in latest)  # the store is down: say so, never a blank tab
        delivery = Delivery(client=client, user_id=user_id)
        async with delivery.apologising(quiet=True):
            await client.views_publish(user_id=user_id, view=forms.home_view(card, unavailable=unavailable))

    async def message(self, event: dict, body: dict, client: AsyncWebClient) -> None:
        """A typed DM: "hi", or the answer to a text question (or a choice typed as a number or word)."""
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        user_id = event.get("user", "")
        delivery = Delivery(client=client, user_id=user_id, channel=event["channel"])
        async with delivery.apologising():
            await self.turn(delivery, user_key(body.get("team_id", ""), user_id), TypedReply(event.get("text") or ""))


def _ticked(body: dict) -> tuple[str, ...]:
    """The ticked options of a multi-choice question, read from the message's state."""
    state = (body.get("state") or {}).get("values") or {}
    element = (state.get("picks") or {}).get(PICK) or {}
    return tuple(str(o.get("value", "")) for o in element.get("selected_options") or [])
