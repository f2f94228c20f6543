"""A store in a dict: for tests and for trying the bot with nothing installed.

Sessions are kept as their JSON text, as the other stores keep them, so a test on this store
exercises the same serialisation as production.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import AsyncIterator, Callable

from bot.conversation.session import Session
from bot.followups.jobs import Job
from bot.stores.base import DEFAULT_TTL_SECONDS, is_expired, round_users
from bot.team.rounds import Round


class MemoryStore:
    def __init__(self, *, ttl: float = DEFAULT_TTL_SECONDS, clock: Callable[[], float] = time.time) -> None:
        self._rows: dict[str, str] = {}
        self._versions: dict[str, int] = {}  # beside the JSON, so a compare-and-set need not parse it
        self._rounds: dict[str, str] = {}
        self._seen: dict[str, float] = {}
        self._settings: dict[str, str] = {}
        self._jobs: dict[str, tuple[str, float, str]] = {}  # key -> (job JSON, claimed until, claim)
        self._ttl = ttl
        self._clock = clock

    def _get(self, session_id: str) -> Session | None:
        text = self._rows.get(session_id)
        return Session.from_json(text) if text is not None else None

    async def load(self, session_id: str) -> Session | None:
        session = self._get(session_id)
        if session is None or is_expired(session, now=self._clock(), ttl=self._ttl):
            return None
        return session

    async def save(self, session: Session, *, expected_version: int) -> bool:
        if self._versions.get(session.id, 0) != expected_version or session.version <= expected_version:
            return False
        self._rows[session.id] = session.to_json()
        self._versions[session.id] = session.version
        return True

    async def sessions_of(self, owner: str) -> list[Session]:
        now = self._clock()
        found = [s for s in map(Session.from_json, self._rows.values()) if s.owner == owner]
        live = [s for s in found if not is_expired(s, now=now, ttl=self._ttl)]
        return sorted(live, key=lambda s: s.updated_at, reverse=True)

    async def forget(self, owner: str) -> int:
        doomed = [key for key, text in self._rows.items() if Session.from_json(text).owner == owner]
        for key in doomed:
            del self._rows[key]
            del self._versions[key]
        for key in [k for k, (text, _, _) in self._jobs.items() if Job.from_json(text).owner == owner]:
            del self._jobs[key]
        return len(doomed)

    async def purge_expired(self) -> int:
        now = self._clock()
        doomed = [k for k, t in self._rows.items() if is_expired(Session.from_json(t), now=now, ttl=self._ttl)]
        for key in doomed:
            del self._rows[key]
            del self._versions[key]
        return len(doomed)

    async def load_round(self, round_id: str) -> Round | None:
        text = self._rounds.get(round_id)
        return Round.from_json(text) if text is not None else None

    async def save_round(self, round_: Round, *, expected_version: int) -> bool:
        current = await self.load_round(round_.id)
        if (current.version if current else 0) != expected_version or round_.version <= expected_version:
            return False
        self._rounds[round_.id] = round_.to_json()
        return True

    async def rounds_of(self, user: str) -> list[Round]:
        return [r for r in map(Round.from_json, self._rounds.values()) if user in round_users(r)]

    async def delete_round(self, round_id: str) -> None:
        self._rounds.pop(round_id, None)

    async def first_time(self, key: str, ttl: float = 600) -> bool:
        now = self._clock()
        if self._seen.get(key, 0.0) > now:
            return False
        self._seen = {k: until for k, until in self._seen.items() if until > now}
        self._seen[key] = now + ttl
        return True

    async def setting(self, key: str) -> str | None:
        return self._settings.get(key)

    async def set_setting(self, key: str, value: str) -> None:
        self._settings[key] = value

    # --- follow-up jobs (one process: a dict is atomic enough between awaits) -----------------------

    async def schedule(self, job: Job) -> None:
        self._jobs[job.key] = (job.to_json(), 0.0, "")

    async def cancel(self, key: str) -> None:
        self._jobs.pop(key, None)

    async def claim_due(self, now: float, *, limit: int = 50, lease: float = 120.0) -> list[Job]:
        due = [(job, key) for key, (text, until, _) in self._jobs.items() if until <= now and (job := Job.from_json(text)).due <= now]
        claim = uuid.uuid4().hex
        claimed = []
        for job, key in sorted(due, key=lambda pair: (pair[0].due, pair[1]))[: max(limit, 0)]:
            self._jobs[key] = (self._jobs[key][0], now + lease, claim)
            claimed.append(dataclasses.replace(job, claim=claim))
        return claimed

    async def done(self, job: Job) -> bool:
        current = self._jobs.get(job.key)
        if current is None or not job.claim or current[2] != job.claim:
            return False
        del self._jobs[job.key]
        return True

    async def every_session(self) -> AsyncIterator[Session]:
        for text in list(self._rows.values()):
            yield Session.from_json(text)

    async def ping(self) -> bool:
        return True

    async def check(self) -> None:
        return None

    async def close(self) -> None:
        return None
