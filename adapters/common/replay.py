"""Which signed webhook requests were already seen, so that a replayed one does nothing.

A platform's signature (Slack's, say) covers a request's timestamp and body and stays acceptable
for minutes: whoever captures one request can send it again, byte for byte, inside that window.
The HTTP server records each accepted request's key (Slack: timestamp and signature) until it
leaves the window, and drops any second arrival.

Where the record lives:
- with a Redis store, in Redis (`SET NX` with an expiry, through the store's own `first_time`,
  under its key prefix: `<prefix>seen:<platform>:request:<key>`), so every process
  behind one load balancer sees the requests the others took;
- otherwise (SQLite, memory), in this process: a map bounded in size, each entry kept only as
  long as its request could still pass the signature check.

When Redis cannot answer quickly, this process's own map decides: a replay sent to another
process then gets through, as it would have with no Redis at all, but the request is never held
up or refused for it.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import math
import time
from collections.abc import Callable

from bot.stores.base import SessionStore, StoreUnavailable

log = logging.getLogger("outsource_check.http")

MAX_ENTRIES = 100_000  # some 30 MB at most: ~170 requests a second for the whole ten minutes
SHARED_TIMEOUT = 1.0  # Slack waits 3 s for the ack: Redis gets one of them


class SeenRequests:
    def __init__(
        self,
        shared: SessionStore | None = None,
        *,
        platform: str = "slack",
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = SHARED_TIMEOUT,
    ) -> None:
        self._shared = shared
        self._platform = platform
        self._max = max_entries
        self._clock = clock
        self._timeout = timeout
        self._until: dict[str, float] = {}
        self._expiry: list[tuple[float, str]] = []  # a heap: the entry to expire next comes first

    @classmethod
    def for_store(cls, store: SessionStore, **options) -> SeenRequests:
        """Shared through `store` when it is Redis (one Redis, many processes); this process's own otherwise."""
        from bot.stores.redis import RedisStore

        return cls(store if isinstance(store, RedisStore) else None, **options)

    @property
    def shared(self) -> bool:
        return self._shared is not None

    def __len__(self) -> int:
        return len(self._until)

    async def seen_request(self, key: str, ttl: float) -> bool:
        """Whether `key` was seen within its `ttl` (seconds); either way it counts as seen from now on."""
        here = self._seen_here(key, ttl)
        if here or self._shared is None:
            return here
        try:
            async with asyncio.timeout(self._timeout):  # not wait_for: no task of its own for every request
                first = await self._shared.first_time(f"{self._platform}:request:{key}", math.ceil(ttl))
        except (StoreUnavailable, TimeoutError):
            return here
        except Exception as exc:  # any other answer from Redis: this process's word, and one line
            log.warning("could not check the shared record of %s requests: %s: %s", self._platform, type(exc).__name__, exc)
            return here
        return not first

    def _seen_here(self, key: str, ttl: float) -> bool:
        now = self._clock()
        while self._expiry and self._expiry[0][0] <= now:
            until, old = heapq.heappop(self._expiry)
            if self._until.get(old) == until:
                del self._until[old]
        if key in self._until:
            return True
        while len(self._until) >= self._max:  # full of live entries: the one closest to its end goes first
            _, old = heapq.heappop(self._expiry)
            self._until.pop(old, None)
        self._until[key] = now + ttl
        heapq.heappush(self._expiry, (now + ttl, key))
        return False
