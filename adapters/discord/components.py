"""A card's buttons and menus, and the `discord.ui.DynamicItem`s that read them back: their state lives in the custom_id.

Every component's custom_id is "oc:<act code>:<payload>" (the act and payload of the card's button,
bot/conversation/clicks.py), so two DynamicItem classes cover them all: discord.py matches an
incoming custom_id against their templates and rebuilds the item from it, and every button keeps
working after a restart with no view kept in memory. What a click means is the core's: the items
only hand the act and payload to the flow (flow.py, reached through the client, which owns it).

What is sent is plain `discord.ui.Button`s and `Select`s in a stopped view (render.py): wrapping
each in its DynamicItem as well made a question's view about a third dearer to build and send,
and a live view is registered with the client's view store on every send, only to be found to
hold nothing to keep.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from adapters.discord.text import clip
from bot import words
from bot.conversation.cards import Button
from bot.conversation.clicks import ACTS, BY_CODE

if TYPE_CHECKING:
    from adapters.discord.flow import Flow

MAX_CUSTOM_ID = 100
PAYLOAD = r"(?P<payload>[A-Za-z0-9_:-]{1,96})"  # checked again, strictly, by the core's reading of the act
MENUS = ("pick_one", "pick_many", "share_to")
BUTTON_TEMPLATE = rf"oc:(?P<code>{'|'.join(sorted((ACTS[a] for a in ACTS if a not in MENUS), key=len, reverse=True))}):{PAYLOAD}"
MENU_TEMPLATE = rf"oc:(?P<code>{'|'.join(ACTS[a] for a in MENUS)}):{PAYLOAD}"
TEXT_MODAL = re.compile(r"oc:m:(?P<payload>[A-Za-z0-9_:-]{1,96})")
ROUND_MODAL = re.compile(r"oc:(?P<kind>rpm|rcm):(?P<payload>[A-Za-z0-9_:-]{1,40})")
STYLES = {"primary": discord.ButtonStyle.primary, "danger": discord.ButtonStyle.danger, "success": discord.ButtonStyle.success}
_OURS = (re.compile(BUTTON_TEMPLATE), re.compile(MENU_TEMPLATE))


def custom_id(act: str, payload: str) -> str:
    return f"oc:{ACTS[act]}:{payload}"


def is_ours(raw: object) -> bool:
    """Whether a component's custom_id is one we could have written (the forged-id gate)."""
    return isinstance(raw, str) and len(raw) <= MAX_CUSTOM_ID and any(p.fullmatch(raw) for p in _OURS)


def flow_of(interaction: discord.Interaction) -> Flow:
    return interaction.client.flow  # type: ignore[attr-defined]  # set by OutsourceBot


class Act(discord.ui.DynamicItem[discord.ui.Button], template=BUTTON_TEMPLATE):
    """Any button of a card."""

    def __init__(self, item: discord.ui.Button, act: str, payload: str) -> None:
        super().__init__(item)
        self.act, self.payload = act, payload

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /) -> Act:
        return cls(item, BY_CODE[match["code"]], match["payload"])

    async def callback(self, interaction: discord.Interaction) -> Any:
        await flow_of(interaction).clicked(interaction, self.act, self.payload)


class Menu(discord.ui.DynamicItem[discord.ui.Select], template=MENU_TEMPLATE):
    """A select menu: a long choice question, a pick-several question, a share's channel."""

    def __init__(self, item: discord.ui.Select, act: str, payload: str) -> None:
        super().__init__(item)
        self.act, self.payload = act, payload

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Select, match: re.Match[str], /) -> Menu:
        return cls(item, BY_CODE[match["code"]], match["payload"])

    async def callback(self, interaction: discord.Interaction) -> Any:
        await flow_of(interaction).clicked(interaction, self.act, self.payload, tuple(self.item.values))


def act_button(button: Button, row: int | None = None) -> discord.ui.Button:
    """A card's button as sent; a click on it comes back as an `Act`."""
    return discord.ui.Button(
        label=clip(button.label, 80), style=STYLES.get(button.style, discord.ButtonStyle.secondary),
        custom_id=custom_id(button.act, button.payload), row=row,
    )


def menu(act: str, payload: str, options: tuple[tuple[str, str, str], ...], *, low: int = 1, high: int = 1, placeholder: str = "") -> discord.ui.Select:
    """`options`: (value, label, _) as a card's `Ask` has them; at most 25 (Discord's limit). A pick comes back as a `Menu`."""
    shown = [discord.SelectOption(label=clip(label, 100), value=value) for value, label, _ in options[:25]]
    count = len(shown)
    high = min(high or count, count)
    if act == "pick_many":
        placeholder = words.PICK_ALL_MENU if low == 0 else words.PICK_AT_LEAST_MENU.format(count=low)
        bounds = {"min_values": max(1, min(low, high)) if count else 0, "max_values": max(high, 1) if count else 1}
    else:
        placeholder, bounds = placeholder or words.CHOOSE_ONE, {}
    return discord.ui.Select(custom_id=custom_id(act, payload), placeholder=placeholder, options=shown, row=0, **bounds)


def _modal(title: str, custom: str, label: str, *, required: bool, max_length: int, placeholder: str = "") -> discord.ui.Modal:
    modal = discord.ui.Modal(title=clip(title, 45), custom_id=custom, timeout=900)
    modal.add_item(discord.ui.TextInput(
        label=label, custom_id="answer", required=required, min_length=1 if required else None, max_length=max_length,
        placeholder=clip(placeholder, 100) or None, style=discord.TextStyle.paragraph,
    ))
    return modal


def text_modal(payload: str) -> discord.ui.Modal:
    """Its custom_id carries the question it answers; the core checks length and freshness on submit."""
    return _modal(words.YOUR_ANSWER, f"oc:m:{payload}", words.YOUR_ANSWER, required=True, max_length=500)


def position_modal(payload: str, stance: str) -> discord.ui.Modal:
    """Its custom_id carries the round and the stance; the core checks both on submit. The reason is optional."""
    title = f"{words.STANCE_LABELS[stance]}: {words.YOUR_POSITION.lower()}"
    return _modal(title, f"oc:rpm:{payload}", words.WHY_OPTIONAL, required=False, max_length=300)


def close_modal(payload: str, refusal: str) -> discord.ui.Modal:
    """Closing before the quorum: the closer says why, and the decision record keeps it."""
    return _modal(words.CLOSE_THE_ROUND, f"oc:rcm:{payload}", words.WHY_CLOSE_NOW, required=True, max_length=300, placeholder=refusal)


ALL = (Act, Menu)


def sent(view: discord.ui.View) -> discord.ui.View:
    """A view to send, stopped: discord.py keeps a live view in its view store, and ours has nothing to
    keep (its clicks come back through `Act` and `Menu`, matched on their custom_ids)."""
    view.stop()
    return view
