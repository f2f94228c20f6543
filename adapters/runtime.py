"""Process settings for the long-running bots, applied once start-up is over.

Everything a bot builds while starting (imported modules, the loaded dialogs, the platform
client) lives until the process ends, yet Python's cyclic garbage collector would keep walking
all of it on every full collection: profiles of a busy bot showed those passes as the longest
pauses, the tail of its latency. Freezing what exists after start-up takes it out of the
collector's sight, and a larger first generation runs the collector less often on the many
short-lived objects a turn makes (JSON payloads, Block Kit, embeds). Reference cycles are still
collected; only the start-up objects are exempt, and they are never garbage.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000  # objects allocated between first-generation passes (Python's default: 700)


def settle_after_start_up() -> None:
    """Call once, when the bot is about to serve: its start-up objects are frozen out of GC passes."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
