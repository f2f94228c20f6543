"""A follow-up job: what to do, about what, and when; plain data that any store can keep.

A job is keyed by what it is about ("remind:ROUNDID", "nudge:SESSIONID", "review:ROUNDID"):
scheduling the same key again replaces the job (and moves its due time), so there is never more
than one of each. `owner` is the user the job is about, if any: a store's `forget(owner)` deletes
that user's jobs with the rest of their data. `claim` is not part of the job as scheduled: a store
sets it on the jobs `claim_due` hands out, and `done` deletes a job only while that claim still
holds (a job re-scheduled meanwhile has lost it, and stays).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import orjson


@dataclass(frozen=True)
class Job:
    key: str  # unique: one job per key
    kind: str  # what the handler does ("remind", "nudge", "review", ...)
    due: float  # epoch seconds
    payload: tuple[tuple[str, str], ...] = ()
    owner: str = ""  # the user it is about: forgotten with them
    claim: str = ""  # set by the store on a claimed job; never stored as part of the job

    def payload_value(self, name: str) -> str | None:
        return dict(self.payload).get(name)

    def to_json(self) -> str:
        """The job as scheduled (without `claim`)."""
        data = {"key": self.key, "kind": self.kind, "due": self.due, "payload": [list(p) for p in self.payload], "owner": self.owner}
        return orjson.dumps(data).decode()

    @classmethod
    def from_json(cls, text: str, *, claim: str = "") -> Job:
        data = orjson.loads(text)
        return cls(
            key=str(data["key"]),
            kind=str(data["kind"]),
            due=float(data["due"]),
            payload=tuple((str(k), str(v)) for k, v in data.get("payload", ())),
            owner=str(data.get("owner", "")),
            claim=claim,
        )


class JobQueue(Protocol):
    """The follow-up part of every store (bot/stores/base.py's SessionStore includes it)."""

    async def schedule(self, job: Job) -> None:
        """Insert the job, or replace the one with its key: a new due time, payload and owner, and no claim."""
        ...

    async def cancel(self, key: str) -> None:
        """Delete the job with this key, claimed or not; nothing if there is none."""
        ...

    async def claim_due(self, now: float, *, limit: int = 50, lease: float = 120.0) -> list[Job]:
        """Atomically claim up to `limit` jobs due at `now` (earliest first) that nobody holds.

        A claimed job is handed to no other caller until `now + lease`; after that it is due again
        (the process that claimed it may have died). Each returned job carries its `claim`.
        """
        ...

    async def done(self, job: Job) -> bool:
        """Delete a claimed job once handled, only if its claim still holds (not re-scheduled or
        cancelled since, nor claimed again by another caller after its lease); whether it was deleted."""
        ...
