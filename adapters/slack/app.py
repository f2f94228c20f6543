"""The slack-bolt app: Slack events in, core calls, Block Kit out.

Every listener acknowledges first (Slack allows 3 seconds) and does its Web API work after the
ack; the only work before an ack is a core call that never leaves the process (a modal needs it
to show an inline error). One conversation lives in one DM message that is updated in place.
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

from adapters.slack import views
from adapters.slack.delivery import Delivery, Place
from adapters.slack.settings import SlackSettings
from adapters.slack.team import SlackTeam
from adapters.slack.text import escape
from adapters.slack.values import ForgedValue, decode
from bot import words
from bot.conversation.events import (
    Answer,
    Back,
    Event,
    Forget,
    LatestResult,
    MoveTo,
    Restart,
    Resume,
    Show,
    ShowHistory,
    Start,
    TypedReply,
)
from bot.conversation.replies import Notice, Question, ResultCard
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
        if event_id and not await service.first_delivery(f"slack:{event_id}"):
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
    def __init__(self, service: ConversationService) -> None:
        self.service = service
        self.team = SlackTeam(service)

    async def deliver(self, delivery: Delivery, user: str, replies: list, place: Place) -> None:
        """The user's own question or result to `place`; anything about a team round to its channel."""
        await self.team.show(delivery, user, replies, private=place)

    async def ask(self, user: str, action) -> list:
        return await self.service.handle(Event(user, action))

    async def ack_only(self, ack) -> None:
        await ack()

    # --- the slash command --------------------------------------------------------------------

    async def command(self, ack, command: dict, client: AsyncWebClient) -> None:
        await ack()
        user_id, team_id = command["user_id"], command["team_id"]
        user = user_key(team_id, user_id)
        sub, _, rest = (command.get("text") or "").strip().partition(" ")
        sub = sub.lower()
        delivery = Delivery(client=client, user_id=user_id, response_url=command.get("response_url"))
        async with delivery.apologising():
            if sub in {"", "check", "start"}:
                await self.start_in_dm(delivery, user, Start(MAIN_DIALOG), origin=command["channel_id"])
            elif sub == "agency":
                name = rest.strip()
                if not name:
                    await delivery.ephemeral(words.NAME_THE_AGENCY)
                    return
                await self.start_in_dm(delivery, user, Start(AGENCY_DIALOG, (("agency_name", name),)), origin=command["channel_id"])
            elif sub == "resume":
                await self.resume(delivery, user, origin=command["channel_id"])
            elif sub == "history":
                await delivery.show_ephemeral(await self.ask(user, ShowHistory()))
            elif sub == "forget":
                await delivery.ephemeral(words.DELETE_YOUR_DATA, blocks=views.forget_blocks())
            elif sub == "team":
                await self.team.command(delivery, user, command.get("user_name") or user_id, command["channel_id"], rest)
            elif sub == "help":
                await delivery.ephemeral(words.HELP_TITLE, blocks=views.help_blocks())
            else:
                await delivery.ephemeral(words.UNKNOWN_SUBCOMMAND, blocks=views.help_blocks(f"I don't know `{escape(sub[:40])}`."))

    async def start_in_dm(self, delivery: Delivery, user: str, action: Start, origin: str = "") -> None:
        """Open the DM, put a placeholder there, and let the conversation live in that message."""
        place = await delivery.new_dm_message(words.STARTING)
        replies = await self.ask(user, replace(action, surface=place.surface))
        if not await self.landed(delivery, replies, place):
            return
        await delivery.show(replies, place)
        if origin and origin != place.channel:
            await delivery.ephemeral(words.SENT_TO_DM)

    async def resume(self, delivery: Delivery, user: str, origin: str) -> None:
        (found, *_) = await self.ask(user, Resume())
        if not isinstance(found, (Question, ResultCard)):
            await delivery.show_ephemeral([found])  # none to resume, or the store is down: "try again"
            return
        old = Place.parse(found.surface)
        place = await delivery.new_dm_message(words.RESUMING)
        replies = await self.ask(user, MoveTo(found.session_id, place.surface))
        if not await self.landed(delivery, replies, place):
            return
        await delivery.show(replies, place)
        if old is not None:
            await delivery.retire(old, words.CONTINUES_FURTHER_DOWN)
        if origin != place.channel:
            await delivery.ephemeral(words.RESUMED_IN_DM)

    async def landed(self, delivery: Delivery, replies: list, placeholder: Place) -> bool:
        """Whether the conversation now lives in `placeholder`; if not (the store is down, say), the
        placeholder goes, so nothing in the DM still claims to be starting, and the user hears why."""
        if any(isinstance(r, (Question, ResultCard)) or isinstance(r, Notice) and r.kind == "changed" for r in replies):
            return True
        await delivery.remove(placeholder)
        await delivery.show_ephemeral(replies or [Notice("unavailable", words.NOT_STARTED)])
        return False

    # --- button clicks ----------------------------------------------------------------------

    async def action(self, ack, body: dict, client: AsyncWebClient) -> None:
        await ack()
        clicked = body["actions"][0]
        action_id = clicked.get("action_id", "")
        user_id = body["user"]["id"]
        user = user_key(body["user"].get("team_id") or body.get("team", {}).get("id", ""), user_id)
        container = body.get("container") or {}
        place = Place(container.get("channel_id", ""), container.get("message_ts", ""))
        delivery = Delivery(
            client=client, user_id=user_id, response_url=body.get("response_url"), origin=place
        )
        async with delivery.apologising():
            if action_id in {"oc.forget.yes", "oc.forget.no"}:
                confirmed = action_id == "oc.forget.yes"
                replies = await self.ask(user, Forget(confirmed=True)) if confirmed else []
                notice = replies[0] if replies and isinstance(replies[0], Notice) else None
                if notice is not None and notice.kind == "unavailable":  # nothing was deleted: keep the buttons for another try
                    await delivery.replace_original(notice.text, blocks=views.forget_blocks(notice.text))
                    return
                await delivery.replace_original(notice.text if notice is not None else words.DELETE_NOTHING)
                return
            if action_id in {"oc.home.start", "oc.home.vet"}:
                dialog = MAIN_DIALOG if action_id == "oc.home.start" else AGENCY_DIALOG
                await self.start_in_dm(delivery, user, Start(dialog))
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
            await self.clicked(delivery, user, action_id, value, body, place)

    async def clicked(self, delivery: Delivery, user: str, action_id: str, value, body: dict, place: Place) -> None:
        version = value.version or None  # 0: a button that works whatever the version (e.g. after a dialog change)
        if action_id.startswith("oc.answer."):
            await self.deliver(delivery, user, await self.ask(user, Answer(value.session, value.node, value.choice, version)), place)
        elif action_id == "oc.next":
            picked = _selected(body)
            await self.deliver(delivery, user, await self.ask(user, Answer(value.session, value.node, picked, version)), place)
        elif action_id == "oc.back":
            await delivery.show(await self.ask(user, Back(value.session, version)), place)
        elif action_id == "oc.restart":
            await delivery.show(await self.ask(user, Restart(value.session, version)), place)
        elif action_id == "oc.text":
            await self.open_modal(delivery, user, value, body, place, want=Question)
        elif action_id == "oc.share":
            await self.open_modal(delivery, user, value, body, place, want=ResultCard)
        elif action_id == "oc.vet":
            await self.start_in_dm(delivery, user, Start(AGENCY_DIALOG))
        else:
            log.warning("refused an unknown action %r", action_id)
            await delivery.ephemeral(words.FORGED)

    async def open_modal(self, delivery: Delivery, user: str, value, body: dict, place: Place, want: type) -> None:
        (reply, *_) = await self.ask(user, Show(value.session))
        fresh = isinstance(reply, want) and reply.version == value.version
        if isinstance(reply, ResultCard) and not reply.can_share:
            await delivery.show_ephemeral([Notice("refused", words.HELD_FOR_THE_REVEAL)])
            return
        if not fresh:
            await delivery.show_ephemeral([reply] if isinstance(reply, Notice) else [Notice("stale", words.ALREADY_DONE)])
            return
        view = views.text_answer_modal(reply, place.channel, place.ts) if want is Question else views.share_modal(reply)
        await delivery.client.views_open(trigger_id=body["trigger_id"], view=view)

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
        replies = await self.ask(user, Answer(value.session, value.node, typed, value.version))
        if replies and isinstance(replies[0], Notice) and replies[0].kind in {"invalid", "unavailable"}:
            # shown in the form, which stays open with the typed words: "try again" is one more press of Answer
            await ack(response_action="errors", errors={"answer": replies[0].text[:150]})
            return
        await ack()
        delivery = Delivery(client=client, user_id=user_id)
        async with delivery.apologising():
            await self.deliver(delivery, user, replies, place)

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
            (reply, *_) = await self.ask(user, Show(value.session))
            if not isinstance(reply, ResultCard):
                await delivery.dm(escape(reply.text) if isinstance(reply, Notice) else words.NOTHING_TO_SHARE)
                return
            if not reply.can_share:
                await delivery.dm(words.HELD_FOR_THE_REVEAL)
                return
            await delivery.share(reply, channel)

    # --- events ---------------------------------------------------------------------------------

    async def home_opened(self, event: dict, body: dict, client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        user_id = event["user"]
        latest = await self.ask(user_key(body.get("team_id", ""), user_id), LatestResult())
        card = next((r for r in latest if isinstance(r, ResultCard)), None)
        unavailable = any(isinstance(r, Notice) for r in latest)  # the store is down: say so, never a blank tab
        delivery = Delivery(client=client, user_id=user_id)
        async with delivery.apologising(quiet=True):
            await client.views_publish(user_id=user_id, view=views.home_view(card, unavailable=unavailable))

    async def message(self, event: dict, body: dict, client: AsyncWebClient) -> None:
        """A typed DM: the answer to a text question (or a choice typed as a number or word)."""
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        user_id = event.get("user", "")
        user = user_key(body.get("team_id", ""), user_id)
        delivery = Delivery(client=client, user_id=user_id)
        async with delivery.apologising():
            replies = await self.ask(user, TypedReply(event.get("text") or ""))
            first = replies[0] if replies else None
            if isinstance(first, Notice):
                hint = first.text
                if first.kind == "nothing_to_resume":
                    hint = words.SLACK_TYPE_HINT
                await delivery.post(event["channel"], hint)
                return
            place = Place.parse(first.surface) if first is not None else None
            await self.deliver(delivery, user, replies, place or await delivery.new_dm_message("…"))


def _selected(body: dict) -> tuple[str, ...]:
    """The ticked options of a multi-choice question, read from the message's state."""
    state = (body.get("state") or {}).get("values") or {}
    element = (state.get("picks") or {}).get("oc.pick") or {}
    return tuple(str(o.get("value", "")) for o in element.get("selected_options") or [])
