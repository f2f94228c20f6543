"""The custom_id grammar: every button and menu carries its own state, nothing else is trusted.

A custom_id names the session, the version of that session it was drawn for and, where it
answers a question, the node (and choice). Discord echoes it back verbatim, but anyone can send an
interaction with a custom_id of their own making, so the templates are strict: a custom_id that does
not match one of them exactly is refused before it reaches the core. Discord allows 100 characters;
the longest form here is 97 (a 16-character session, a 9-digit version, 32-character node and
choice ids, the dialog format's own maxima).
"""

from __future__ import annotations

import re

from adapters.common.buttons import CHOICE, DIALOG, NODE, ROUND, SESSION, STANCE, VERSION

MAX_CUSTOM_ID = 100
# the fields' patterns are the shared grammar's: one set of forgery checks for both platforms
# one template per kind of component; the DynamicItem classes in components.py use these
ANSWER = rf"oc:a:{SESSION}:{VERSION}:{NODE}:{CHOICE}"  # a choice or scale button
NONE_OF_THESE = rf"oc:z:{SESSION}:{VERSION}:{NODE}"  # a pick-several question answered with no picks
PICK_ONE = rf"oc:c:{SESSION}:{VERSION}:{NODE}"  # a select menu for a long choice question
PICK_MANY = rf"oc:k:{SESSION}:{VERSION}:{NODE}"  # a select menu for a pick-several question
TYPE_ANSWER = rf"oc:t:{SESSION}:{VERSION}:{NODE}"  # opens the text-answer modal
MODAL = rf"oc:m:{SESSION}:{VERSION}:{NODE}"  # the text-answer modal itself
BACK = rf"oc:b:{SESSION}:{VERSION}"
RESTART = rf"oc:r:{SESSION}:{VERSION}"  # version 0: whatever the version (after a dialog change)
SHARE = rf"oc:sh:{SESSION}:{VERSION}"
SHARE_TO = rf"oc:st:{SESSION}:{VERSION}"  # the channel picker of a share
VET = rf"oc:v:{SESSION}:{VERSION}"
FORGET = r"oc:f:(?P<answer>yes|no)"

# team rounds: the round card's and the comparison's buttons name only the round (and a stance)
ROUND_TAKE = rf"oc:rt:{ROUND}"
ROUND_REVEAL = rf"oc:rr:{ROUND}"
ROUND_POSITION = rf"oc:rp:{ROUND}:{STANCE}"  # opens the position modal
ROUND_CLOSE = rf"oc:rc:{ROUND}"
ROUND_EXPORT = rf"oc:rx:{ROUND}"
ROUND_LOOK = rf"oc:rl:{ROUND}"  # a second look at the questions the team split on
POSITION_MODAL = rf"oc:rpm:{ROUND}:{STANCE}"  # the position modal itself: a stance and an optional reason
CLOSE_MODAL = rf"oc:rcm:{ROUND}"  # why the closer closes before the quorum
RUN_AGAIN = rf"oc:ra:{DIALOG}"  # a decision's review: run the round's dialog again

TEMPLATES = (
    ANSWER, NONE_OF_THESE, PICK_ONE, PICK_MANY, TYPE_ANSWER, MODAL, BACK, RESTART, SHARE, SHARE_TO, VET, FORGET,
    ROUND_TAKE, ROUND_REVEAL, ROUND_POSITION, ROUND_CLOSE, ROUND_EXPORT, ROUND_LOOK, RUN_AGAIN,
)
_COMPILED = tuple(re.compile(t) for t in TEMPLATES)


def is_ours(custom_id: object) -> bool:
    """Whether a custom_id is one this adapter could have written (the forged-id gate)."""
    return (
        isinstance(custom_id, str)
        and len(custom_id) <= MAX_CUSTOM_ID
        and any(p.fullmatch(custom_id) for p in _COMPILED)
    )


def modal_match(custom_id: object) -> re.Match[str] | None:
    return re.fullmatch(MODAL, custom_id) if isinstance(custom_id, str) else None


def round_modal_match(custom_id: object) -> re.Match[str] | None:
    """A team round's modal (a position, or a close before the quorum): `round`, and `stance` for a position."""
    if not isinstance(custom_id, str):
        return None
    return re.fullmatch(POSITION_MODAL, custom_id) or re.fullmatch(CLOSE_MODAL, custom_id)


def answer(session: str, version: int, node: str, choice: str) -> str:
    return f"oc:a:{session}:{version}:{node}:{choice}"


def with_node(kind: str, session: str, version: int, node: str) -> str:
    """`kind` is one of z (none of these), c (pick one), k (pick many), t (type), m (modal)."""
    return f"oc:{kind}:{session}:{version}:{node}"


def of_session(kind: str, session: str, version: int) -> str:
    """`kind` is one of b (back), r (restart), sh (share), st (share to), v (vet an agency)."""
    return f"oc:{kind}:{session}:{version}"


def forget(answer: str) -> str:
    return f"oc:f:{answer}"


def of_round(kind: str, round_id: str) -> str:
    """`kind` is one of rt (take the check), rr (reveal), rc (close), rx (export), rl (a second look)."""
    return f"oc:{kind}:{round_id}"


def position(round_id: str, stance: str) -> str:
    return f"oc:rp:{round_id}:{stance}"


def position_modal(round_id: str, stance: str) -> str:
    return f"oc:rpm:{round_id}:{stance}"


def close_modal(round_id: str) -> str:
    return f"oc:rcm:{round_id}"
