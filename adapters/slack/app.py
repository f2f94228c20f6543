"""The slack-bolt app: Slack events in, core calls, Block Kit out.

Every listener acknowledges first (Slack allows 3 seconds) and does its Web API work after the
ack; the only work before an ack is a core call that never leaves the process (a modal needs it
to show an inline error). One conversation lives in one DM message that is updated in place.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re

import aiohttp
from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from adapters.common.places import Place
from adapters.slack import views
from adapters.slack.delivery import TURNS, Ask, Delivery
from adapters.slack.followup_blocks import RUN_AGAIN
from adapters.slack.settings import SlackSettings
from adapters.slack.team import SlackTeam, is_workspace_admin
from adapters.slack.text import escape
from adapters.slack.values import ButtonValue, ForgedValue, decode
from bot import words
from bot.conversation.events import (
    Answer,
    Arrived,
    Back,
    ChangeSetting,
    Event,
    Forget,
    LatestResult,
    Restart,
    Resume,
    Show,
    ShowHistory,
    Start,
    TypedReply,
)
from bot.conversation.replies import Notice, NoticeKind, Question, Reply, ResultCard
from bot.conversation.service import ConversationService
from bot.dialogs.catalog import AGENCY_DIALOG, MAIN_DIALOG

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
    app = AsyncApp(
        client=client or make_client(settings),
        signing_secret=settings.signing_secret or None,
        process_before_response=False,
    )
    listeners = Listeners(service)

    @app.middleware
    async def skip_redeliveries(body: dict, next) -> BoltResponse | None:  # noqa: A002 - bolt's own name
        """Slack re-sends an event it thinks was lost; whichever process sees it first handles it."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and await service.handle(Event("slack", Arrived(f"slack:{event_id}"))):
            return BoltResponse(status=200, body="")
        await next()
        return None

    app.command(words.COMMAND)(listeners.command)
    app.action("oc.pick")(listeners.ack_only)  # ticking a box changes nothing until Next
    app.action(re.compile(r"^oc\."))(listeners.action)
    app.view("oc.text")(listeners.text_submitted)
    app.view("oc.share")(listeners.share_submitted)
    app.view("oc.round.position")(listeners.team.position_submitted)
    app.view("oc.round.close")(listeners.team.close_submitted)
    app.event("app_home_opened")(listeners.home_opened)
    app.event("message")(listeners.message)
    return app


