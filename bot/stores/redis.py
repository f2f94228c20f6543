"""The store for many processes: sessions and rounds in Redis, compare-and-set in Lua.

A Lua script runs atomically inside Redis, so "check the version, then write" can never be split
by another process's write. Keys (all under one prefix, `oc:` by default):

- `oc:s:{session id}`: hash {v: version, d: session JSON}; an unfinished session also carries a
  Redis TTL, so abandoned checks vanish by themselves
- `oc:u:{user}:s`: sorted set of that user's session ids, scored by last update
- `oc:r:{round id}`: hash {v, d} for a team round; `oc:u:{user}:r`: set of the user's rounds
- `oc:seen:{key}`: platform deliveries already handled (short TTL), see `first_time`
- `oc:settings`: hash {workspace setting key: value}, e.g. a Slack workspace's nudge delay
- `oc:jobs`: sorted set of follow-up job keys, scored by due time; claiming a job re-scores it to
  when its lease ends, so no one else sees it until then (`CLAIM`, one script)
- `oc:jobs:d`: hash {job key: job JSON}; `oc:jobs:c`: hash {job key: the claim holding it} (no
  field while nobody holds it); `oc:u:{user}:j`: set of the jobs a user owns, for `forget`
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.exceptions import (
    AuthenticationError,
    BusyLoadingError,
    MasterDownError,
    NoPermissionError,
    OutOfMemoryError,
    ReadOnlyError,
    RedisError,
    ResponseError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.conversation.session import Session
from bot.followups.jobs import Job
from bot.stores.base import DEFAULT_TTL_SECONDS, StoreUnavailable, is_expired, round_users
from bot.team.rounds import Round

T = TypeVar("T")

SAVE = """
local current = redis.call('HGET', KEYS[1], 'v')
if current == false then current = 0 else current = tonumber(current) end
if current ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'd', ARGV[3])
if ARGV[4] == '0' then redis.call('PERSIST', KEYS[1]) else redis.call('EXPIRE', KEYS[1], ARGV[4]) end
for i = 2, #KEYS do
  if string.sub(KEYS[i], -2) == ':s' then redis.call('ZADD', KEYS[i], ARGV[5], ARGV[6])
  else redis.call('SADD', KEYS[i], ARGV[6]) end
end
return 1
"""

# KEYS: jobs (sorted set), job data (hash), claims (hash); ARGV: now, limit, lease end, claim.
# The due jobs nobody holds are the members scored up to now; each is re-scored to the end of its
# lease and marked with the claim, all in one script, so two processes never take the same job.
CLAIM = """
local keys = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, k in ipairs(keys) do
  local d = redis.call('HGET', KEYS[2], k)
  if d then
    redis.call('ZADD', KEYS[1], ARGV[3], k)
    redis.call('HSET', KEYS[3], k, ARGV[4])
    out[#out + 1] = d
  else
    redis.call('ZREM', KEYS[1], k)
    redis.call('HDEL', KEYS[3], k)
  end
end
return out
"""

# KEYS: jobs, job data, claims[, the owner's job set]; ARGV: job key, claim. Deletes only while the claim holds.
DONE = """
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
if #KEYS > 3 then redis.call('SREM', KEYS[4], ARGV[1]) end
return 1
"""

# KEYS: the owner's job set, jobs, job data, claims; ARGV: owner. Deletes the jobs the owner still owns.
FORGET_JOBS = """
local n = 0
for _, k in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local d = redis.call('HGET', KEYS[3], k)
  if d and cjson.decode(d)['owner'] == ARGV[1] then
    redis.call('ZREM', KEYS[2], k)
    redis.call('HDEL', KEYS[3], k)
    redis.call('HDEL', KEYS[4], k)
    n = n + 1
  end
end
redis.call('DEL', KEYS[1])
return n
"""

# replies that mean the server cannot serve now (out of memory, a read-only replica, persistence
# failing, still loading, a script running too long, wrong credentials), not that our command is wrong
OUTAGE_REPLIES = ("OOM", "READONLY", "MISCONF", "LOADING", "BUSY", "MASTERDOWN", "NOAUTH", "WRONGPASS", "NOPERM")


# redis-py turns some of those replies into exception classes of their own and drops the code from
# the message, so both the class and the message's first word are read
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    RedisConnectionError, RedisTimeoutError, OSError, BusyLoadingError, OutOfMemoryError, ReadOnlyError,
    NoPermissionError, MasterDownError, AuthenticationError,
)


def is_outage(exc: BaseException) -> bool:
    if isinstance(exc, OUTAGE_ERRORS):
        return True
    return isinstance(exc, ResponseError) and str(exc).split(" ", 1)[0].upper() in OUTAGE_REPLIES


def _text(reply: object) -> str:
    """A Redis reply as text. The pool decodes every reply (`decode_responses=True`), and a range read
    without scores holds only members, but redis-py's types can say neither."""
    if isinstance(reply, str):
        return reply
    if isinstance(reply, bytes):
        return reply.decode()
    raise TypeError(f"a Redis reply was expected to be text, not {type(reply).__name__}")


def _texts(replies: Iterable[object]) -> list[str]:
    return [_text(r) for r in replies]


def shown(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))


