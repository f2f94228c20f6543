"""The session store contract every backend (memory, SQLite, Redis) keeps.

Saves are compare-and-set on the session's version: two clicks racing on one button both load
version 7, both try to write version 8, and exactly one wins. The loser is told its click is stale.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

from bot.conversation.session import Session
from bot.followups.jobs import JobQueue
from bot.team.rounds import Round

DEFAULT_TTL_SECONDS = 14 * 24 * 3600  # an unfinished check nobody touched for two weeks is abandoned


class StoreUnavailable(Exception):
    """The store could not be reached; nothing was written. The user is asked to try again."""


class SessionStore(JobQueue, Protocol):
    """Sessions, rounds, deliveries seen, and the follow-up jobs (`JobQueue`, bot/followups/jobs.py)."""

    async def load(self, session_id: str) -> Session | None:
        """The session, or None if unknown or abandoned (unfinished and idle past the TTL)."""
        ...

    async def save(self, session: Session, *, expected_version: int) -> bool:
        """Write `session` only if the stored version is still `expected_version` (0: not stored yet)."""
        ...

    async def sessions_of(self, owner: str) -> list[Session]:
        """All live sessions of one user, most recently updated first."""
        ...

    async def forget(self, owner: str) -> int:
        """Delete everything stored about one user (sessions, round index, follow-up jobs they own);
        returns how many sessions went."""
        ...

    async def purge_expired(self) -> int:
        """Delete abandoned sessions; returns how many."""
        ...

    async def load_round(self, round_id: str) -> Round | None: ...

    async def save_round(self, round_: Round, *, expected_version: int) -> bool:
        """Compare-and-set, as for sessions: 0 means the round must not exist yet."""
        ...

    async def rounds_of(self, user: str) -> list[Round]:
        """Rounds the user started or took part in (for `forget`)."""
        ...

    async def delete_round(self, round_id: str) -> None: ...

    async def first_time(self, key: str, ttl: float = 600) -> bool:
        """True the first time a platform delivery is seen (Slack re-sends what it thinks was lost)."""
        ...

    async def setting(self, key: str) -> str | None:
        """A workspace's setting (e.g. "slack:T123:nudge"), or None when it never set one."""
        ...

    async def set_setting(self, key: str, value: str) -> None: ...

    def every_session(self) -> AsyncIterator[Session]:
        """Every stored session, in no order (for `outsource-check stats`)."""
        ...

    async def ping(self) -> bool:
        """Whether the store answers (for readiness checks)."""
        ...

    async def check(self) -> None:
        """At start-up: raise StoreUnavailable, with one line saying what is wrong, unless the store is usable."""
        ...

    async def close(self) -> None: ...


def is_expired(session: Session, *, now: float, ttl: float) -> bool:
    return not session.finished and session.updated_at < now - ttl


def round_users(round_: Round) -> set[str]:
    return {round_.starter, *(m.user for m in round_.members)}


def data_dir() -> Path:
    """`OUTSOURCE_CHECK_DATA`, else ~/.local/share/outsource-check."""
    configured = os.environ.get("OUTSOURCE_CHECK_DATA")
    return Path(configured) if configured else Path.home() / ".local" / "share" / "outsource-check"


def ttl_seconds() -> float:
    """`OUTSOURCE_CHECK_SESSION_TTL`: seconds; a ValueError that names the setting otherwise."""
    return seconds_setting("OUTSOURCE_CHECK_SESSION_TTL", DEFAULT_TTL_SECONDS)


def seconds_setting(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return float(default)
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise ValueError(f"{name} must be a positive number of seconds, not {text[:40]!r}")
    return value