class Listeners:
    """Slack events in, core events out, and the replies delivered where the core routes them."""

    def __init__(self, service: ConversationService) -> None:
        self.service = service
        self.team = SlackTeam(self)

    def asker(self, user: str) -> Ask:
        async def ask(action: object) -> list[Reply]:
            task = asyncio.current_task()
            tracked = task is not None and task not in TURNS
            if tracked:
                TURNS.add(task)  # type: ignore[arg-type]  # a shutdown lets the core's step finish too
            try:
                return await self.service.handle(Event(user, action))  # type: ignore[arg-type]
            finally:
                if tracked:
                    TURNS.discard(task)  # type: ignore[arg-type]

        return ask

    async def turn(self, delivery: Delivery, user: str, action: object) -> None:
        """One step of any flow: ask the core, deliver what it says (and what follows from that)."""
        ask = self.asker(user)
        await delivery.deliver(await ask(action), ask)

    async def ack_only(self, ack) -> None:
        await ack()

    # --- the slash command --------------------------------------------------------------------

    async def command(self, ack, command: dict, client: AsyncWebClient) -> None:
        await ack()
        user_id, team_id = command["user_id"], command["team_id"]
        user = user_key(team_id, user_id)
        sub, _, rest = (command.get("text") or "").strip().partition(" ")
        sub = sub.lower()
        delivery = Delivery(client=client, user_id=user_id, response_url=command.get("response_url"), channel=command["channel_id"])
        async with delivery.apologising():
            if sub in {"", "check", "start"}:
                await self.turn(delivery, user, Start(MAIN_DIALOG))
            elif sub == "agency" and rest.strip():
                await self.turn(delivery, user, Start(AGENCY_DIALOG, (("agency_name", rest.strip()),)))
            elif sub == "agency":
                await delivery.ephemeral(words.NAME_THE_AGENCY)
            elif sub in COMMANDS:
                await self.turn(delivery, user, COMMANDS[sub])
            elif sub == "settings":
                name, _, value = rest.strip().partition(":")
                is_admin = bool(value) and await is_workspace_admin(client, user_id)
                await self.turn(delivery, user, ChangeSetting(name.strip().lower() or "nudge", value.strip(), is_admin))
            elif sub == "team":
                await self.team.command(delivery, user, command.get("user_name") or user_id, command["channel_id"], rest)
            elif sub == "help":
                await delivery.ephemeral(words.HELP_TITLE, blocks=views.help_blocks())
            else:
                await delivery.ephemeral(words.UNKNOWN_SUBCOMMAND, blocks=views.help_blocks(f"I don't know `{escape(sub[:40])}`."))

    # --- button clicks ----------------------------------------------------------------------

    async def action(self, ack, body: dict, client: AsyncWebClient) -> None:
        await ack()
        clicked = body["actions"][0]
        action_id = clicked.get("action_id", "")
        user_id = body["user"]["id"]
        user = user_key(body["user"].get("team_id") or body.get("team", {}).get("id", ""), user_id)
        container = body.get("container") or {}
        place = Place(container.get("channel_id", ""), container.get("message_ts", ""))
        delivery = Delivery(client=client, user_id=user_id, response_url=body.get("response_url"), origin=place)
        async with delivery.apologising():
            if action_id in FIXED_ACTIONS:
                await self.turn(delivery, user, FIXED_ACTIONS[action_id])
                return
            if action_id == RUN_AGAIN:  # a decision's review: the round's dialog again (the core checks the id)
                await self.turn(delivery, user, Start(str(clicked.get("value") or MAIN_DIALOG)[:64]))
                return
            try:
                value = decode(clicked.get("value"))
            except ForgedValue as exc:
                log.warning("refused a forged click from %s (%s): %s", user_id, action_id, exc)
                await delivery.ephemeral(words.FORGED)
                return
            if action_id.startswith("oc.round."):
                name = body["user"].get("name") or body["user"].get("username") or user_id
                await self.team.click(delivery, user, name, action_id, value, place, trigger_id=body.get("trigger_id", ""))
                return
            event = _click_event(action_id, value, body)
            if event is not None:
                await self.turn(delivery, user, event)
            elif action_id in {"oc.text", "oc.share"}:
                await self.open_modal(delivery, user, value, body, place, share=action_id == "oc.share")
            else:
                log.warning("refused an unknown action %r", action_id)
                await delivery.ephemeral(words.FORGED)

    async def open_modal(self, delivery: Delivery, user: str, value: ButtonValue, body: dict, place: Place, share: bool) -> None:
        """A form for a typed answer, or for sharing a result: only while the button's step is current."""
        ask = self.asker(user)
        replies = await ask(Show(value.session, value.version, share=share))
        reply = replies[0]
        if share and isinstance(reply, ResultCard):
            await delivery.client.views_open(trigger_id=body["trigger_id"], view=views.share_modal(reply))
        elif not share and isinstance(reply, Question):
            await delivery.client.views_open(trigger_id=body["trigger_id"], view=views.text_answer_modal(reply, place.channel, place.message))
        else:
            await delivery.deliver([r for r in replies if isinstance(r, Notice)] or [Notice(NoticeKind.STALE, words.ALREADY_DONE)], ask)

    # --- modals -------------------------------------------------------------------------------

    async def text_submitted(self, ack, body: dict, view: dict, client: AsyncWebClient) -> None:
        user_id = body["user"]["id"]
        user = user_key(body["user"].get("team_id") or body["team"]["id"], user_id)
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
            value = decode(meta.get("v"))
            place = Place(str(meta["ch"]), str(meta["ts"]))
        except (ValueError, KeyError, TypeError, ForgedValue) as exc:
            log.warning("refused a forged text answer from %s: %s", user_id, exc)
            await ack(response_action="errors", errors={"answer": words.FORGED})
            return
        typed = (view["state"]["values"].get("answer", {}).get("text", {}) or {}).get("value") or ""
        ask = self.asker(user)
        replies = await ask(Answer(value.session, value.node, typed, value.version))
        if replies and isinstance(replies[0], Notice) and replies[0].kind in {"invalid", "unavailable"}:
            # shown in the form, which stays open with the typed words: "try again" is one more press of Answer
            await ack(response_action="errors", errors={"answer": replies[0].text[:150]})
            return
        await ack()
        delivery = Delivery(client=client, user_id=user_id, channel=place.channel)
        async with delivery.apologising():
            await delivery.deliver(replies, ask)

    async def share_submitted(self, ack, body: dict, view: dict, client: AsyncWebClient) -> None:
        await ack()
        user_id = body["user"]["id"]
        user = user_key(body["user"].get("team_id") or body["team"]["id"], user_id)
        delivery = Delivery(client=client, user_id=user_id)
        async with delivery.apologising():
            try:
                value = decode(view.get("private_metadata"))
            except ForgedValue as exc:
                log.warning("refused a forged share from %s: %s", user_id, exc)
                return
            channel = view["state"]["values"]["channel"]["channel"].get("selected_conversation") or ""
            if not CHANNEL_ID.match(channel):
                log.warning("refused a share to %r from %s", channel[:40], user_id)
                await delivery.dm(words.NOT_A_CHANNEL)
                return
            (reply, *_) = await self.asker(user)(Show(value.session, share=True))
            if isinstance(reply, ResultCard):
                await delivery.share(reply, channel)
            else:
                await delivery.dm(escape(reply.text) if isinstance(reply, Notice) else words.NOTHING_TO_SHARE)

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
            await client.views_publish(user_id=user_id, view=views.home_view(card, unavailable=unavailable))

    async def message(self, event: dict, body: dict, client: AsyncWebClient) -> None:
        """A typed DM: "hi", or the answer to a text question (or a choice typed as a number or word)."""
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        user_id = event.get("user", "")
        delivery = Delivery(client=client, user_id=user_id, channel=event["channel"])
        async with delivery.apologising():
            await self.turn(delivery, user_key(body.get("team_id", ""), user_id), TypedReply(event.get("text") or ""))


