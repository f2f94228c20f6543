"""Reading the bot's messages the way a user would, and answering whatever question is shown."""

from __future__ import annotations

import re

from tests.discord.conftest import DiscordUser
from tests.discord.fake_discord import Call, Message


def kind_of(message: Message) -> str:
    """What the shown question wants, from its components' custom_ids: a, c, k, t or result."""
    for custom_id in message.custom_ids():
        kind = custom_id.split(":")[1]
        if kind in {"a", "c", "k", "t"}:
            return kind
        if kind == "sh":
            return "result"
    raise AssertionError(f"no question or result in {message.custom_ids()}")


def first_select(message: Message) -> dict:
    return next(c for row in message.components for c in row["components"] if c["type"] == 3)


def is_result(message: Message) -> bool:
    return bool(message.embeds) and message.embeds[0]["title"].startswith("Recommendation")


async def answer_by_clicking(user: DiscordUser, message: Message) -> None:
    kind = kind_of(message)
    if kind == "a":
        answer = next(c for c in message.custom_ids() if c.startswith("oc:a:"))
        await user.click("", message, custom_id=answer)
    elif kind == "c":
        await user.pick([first_select(message)["options"][0]["value"]], message)
    elif kind == "k":
        select = first_select(message)
        await user.pick([o["value"] for o in select["options"][: max(1, select.get("min_values", 1))]], message)
    elif kind == "t":
        await user.click("Type your answer", message)
        (modal,) = [c.body["data"] for c in user.h.fake.named("POST", r"/interactions/\d+/.+/callback") if c.body["type"] == 9][-1:]
        await user.submit(modal["custom_id"], "Buzz Social", message)


def message_bodies(calls: list[Call]) -> list[dict]:
    """Every body that carries text: channel messages and edits, follow-ups, interaction responses."""
    bodies = []
    for call in calls:
        if not isinstance(call.body, dict):
            continue
        if call.path.endswith("/callback"):
            if call.body.get("type") in (4, 7):
                bodies.append(call.body["data"])
        elif re.search(r"/messages(/\d+)?$", call.path) or call.path.startswith("/webhooks/"):
            bodies.append(call.body)
    return bodies
