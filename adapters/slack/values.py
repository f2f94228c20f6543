"""Slack sends a button's payload (adapters/common/buttons.py) as its `value`: the same grammar and
forgery checks as Discord's custom_ids, under the names this adapter's code reads."""

from __future__ import annotations

from adapters.common.buttons import Forged as ForgedValue
from adapters.common.buttons import Payload as ButtonValue
from adapters.common.buttons import decode

__all__ = ["ButtonValue", "ForgedValue", "decode"]
