"""What a click on a card's button asks for: the one reading of every button, for every platform.

A card's `Button` carries an `act` and a payload (layout.py writes them). The platform sends both
back verbatim, but anyone can send a click of their own making, so `event_of` reads them strictly:
an act it does not know, or a payload that does not fit the act, is `Forged` before the core acts.
The platform adds the facts only it knows (the clicker's name, channel membership, admin rights,
the ticked options), and only those `NEEDS` says the act uses, so it asks its API no more than that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.conversation.buttons import DIALOG, ROUND, STANCE, Forged, decode
from bot.conversation.events import (
    Action,
    Answer,
    Back,
    CloseRound,
    Forget,
    Restart,
    RevealRound,
    RoundAction,
    SecondLook,
    ShowRound,
    Start,
    TakeRoundCheck,
)
from bot.dialogs.catalog import AGENCY_DIALOG

# every act, with a compact code for platforms whose component ids are short (Discord: 100 characters)
ACTS = {
    "answer": "a", "none": "z", "pick_one": "c", "pick_many": "k", "next": "n", "text": "t",
    "back": "b", "restart": "r", "share": "sh", "vet": "v", "forget": "f", "start": "ra",
    "round.take": "rt", "round.reveal": "rr", "round.position": "rp", "round.close": "rc",
    "round.export": "rx", "round.look": "rl", "share_to": "st",
}
BY_CODE = {code: act for act, code in ACTS.items()}
FORMS = frozenset({"text", "share", "share_to", "round.position"})  # a form (or a picker) first; its answer is the event
NEEDS = {"round.take": frozenset({"name", "member"}), "round.reveal": frozenset({"admin"}), "round.close": frozenset({"admin"})}
ROUND_PAYLOAD = re.compile(rf"{ROUND}(?::{STANCE})?")
DIALOG_PAYLOAD = re.compile(DIALOG)


@dataclass(frozen=True)
class Facts:
    """What the platform knows about the click: who (their name), where (a member of the channel?),
    their rights (an admin?), and what they picked or ticked on the message."""

    name: str = ""
    is_member: bool = False
    is_admin: bool = False
    picks: tuple[str, ...] = ()


NO_FACTS = Facts()


def round_of(payload: str) -> tuple[str, str]:
    """A round button's payload -> (round id, stance or ""); `Forged` if it is not one we write."""
    match = ROUND_PAYLOAD.fullmatch(payload) if isinstance(payload, str) and len(payload) <= 64 else None
    if match is None:
        raise Forged("not a round of ours")
    return match["round"], match["stance"] or ""


def event_of(act: str, payload: str, facts: Facts = NO_FACTS) -> Action | RoundAction:
    """The core event a click stands for; `Forged` when the act or its payload is not ours."""
    if act in ("answer", "none", "pick_one", "pick_many", "next"):
        at = decode(payload)
        if not at.node:
            raise Forged("an answer names its question")
        value: object = at.choice if act == "answer" else facts.picks if act in ("pick_many", "next") else ()
        if act == "answer" and not at.choice:
            raise Forged("an answer names its choice")
        if act == "pick_one":
            value = facts.picks[0] if len(facts.picks) == 1 else facts.picks  # anything but one pick is refused by the core
        return Answer(at.session, at.node, value, at.version or None)
    if act in ("back", "restart"):
        at = decode(payload)
        return (Back if act == "back" else Restart)(at.session, at.version or None)
    if act == "vet":
        return Start(AGENCY_DIALOG)
    if act == "start":
        if not DIALOG_PAYLOAD.fullmatch(payload or ""):
            raise Forged("not a dialog of ours")
        return Start(payload)
    if act == "forget":
        if payload not in ("yes", "no"):
            raise Forged("not an answer to the confirmation")
        return Forget(confirmed=True) if payload == "yes" else Forget(kept=True)
    if act.startswith("round."):
        round_id, stance = round_of(payload)
        if stance:
            raise Forged("only a position names a stance")
        if act == "round.take":
            return TakeRoundCheck(round_id, name=facts.name, is_member=facts.is_member)
        if act == "round.reveal":
            return RevealRound(round_id, is_admin=facts.is_admin)
        if act == "round.close":
            return CloseRound(round_id, is_admin=facts.is_admin)
        if act == "round.export":
            return ShowRound(round_id, record=True)
        if act == "round.look":
            return SecondLook(round_id)
    raise Forged(f"no such button: {act[:40]!r}")


def needs(act: str) -> frozenset[str]:
    return NEEDS.get(act, frozenset())
