"""Benchmark 2: a Discord component click through our adapter vs a bare discord.py handler.

Not measured yet: see `run` (the Discord adapter was being written while these benchmarks were).
"""

from __future__ import annotations

from bench.common import Row, Scale, Section

TITLE = "2. Discord turn vs a bare discord.py handler"


async def run(scale: Scale) -> Section:
    """A clearly stated placeholder row until the adapter has landed on main."""
    section = Section("discord", TITLE)
    reason = ("not measured yet: the Discord adapter has not landed (adapters/discord/ was still being written, "
              "uncommitted, when this benchmark was built)")
    section.add(
        Row("throughput, full turns/s", None, None, "turns/s", "bare discord.py handler", ">= 0.70x bare", None, note=reason),
        Row("p99 latency, interaction -> response", None, None, "ms", "bare discord.py handler", "<= 1.5x bare", None, note=reason),
    )
    section.method = (
        "Planned: discord.py's own `parse_interaction_create` after `client.login` against a local fake REST API (Route.BASE "
        "pointed at 127.0.0.1), driving a component interaction through our adapter and through a bare discord.py "
        "DynamicItem that only responds, both against the same fake."
    )
    return section
