"""The buttons and menus, as `discord.ui.DynamicItem`s: their state lives in the custom_id.

discord.py matches an incoming custom_id against each class's template and rebuilds the item from
it, so every button keeps working after a restart with no view kept in memory. The items only
decode; what a click means is decided in flow.py (reached through the client, which owns it).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from adapters.discord import ids
from adapters.discord.text import clip
from bot import words
from bot.conversation.events import Start
from bot.conversation.replies import Option

if TYPE_CHECKING:
    from adapters.discord.flow import Flow

Button = discord.ui.Button
Select = discord.ui.Select


def flow_of(interaction: discord.Interaction) -> Flow:
    return interaction.client.flow  # type: ignore[attr-defined]  # set by OutsourceBot


class AnswerButton(discord.ui.DynamicItem[Button], template=ids.ANSWER):
    def __init__(self, session: str, version: int, node: str, option: Option, row: int | None = None) -> None:
        custom_id = ids.answer(session, version, node, option.id)
        super().__init__(Button(label=clip(option.label, 80), custom_id=custom_id, row=row))
        self.session, self.version, self.node, self.choice = session, version, node, option.id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: Button, match: re.Match[str], /) -> AnswerButton:
        return cls(match["session"], int(match["version"]), match["node"], Option(match["choice"], item.label or ""))

    async def callback(self, interaction: discord.Interaction) -> Any:
        value: object = int(self.choice) if self.choice.isdigit() else self.choice
        await flow_of(interaction).answer(interaction, self.session, self.version, self.node, value)


class NoneOfThese(discord.ui.DynamicItem[Button], template=ids.NONE_OF_THESE):
    def __init__(self, session: str, version: int, node: str) -> None:
        super().__init__(Button(label=words.NONE_OF_THESE, custom_id=ids.with_node("z", session, version, node), row=1))
        self.session, self.version, self.node = session, version, node

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: Button, match: re.Match[str], /) -> NoneOfThese:
        return cls(match["session"], int(match["version"]), match["node"])

    async def callback(self, interaction: discord.Interaction) -> Any:
        await flow_of(interaction).answer(interaction, self.session, self.version, self.node, ())


def _options(options: tuple[Option, ...]) -> list[discord.SelectOption]:
    return [discord.SelectOption(label=clip(o.label, 100), value=o.id) for o in options[:25]]


class PickOne(discord.ui.DynamicItem[Select], template=ids.PICK_ONE):
    def __init__(self, session: str, version: int, node: str, options: tuple[Option, ...] = ()) -> None:
        select: Select = Select(
            custom_id=ids.with_node("c", session, version, node), placeholder=words.CHOOSE_ONE, options=_options(options), row=0
        )
        super().__init__(select)
        self.session, self.version, self.node = session, version, node

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: Select, match: re.Match[str], /) -> PickOne:
        return cls(match["session"], int(match["version"]), match["node"])

    async def callback(self, interaction: discord.Interaction) -> Any:
        values = self.item.values
        value = values[0] if len(values) == 1 else tuple(values)  # anything but one pick is refused by the core
        await flow_of(interaction).answer(interaction, self.session, self.version, self.node, value)


class PickMany(discord.ui.DynamicItem[Select], template=ids.PICK_MANY):
    def __init__(
        self, session: str, version: int, node: str, options: tuple[Option, ...] = (), low: int = 0, high: int = 0
    ) -> None:
        count = min(len(options), 25)
        high = min(high or count, count)
        select: Select = Select(
            custom_id=ids.with_node("k", session, version, node),
            placeholder=words.PICK_ALL_MENU if low == 0 else words.PICK_AT_LEAST_MENU.format(count=low),
            options=_options(options),
            min_values=max(1, min(low, high)) if count else 0,
            max_values=max(high, 1) if count else 1,
            row=0,
        )
        super().__init__(select)
        self.session, self.version, self.node = session, version, node

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: Select, match: re.Match[str], /) -> PickMany:
        return cls(match["session"], int(match["version"]), match["node"])

    async def callback(self, interaction: discord.Interaction) -> Any:
        await flow_of(interaction).answer(interaction, self.session, self.version, self.node, tuple(self.item.values))


class TypeAnswer(discord.ui.DynamicItem[Button], template=ids.TYPE_ANSWER):
    def __init__(self, session: str, version: int, node: str) -> None:
        button: Button = Button(
            label=words.TYPE_YOUR_ANSWER, style=discord.ButtonStyle.primary, custom_id=ids.with_node("t", session, version, node)
        )
        super().__init__(button)
        self.session, self.version, self.node = session, version, node

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: Button, match: re.Match[str], /) -> TypeAnswer:
        return cls(match["session"], int(match["version"]), match["node"])

    async def callback(self, interaction: discord.Interaction) -> Any:
        await flow_of(interaction).open_text_modal(interaction, self.session, self.version, self.node)


class _SessionButton(discord.ui.DynamicItem[Button], template=r"(?!)"):
    """A button that names only a session and version (Back, Start over, Share, Vet)."""

    kind = ""
    label = ""
    style = discord.ButtonStyle.secondary

    def __init__(self, session: str, version: int) -> None:
        super().__init__(Button(label=self.label, style=self.style, custom_id=ids.of_session(self.kind, session, version), row=4))
        self.session, self.version = session, version

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: Button, match: re.Match[str], /) -> _SessionButton:
        return cls(match["session"], int(match["version"]))


class Back(_SessionButton, template=ids.BACK):
    kind, label = "b", words.BACK

    async def callback(self, interaction: discord.Interaction) -> Any:
        await flow_of(interaction).back(interaction, self.session, self.version)


class Restart(_SessionButton, template=ids.RESTART):
    kind, label = "r", words.START_OVER

    async def callback(self, interaction: discord.Interaction) -> Any:
        await flow_of(interaction).restart(interaction, self.session, self.version)


class Share(_SessionButton, template=ids.SHARE):
    kind, label, style = "sh", words.SHARE_TO_CHANNEL, discord.ButtonStyle.primary

    async def callback(self, interaction: discord.Interaction) -> Any:
        await flow_of(interaction).offer_share(interaction, self.session, self.version)


class Vet(_SessionButton, template=ids.VET):
    kind, label = "v", words.VET_AN_AGENCY

    async def callback(self, interaction: discord.Interaction) -> Any:
        await flow_of(interaction).vet(interaction)


class ShareTo(discord.ui.DynamicItem[Select], template=ids.SHARE_TO):
    """The channel picker of a share; the picked id is checked again before anything is posted."""

    def __init__(self, session: str, version: int, channels: list[tuple[str, str]] | None = None) -> None:
        options = [discord.SelectOption(label=clip(label, 100), value=cid) for cid, label in (channels or [])[:25]]
        select: Select = Select(custom_id=ids.of_session("st", session, version), placeholder=words.PICK_A_CHANNEL, options=options)
        super().__init__(select)
        self.session, self.version = session, version

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: Select, match: re.Match[str], /) -> ShareTo:
        return cls(match["session"], int(match["version"]))

    async def callback(self, interaction: discord.Interaction) -> Any:
        await flow_of(interaction).share_to(interaction, self.session, self.item.values)


class ForgetAnswer(discord.ui.DynamicItem[Button], template=ids.FORGET):
    def __init__(self, answer: str) -> None:
        yes = answer == "yes"
        button: Button = Button(
            label=words.DELETE_EVERYTHING if yes else words.KEEP_MY_DATA,
            style=discord.ButtonStyle.danger if yes else discord.ButtonStyle.secondary,
            custom_id=ids.forget(answer),
        )
        super().__init__(button)
        self.confirmed = yes

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: Button, match: re.Match[str], /) -> ForgetAnswer:
        return cls(match["answer"])

    async def callback(self, interaction: discord.Interaction) -> Any:
        await flow_of(interaction).forget(interaction, self.confirmed)


# --- team rounds ---------------------------------------------------------------------------------


class _RoundButton(discord.ui.DynamicItem[Button], template=r"(?!)"):
    """A button that names only a round (Take the check, Reveal, Close, Export)."""

    kind = ""
    label = ""
    style = discord.ButtonStyle.secondary

    def __init__(self, round_id: str, row: int | None = None) -> None:
        super().__init__(Button(label=self.label, style=self.style, custom_id=ids.of_round(self.kind, round_id), row=row))
        self.round = round_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: Button, match: re.Match[str], /) -> _RoundButton:
        return cls(match["round"])


class TakeCheck(_RoundButton, template=ids.ROUND_TAKE):
    kind, label, style = "rt", words.TAKE_THE_CHECK, discord.ButtonStyle.primary

    async def callback(self, interaction: discord.Interaction) -> Any:
        await flow_of(interaction).take(interaction, self.round)


class Reveal(_RoundButton, template=ids.ROUND_REVEAL):
    kind, label = "rr", words.REVEAL

    async def callback(self, interaction: discord.Interaction) -> Any:
        await flow_of(interaction).reveal(interaction, self.round)


class CloseRound(_RoundButton, template=ids.ROUND_CLOSE):
    kind, label, style = "rc", words.CLOSE_AND_RECORD, discord.ButtonStyle.success

    async def callback(self, interaction: discord.Interaction) -> Any:
        await flow_of(interaction).close(interaction, self.round)


class ExportRound(_RoundButton, template=ids.ROUND_EXPORT):
    kind, label = "rx", words.EXPORT_AS_MARKDOWN

    async def callback(self, interaction: discord.Interaction) -> Any:
        await flow_of(interaction).export(interaction, self.round)


class SecondLook(_RoundButton, template=ids.ROUND_LOOK):
    kind, label = "rl", words.TAKE_A_SECOND_LOOK

    async def callback(self, interaction: discord.Interaction) -> Any:
        await flow_of(interaction).second_look(interaction, self.round)


STANCES = {
    "agree": ("Agree", discord.ButtonStyle.success),
    "abstain": ("Abstain", discord.ButtonStyle.secondary),
    "object": ("Object", discord.ButtonStyle.danger),
}


class Position(discord.ui.DynamicItem[Button], template=ids.ROUND_POSITION):
    """Agree, Abstain or Object on the comparison (the count so far in the label): opens the position modal."""

    def __init__(self, round_id: str, stance: str, count: int = 0, row: int | None = None) -> None:
        label, style = STANCES[stance]
        super().__init__(Button(label=f"{label} ({count})", style=style, custom_id=ids.position(round_id, stance), row=row))
        self.round, self.stance = round_id, stance

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: Button, match: re.Match[str], /) -> Position:
        return cls(match["round"], match["stance"])

    async def callback(self, interaction: discord.Interaction) -> Any:
        await flow_of(interaction).open_position_modal(interaction, self.round, self.stance)


def position_modal(round_id: str, stance: str) -> discord.ui.Modal:
    """Its custom_id carries the round and the stance; the core checks both on submit. The reason is optional."""
    label = STANCES[stance][0]
    modal = discord.ui.Modal(title=f"{label}: your position", custom_id=ids.position_modal(round_id, stance), timeout=900)
    modal.add_item(
        discord.ui.TextInput(
            label=words.WHY_OPTIONAL, custom_id="answer", required=False, max_length=300, style=discord.TextStyle.paragraph
        )
    )
    return modal


def close_modal(round_id: str, refusal: str) -> discord.ui.Modal:
    """Closing before the quorum: the closer says why, and the decision record keeps it."""
    modal = discord.ui.Modal(title=words.CLOSE_THE_ROUND, custom_id=ids.close_modal(round_id), timeout=900)
    modal.add_item(
        discord.ui.TextInput(
            label=words.WHY_CLOSE_NOW, custom_id="answer", required=True, min_length=1, max_length=300,
            placeholder=clip(refusal, 100), style=discord.TextStyle.paragraph,
        )
    )
    return modal


class RunAgain(discord.ui.DynamicItem[Button], template=ids.RUN_AGAIN):
    """On a decision's review: starts the round's dialog for whoever clicks (the core checks the dialog id)."""

    def __init__(self, dialog: str) -> None:
        super().__init__(Button(label=words.REVIEW_RUN_AGAIN, style=discord.ButtonStyle.primary, custom_id=f"oc:ra:{dialog}"))
        self.dialog = dialog

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: Button, match: re.Match[str], /) -> RunAgain:
        return cls(match["dialog"])

    async def callback(self, interaction: discord.Interaction) -> Any:
        await flow_of(interaction).command(interaction, Start(self.dialog))


ALL = (
    AnswerButton, NoneOfThese, PickOne, PickMany, TypeAnswer, Back, Restart, Share, Vet, ShareTo, ForgetAnswer,
    TakeCheck, Reveal, CloseRound, ExportRound, Position, SecondLook, RunAgain,
)
