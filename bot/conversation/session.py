"""A user's conversation with one dialog, as plain data that any store can keep.

The answers are the truth; where the session stands and its scores follow from replaying them.
Scores and the current node are still stored, so a store or a report can read them without a
dialog at hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import orjson

from bot.dialogs.model import AnswerRecord, AnswerValue

ROUND_CONTEXT = "round"  # the context key of a check taken for a team round: the round's id


@dataclass(frozen=True)
class Session:
    id: str
    owner: str
    dialog_id: str
    dialog_hash: str
    node: str | None = None
    node_signature: str = ""
    answers: tuple[AnswerRecord, ...] = ()
    scores: tuple[tuple[str, int], ...] = ()
    outcome: str | None = None
    version: int = 0
    started_at: float = 0.0
    updated_at: float = 0.0
    context: tuple[tuple[str, str], ...] = field(default=())
    surface: str = ""  # where an adapter shows this conversation (opaque to the core), e.g. "C123:1700.01"
    moved_from: int = 0  # the version before the last move to a new message, which changed nothing else

    @property
    def finished(self) -> bool:
        return self.outcome is not None

    def answer_map(self) -> dict[str, AnswerValue]:
        return {a.node: a.value for a in self.answers}

    def context_value(self, key: str) -> str | None:
        return dict(self.context).get(key)

    def shows(self, version: int | None) -> bool:
        """Whether buttons drawn at `version` still show the session as it stands (None: "the current one").

        A move into a new message (the adapter reports where it landed) bumps the version but changes
        no question, so buttons drawn just before that move are still current, until the next answer.
        """
        if version is None or version == self.version:
            return True
        return 0 < self.moved_from == version == self.version - 1

    def bump(self, **changes: Any) -> Session:
        """The next version of this session: every change goes through here, so versions only grow.

        Copied field by field rather than through `dataclasses.replace`, which looks up the fields
        and runs the frozen `__init__` again on every call (5.3 us against 0.9 us; issue 15's twelfth
        pass). What `replace` refused is still refused: an unknown field, or a version of the caller's.
        """
        if not _SETTABLE.issuperset(changes):
            raise TypeError(f"a bump sets the version itself and changes only Session's other fields, not {sorted(set(changes) - _SETTABLE)}")
        bumped = object.__new__(type(self))
        state = bumped.__dict__
        state.update(self.__dict__)
        state.update(changes)
        state["version"] = self.version + 1
        return bumped

    def to_json(self) -> str:
        # every field is a str, number or tuple of them but `answers`: no need for asdict's deep copy
        data = {name: getattr(self, name) for name in _FIELDS}
        data["answers"] = [[a.node, list(a.value) if isinstance(a.value, tuple) else a.value] for a in self.answers]
        return orjson.dumps(data).decode()

    @classmethod
    def from_json(cls, text: str) -> Session:
        data = orjson.loads(text)
        data["answers"] = tuple(
            AnswerRecord(node, tuple(value) if isinstance(value, list) else value) for node, value in data["answers"]
        )
        data["scores"] = tuple((k, v) for k, v in data["scores"])
        data["context"] = tuple((k, v) for k, v in data.get("context", ()))
        return cls(**data)


_FIELDS = tuple(f.name for f in fields(Session))
_SETTABLE = frozenset(_FIELDS) - {"version"}  # a bump sets the version itself
