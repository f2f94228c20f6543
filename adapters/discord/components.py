"""A card's buttons and menus as sent, and the reading of a click back: their state lives in the custom_id.

Every component's custom_id is "oc:<act code>:<payload>" (the act and payload of the card's button,
bot/conversation/clicks.py), so one reading covers them all: the client's `on_interaction` reads
the clicked custom_id (`read`) and hands the act and payload to the flow (flow.py), and every
button keeps working after a restart with no view kept in memory. What a click means is the core's.

Clicks are read in `on_interaction`, not through `discord.ui.DynamicItem`s: before it calls a
dynamic item, discord.py rebuilds the clicked message's whole view (`View.from_message`, a
`discord.ui` item per component) to find the item it swaps in: 7% of a Discord turn's profiled
time, for items no click needs. Reading clicks here instead saved 12% of a turn's CPU
(docs/performance.md, eighth pass).

What is sent is the components' JSON itself, in a `Sent` view that holds no items: discord.py
sends a view by asking it for `to_components()`, and building a `discord.ui` item per button (and
discord.py's regrouping of them into rows) was 8% of a Discord turn's profiled time
(docs/performance.md), for JSON that a click never reads back from the view. Holding no items,
the view is never registered in discord.py's view store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import discord

from adapters.discord.text import clip
from bot import words
from bot.conversation.cards import Button
from bot.conversation.clicks import ACTS, BY_CODE

MAX_CUSTOM_ID = 100
PAYLOAD = r"(?P<payload>[A-Za-z0-9_:-]{1,96})"  # checked again, strictly, by the core's reading of the act
MENUS = ("pick_one", "pick_many", "share_to")
BUTTON_TEMPLATE = rf"oc:(?P<code>{'|'.join(sorted((ACTS[a] for a in ACTS if a not in MENUS), key=len, reverse=True))}):{PAYLOAD}"
MENU_TEMPLATE = rf"oc:(?P<code>{'|'.join(ACTS[a] for a in MENUS)}):{PAYLOAD}"
TEXT_MODAL = re.compile(r"oc:m:(?P<payload>[A-Za-z0-9_:-]{1,96})")
ROUND_MODAL = re.compile(r"oc:(?P<kind>rpm|rcm):(?P<payload>[A-Za-z0-9_:-]{1,40})")
_OURS = (re.compile(BUTTON_TEMPLATE), re.compile(MENU_TEMPLATE))


def custom_id(act: str, payload: str) -> str:
    return f"oc:{ACTS[act]}:{payload}"


@dataclass(frozen=True)
class Click:
    """What a clicked component asks for: the act (clicks.py) and its payload, checked by the core."""

    act: str
    payload: str


def read(raw: object) -> Click | None:
    """The click a custom_id carries, or None when we could not have written it (the forged-id gate)."""
    if not isinstance(raw, str) or len(raw) > MAX_CUSTOM_ID:
        return None
    for pattern in _OURS:
        if (match := pattern.fullmatch(raw)) is not None:
            return Click(BY_CODE[match["code"]], match["payload"])
    return None


STYLE_CODES = {"primary": 1, "secondary": 2, "success": 3, "danger": 4}  # Discord's button styles


class Sent(discord.ui.View):
    """Rows of components as Discord's JSON, sent as a view (discord.py asks a view for its JSON).

    `to_components` is how discord.py serialises every view it sends; this one returns the rows as
    built, with no `discord.ui` items to convert (tests/discord/test_limits.py checks that
    discord.py reads each back into the same JSON). Stopped, and with no items to dispatch, it is
    never kept in the client's view store.
    """

    def __init__(self, rows: list[dict]) -> None:
        super().__init__(timeout=None)
        self.rows = rows
        self.stop()

    def to_components(self) -> list[dict]:
        return self.rows


def sent(items: list[tuple[int, dict]]) -> Sent | None:
    """(row, component) pairs as a view: rows in order, each row's components in the order given; None when empty."""
    if not items:
        return None
    by_row: dict[int, list[dict]] = {}
    for row, item in items:
        by_row.setdefault(row, []).append(item)
    return Sent([{"type": 1, "components": by_row[row]} for row in sorted(by_row)])


def act_button(button: Button) -> dict:
    """A card's button as sent; a click on it comes back as an `Act`."""
    return {
        "type": 2, "style": STYLE_CODES.get(button.style, 2), "disabled": False, "label": clip(button.label, 80),
        "custom_id": custom_id(button.act, button.payload),
    }


def menu(act: str, payload: str, options: tuple[tuple[str, str, str], ...], *, low: int = 1, high: int = 1, placeholder: str = "") -> dict:
    """`options`: (value, label, _) as a card's `Ask` has them; at most 25 (Discord's limit). A pick comes back as a `Menu`."""
    shown = [{"label": clip(label, 100), "value": value, "default": False} for value, label, _ in options[:25]]
    count = len(shown)
    high = min(high or count, count)
    low_values, high_values = 1, 1
    if act == "pick_many":
        placeholder = words.PICK_ALL_MENU if low == 0 else words.PICK_AT_LEAST_MENU.format(count=low)
        low_values, high_values = (max(1, min(low, high)) if count else 0), (max(high, 1) if count else 1)
    else:
        placeholder = placeholder or words.CHOOSE_ONE
    select = {
        "type": 3, "custom_id": custom_id(act, payload), "min_values": low_values, "max_values": high_values,
        "disabled": False, "required": True, "placeholder": clip(placeholder, 150),
    }
    if shown:  # as discord.py writes a select: no options, no key
        select["options"] = shown
    return select


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