class RedisStore:
    def __init__(
        self,
        url: str,
        *,
        ttl: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
        prefix: str = "oc:",
        timeout: float = 2.0,
        max_connections: int = 64,
        pool_wait: float = 15.0,
    ) -> None:
        # A blocking pool: under a burst, turns wait (up to `pool_wait`) for a free connection instead
        # of failing at once with "Too many connections" while Redis itself is idle. The wait can
        # be generous: platforms are acknowledged before the store is touched.
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=pool_wait,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            health_check_interval=10,
            decode_responses=True,
        )
        self._redis = aioredis.Redis(connection_pool=pool)
        self._shown = shown(url)
        self._ttl = ttl
        self._clock = clock
        self._p = prefix
        self._save = self._redis.register_script(SAVE)
        self._claim = self._redis.register_script(CLAIM)
        self._done = self._redis.register_script(DONE)
        self._forget_jobs = self._redis.register_script(FORGET_JOBS)

    async def _run(self, work: Callable[[], Awaitable[T]]) -> T:
        try:
            return await work()
        except (RedisError, OSError) as exc:
            if is_outage(exc):
                raise StoreUnavailable(str(exc)) from exc
            raise

    def _session_key(self, session_id: str) -> str:
        return f"{self._p}s:{session_id}"

    def _user_sessions(self, user: str) -> str:
        return f"{self._p}u:{user}:s"

    def _round_key(self, round_id: str) -> str:
        return f"{self._p}r:{round_id}"

    def _user_rounds(self, user: str) -> str:
        return f"{self._p}u:{user}:r"

    def _user_jobs(self, user: str) -> str:
        return f"{self._p}u:{user}:j"

    def _job_keys(self) -> list[str]:
        """The sorted set of due times, the job data, the claims."""
        return [f"{self._p}jobs", f"{self._p}jobs:d", f"{self._p}jobs:c"]

    # --- sessions ---------------------------------------------------------------------------

    async def load(self, session_id: str) -> Session | None:
        text = await self._run(lambda: self._redis.hget(self._session_key(session_id), "d"))
        if text is None:
            return None
        session = Session.from_json(_text(text))
        return None if is_expired(session, now=self._clock(), ttl=self._ttl) else session

    async def save(self, session: Session, *, expected_version: int) -> bool:
        if session.version <= expected_version:
            return False
        # Redis drops an abandoned session a little after the logical TTL the clock decides
        expiry = "0" if session.finished else str(int(self._ttl) + 3600)
        keys = [self._session_key(session.id), self._user_sessions(session.owner)]
        args: list[str | int | float] = [expected_version, session.version, session.to_json(), expiry, session.updated_at, session.id]
        return bool(await self._run(lambda: self._save(keys=keys, args=args)))

    async def sessions_of(self, owner: str) -> list[Session]:
        index = self._user_sessions(owner)
        ids = _texts(await self._run(lambda: self._redis.zrevrange(index, 0, -1)))
        if not ids:
            return []
        texts = await self._run(lambda: self._gather_sessions(ids))
        gone = [i for i, text in zip(ids, texts, strict=True) if text is None]
        if gone:
            await self._run(lambda: self._redis.zrem(index, *gone))
        now = self._clock()
        found = [Session.from_json(t) for t in texts if t is not None]
        return [s for s in found if not is_expired(s, now=now, ttl=self._ttl)]

    async def _gather_sessions(self, ids: list[str]) -> list[str | None]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for session_id in ids:
                pipe.hget(self._session_key(session_id), "d")
            return await pipe.execute()

    async def forget(self, owner: str) -> int:
        """Every key of the user: their sessions, their session index, their round index (`:r`) and
        the follow-up jobs they own (with their index, `:j`).

        The round index is written by `save_round` for every member; the service takes the user
        out of their rounds (or deletes the ones they started) before it calls this.
        """
        jobs_keys = [self._user_jobs(owner), *self._job_keys()]
        await self._run(lambda: self._forget_jobs(keys=jobs_keys, args=[owner]))
        index = self._user_sessions(owner)
        ids = _texts(await self._run(lambda: self._redis.zrange(index, 0, -1)))
        keys = [self._session_key(i) for i in ids]
        existing = await self._run(lambda: self._redis.exists(*keys)) if keys else 0
        await self._run(lambda: self._redis.delete(*keys, index, self._user_rounds(owner)))
        return int(existing)

    async def purge_expired(self) -> int:
        """Redis drops abandoned sessions by itself an hour after the TTL; this sweeps them on the dot."""

        async def work() -> int:
            now, doomed = self._clock(), []
            async for key in self._redis.scan_iter(match=f"{self._p}s:*", count=500):
                text = await self._redis.hget(key, "d")
                if text is not None and is_expired(Session.from_json(_text(text)), now=now, ttl=self._ttl):
                    doomed.append(key)
            if doomed:
                await self._redis.delete(*doomed)
            return len(doomed)

        return await self._run(work)

    # --- rounds -------------------------------------------------------------------------------

    async def load_round(self, round_id: str) -> Round | None:
        text = await self._run(lambda: self._redis.hget(self._round_key(round_id), "d"))
        return Round.from_json(_text(text)) if text is not None else None

    async def save_round(self, round_: Round, *, expected_version: int) -> bool:
        if round_.version <= expected_version:
            return False
        keys = [self._round_key(round_.id), *(self._user_rounds(u) for u in sorted(round_users(round_)))]
        args: list[str | int | float] = [expected_version, round_.version, round_.to_json(), "0", round_.updated_at, round_.id]
        return bool(await self._run(lambda: self._save(keys=keys, args=args)))

    async def rounds_of(self, user: str) -> list[Round]:
        ids = sorted(_texts(await self._run(lambda: self._redis.smembers(self._user_rounds(user)))))
        found = [await self.load_round(i) for i in ids]
        return [r for r in found if r is not None and user in round_users(r)]

    async def delete_round(self, round_id: str) -> None:
        current = await self.load_round(round_id)
        if current is None:
            return
        keys = [self._user_rounds(u) for u in round_users(current)]

        async def work() -> None:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(self._round_key(round_id))
                for key in keys:
                    pipe.srem(key, round_id)
                await pipe.execute()

        await self._run(work)

    # --- follow-up jobs -------------------------------------------------------------------------

    async def schedule(self, job: Job) -> None:
        jobs, data, claims = self._job_keys()

        async def work() -> None:
            async with self._redis.pipeline(transaction=True) as pipe:  # MULTI/EXEC: all of it or none
                pipe.zadd(jobs, {job.key: job.due})
                pipe.hset(data, job.key, job.to_json())
                pipe.hdel(claims, job.key)
                if job.owner:
                    pipe.sadd(self._user_jobs(job.owner), job.key)
                await pipe.execute()

        await self._run(work)

    async def cancel(self, key: str) -> None:
        jobs, data, claims = self._job_keys()
        text = await self._run(lambda: self._redis.hget(data, key))
        owner = Job.from_json(_text(text)).owner if text is not None else ""

        async def work() -> None:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zrem(jobs, key)
                pipe.hdel(data, key)
                pipe.hdel(claims, key)
                if owner:
                    pipe.srem(self._user_jobs(owner), key)
                await pipe.execute()

        await self._run(work)

    async def claim_due(self, now: float, *, limit: int = 50, lease: float = 120.0) -> list[Job]:
        if limit <= 0:
            return []
        claim = uuid.uuid4().hex
        keys = self._job_keys()
        args: list[str | int | float] = [repr(float(now)), limit, repr(float(now + lease)), claim]
        texts = _texts(await self._run(lambda: self._claim(keys=keys, args=args)))
        return sorted((Job.from_json(t, claim=claim) for t in texts), key=lambda j: (j.due, j.key))

    async def done(self, job: Job) -> bool:
        if not job.claim:
            return False
        keys = [*self._job_keys(), *([self._user_jobs(job.owner)] if job.owner else [])]
        return bool(await self._run(lambda: self._done(keys=keys, args=[job.key, job.claim])))

    # --- deliveries -------------------------------------------------------------------------

    async def setting(self, key: str) -> str | None:
        found = await self._run(lambda: self._redis.hget(f"{self._p}settings", key))
        return None if found is None else _text(found)

    async def set_setting(self, key: str, value: str) -> None:
        await self._run(lambda: self._redis.hset(f"{self._p}settings", key, value))

    async def first_time(self, key: str, ttl: float = 600) -> bool:
        """True the first time `key` is seen within `ttl` seconds, by any process sharing this Redis."""
        return bool(await self._run(lambda: self._redis.set(f"{self._p}seen:{key}", "1", nx=True, ex=int(ttl))))

    async def every_session(self) -> AsyncIterator[Session]:
        try:
            async for key in self._redis.scan_iter(match=f"{self._p}s:*", count=500):
                text = await self._redis.hget(key, "d")
                if text is not None:
                    yield Session.from_json(_text(text))
        except (RedisError, OSError) as exc:
            if is_outage(exc):
                raise StoreUnavailable(str(exc)) from exc
            raise

    async def ping(self) -> bool:
        return bool(await self._run(lambda: self._redis.ping()))

    async def check(self) -> None:
        try:
            await self._redis.ping()
        except (RedisError, OSError) as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise StoreUnavailable(f"cannot reach Redis at {self._shown} ({reason})") from exc

    async def close(self) -> None:
        await self._redis.aclose()
