"""Text rules both chat platforms share."""

from __future__ import annotations


def clip(text: str, limit: int) -> str:
    """Both platforms reject an over-long field outright (400): cut with an ellipsis instead."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
