"""A message's address as the core keeps it: "channel:message", channel first.

The core stores surfaces without reading them (bot/conversation/routes.py); each adapter writes
and reads its own ids through this one class. "C123:" names a channel where nothing is posted yet.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    channel: str
    message: str = ""

    @property
    def surface(self) -> str:
        return f"{self.channel}:{self.message}"

    @classmethod
    def parse(cls, surface: str) -> Place | None:
        """The message a surface names, or None when it names none (empty, or only a channel)."""
        channel, _, message = surface.partition(":")
        return cls(channel, message) if channel and message else None

    @classmethod
    def channel_of(cls, surface: str) -> Place | None:
        """The channel a surface is in, with or without a message."""
        channel = surface.partition(":")[0]
        return cls(channel) if channel else None

