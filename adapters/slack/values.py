"""What a button carries, and reading it back without trusting it.

Slack echoes a button's `value` verbatim, but anyone can post a block_actions payload with a
value of their own making (a forged or mangled click). Every field is checked here; whatever
does not fit is refused before it reaches the core.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_VALUE = 2000  # Slack's limit for a button value


class ForgedValue(ValueError):
    """A click whose value we did not write."""


@dataclass(frozen=True)
class ButtonValue:
    session: str
    version: int
    node: str = ""
    choice: str = ""

    def encode(self) -> str:
        data: dict[str, object] = {"s": self.session, "v": self.version}
        if self.node:
            data["n"] = self.node
        if self.choice:
            data["c"] = self.choice
        return json.dumps(data, separators=(",", ":"))


def decode(raw: object) -> ButtonValue:
    if not isinstance(raw, str) or len(raw) > MAX_VALUE:
        raise ForgedValue("not a button value of ours")
    try:
        data = json.loads(raw)
    except ValueError:
        raise ForgedValue("not JSON") from None
    if not isinstance(data, dict) or set(data) - {"s", "v", "n", "c"}:
        raise ForgedValue("unexpected fields")
    session, version = data.get("s"), data.get("v")
    node, choice = data.get("n", ""), data.get("c", "")
    if not isinstance(session, str) or not ID.match(session):
        raise ForgedValue("bad session id")
    if not isinstance(version, int) or isinstance(version, bool) or not 0 <= version < 10**9:
        raise ForgedValue("bad version")
    for field in (node, choice):
        if not isinstance(field, str) or (field and not ID.match(field)):
            raise ForgedValue("bad node or choice")
    return ButtonValue(session, version, node, choice)