COMMANDS = {"resume": Resume(), "history": ShowHistory(), "forget": Forget()}
FIXED_ACTIONS = {
    "oc.forget.yes": Forget(confirmed=True),
    "oc.forget.no": Forget(kept=True),
    "oc.home.start": Start(MAIN_DIALOG),
    "oc.home.vet": Start(AGENCY_DIALOG),
}


def _click_event(action_id: str, value: ButtonValue, body: dict) -> object | None:
    """The core event a conversation's button stands for; None for those that open a form first."""
    version = value.version or None  # 0: a button that works whatever the version (e.g. after a dialog change)
    if action_id.startswith("oc.answer."):
        return Answer(value.session, value.node, value.choice, version)
    if action_id == "oc.next":
        return Answer(value.session, value.node, _selected(body), version)
    if action_id == "oc.back":
        return Back(value.session, version)
    if action_id == "oc.restart":
        return Restart(value.session, version)
    if action_id == "oc.vet":
        return Start(AGENCY_DIALOG)
    return None


def _selected(body: dict) -> tuple[str, ...]:
    """The ticked options of a multi-choice question, read from the message's state."""
    state = (body.get("state") or {}).get("values") or {}
    element = (state.get("picks") or {}).get("oc.pick") or {}
    return tuple(str(o.get("value", "")) for o in element.get("selected_options") or [])
