"""What a button carries, for both platforms: one grammar, checked strictly on the way back.

A Slack button's `value` and a Discord component's `custom_id` come back verbatim, but anyone can
send a click with one of their own making. So every field has one strict pattern here (the dialog
format's own maxima), a payload is "id:version:node:choice" (the trailing fields optional) and
anything that does not match exactly is refused as forged before it reaches the core. Slack sends
the payload as the value; Discord prefixes it with the component's kind (ids.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SESSION = r"(?P<session>[A-Za-z0-9_-]{8,16})"  # the core's session and round ids are 12 characters
VERSION = r"(?P<version>0|[1-9][0-9]{0,8})"
NODE = r"(?P<node>[a-z][a-z0-9_]{0,31})"
CHOICE = r"(?P<choice>[a-z0-9_]{1,32})"
ROUND = r"(?P<round>[A-Za-z0-9_-]{8,16})"
STANCE = r"(?P<stance>agree|abstain|object)"  # a position on a round's proposed decision
DIALOG = r"(?P<dialog>[a-z][a-z0-9_]{0,31})"
PAYLOAD = re.compile(rf"{SESSION}:{VERSION}(?::(?P<node>[a-z][a-z0-9_]{{0,31}}|_)(?::{CHOICE})?)?")  # "_": no node
MAX_PAYLOAD = 100  # Discord's custom_id limit; the longest payload here is 91


class Forged(ValueError):
    """A click whose payload we did not write."""


@dataclass(frozen=True)
class Payload:
    session: str  # or a round's id
    version: int = 0  # 0: whatever the version (a round's buttons, the "changed" notice's Start over)
    node: str = ""
    choice: str = ""  # an option id, or a stance

    def encode(self) -> str:
        fields = [self.session, str(self.version)]
        if self.node or self.choice:
            fields.append(self.node or "_")
        if self.choice:
            fields.append(self.choice)
        return ":".join(fields)


def decode(raw: object) -> Payload:
    if not isinstance(raw, str) or len(raw) > MAX_PAYLOAD:
        raise Forged("not a button payload of ours")
    match = PAYLOAD.fullmatch(raw)
    if match is None:
        raise Forged("does not fit the button grammar")
    node = match["node"] or ""
    return Payload(match["session"], int(match["version"]), "" if node == "_" else node, match["choice"] or "")
