"""Follow-ups on Slack: a due reminder, nudge or review delivered to its recipient, who did not act.

`deliver_to` is the `DeliverTo` of adapters/runtime.py's runner: a `Delivery` for the user with no
interaction behind it (a new DM message, a post in a thread, an update of a message by `chat.update`),
and the core asked as that user for whatever a delivery reports.
"""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from adapters.runtime import DeliverTo
from adapters.slack.delivery import Delivery
from bot.conversation.events import Event
from bot.conversation.replies import Reply
from bot.conversation.service import ConversationService

PLATFORM = "slack"


def slack_user_id(user: str) -> str:
    """"slack:T1:U0ANN" -> "U0ANN" (the key adapters/slack/app.py's `user_key` writes)."""
    platform, _, rest = user.partition(":")
    if platform != PLATFORM or ":" not in rest:
        raise ValueError(f"not a Slack user key: {user[:60]!r}")
    return rest.rpartition(":")[2]


def follow_up_delivery(service: ConversationService, client: AsyncWebClient) -> DeliverTo:
    async def deliver_to(user: str, replies: list[Reply]) -> None:
        delivery = Delivery(client=client, user_id=slack_user_id(user))

        async def ask(action: object) -> list[Reply]:
            return await service.handle(Event(user, action))  # type: ignore[arg-type]

        await delivery.deliver(replies, ask)

    return deliver_to
