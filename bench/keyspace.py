"""Each run's own keys on a shared Redis: a unique prefix, and a tidy-up of those keys only.

Benchmark and test runs share one Redis server (two test runs side by side, a test run beside
`python -m bench`), so none may flush a database or reuse another run's keys. Every store a run
opens gets a prefix of its own (`oc-bench-crowd-3f9a...:`), and afterwards the keys under that
prefix, and nothing else, are deleted (SCAN by the prefix, then UNLINK).

`python -m bench.keyspace PREFIX ARGS...` runs `outsource-check ARGS...` with its Redis store's
keys under PREFIX instead of `oc:` (the `OUTSOURCE_CHECK_REDIS_PREFIX` setting): how a benchmark or
a test starts real bot processes on keys of its own. Nothing else about the process changes.

A run killed outright (SIGKILL) leaves its keys behind; find them with
`redis-cli -n DB --scan --pattern 'oc-bench-*'` (tests: `'oc-test-*'`).
"""

from __future__ import annotations

import os
import re
import sys
import uuid

from bot.stores.redis import RedisStore


def run_prefix(what: str, kind: str = "bench") -> str:
    """A key prefix no other run uses: `oc-{kind}-{what}-{12 random hex digits}:`."""
    return f"oc-{kind}-{what}-{uuid.uuid4().hex[:12]}:"


def _glob_escape(text: str) -> str:
    """`text` matched literally by a Redis glob (SCAN MATCH): escape `*`, `?`, `[`, `]` and `\\`."""
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


async def drop_keys(redis, prefix: str, batch: int = 1000) -> int:
    """Delete every key that starts with `prefix`, in batches, and return how many: never anything else."""
    if not prefix:
        raise ValueError("refusing to delete keys without a prefix")
    dropped, keys = 0, []
    async for key in redis.scan_iter(match=_glob_escape(prefix) + "*", count=batch):
        keys.append(key)
        if len(keys) >= batch:
            dropped += await redis.unlink(*keys)
            keys = []
    if keys:
        dropped += await redis.unlink(*keys)
    return dropped


def open_store(url: str, what: str, **options) -> RedisStore:
    """A RedisStore at `url` under a fresh prefix of its own (`store._p`)."""
    return RedisStore(url, prefix=run_prefix(what), **options)


async def close_store(store: RedisStore) -> int:
    """Delete the keys under the store's prefix, close it, and return how many keys there were."""
    try:
        return await drop_keys(store._redis, store._p)
    finally:
        await store.close()


def cli_args(prefix: str, *args: str) -> list[str]:
    """Interpreter arguments for `outsource-check ARGS...` on keys under `prefix` (see the module doc)."""
    return ["-m", "bench.keyspace", prefix, *args]


def main(argv: list[str]) -> int:
    if not argv or not argv[0] or argv[0].startswith("-"):
        print("usage: python -m bench.keyspace PREFIX OUTSOURCE-CHECK-ARGS...", file=sys.stderr)
        return 2
    prefix, rest = argv[0], argv[1:]
    os.environ["OUTSOURCE_CHECK_REDIS_PREFIX"] = prefix  # the setting every RedisStore of the process reads
    from adapters.cli import main as cli

    return cli(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
