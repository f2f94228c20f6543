"""Small builders the tests share: dialogs written inline, and a clock that only moves when told."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from bot.dialogs.loader import load_dialog_text
from bot.dialogs.model import Dialog

SEED = "000_d221b9c26be84fb1.txt"

SMALL = f"""
id: small
title: Small
sources: [{{file: {SEED}, title: Should small businesses outsource their social media?}}]
dimensions:
  - {{id: time, label: Time, why: Hours matter.}}
  - {{id: trust, label: Trust, why: Trust matters.}}
start: hello
nodes:
  - id: hello
    kind: message
    text: Hello.
    next: hours
  - id: hours
    kind: choice
    text: Hours a week?
    short: Hours
    source: {SEED}
    why: A couple of hours a week is all it takes.
    choices:
      - {{id: two, label: Two hours, scores: {{time: 2}}}}
      - {{id: none, label: None, scores: {{time: -2}}}}
      - {{id: unsure, label: Unsure, follow_up: true}}
    next: name
  - id: name
    kind: text
    text: Your shop's name?
    source: {SEED}
    max_length: 20
    save_as: shop
    next: channels
  - id: channels
    kind: multi
    text: Which channels does {{shop}} use?
    source: {SEED}
    min: 1
    max: 2
    choices:
      - {{id: twitter, label: Twitter, scores: {{time: 1}}}}
      - {{id: facebook, label: Facebook, scores: {{time: 1}}}}
      - {{id: blog, label: Blog}}
    next: route
  - id: route
    kind: branch
    routes:
      - when: {{score: time, at_least: 3}}
        next: trust
    otherwise: result
  - id: trust
    kind: scale
    text: Trust an outsider?
    source: {SEED}
    low: Not at all
    high: Fully
    scores: {{trust: 1}}
    next: result
outcomes:
  - id: agency
    title: Agency for {{shop}}
    summary: Try an agency.
    source: {SEED}
    when: {{all: [{{score: trust, at_least: 2}}, {{answer: hours, is: two}}]}}
    reasons:
      - text: You trust an outsider and have two hours.
        when: {{score: trust, at_least: 2}}
        source: {{file: {SEED}, quote: "After all, that’s all it takes."}}
    next_steps: ["Vet the agency {{shop}} picks."]
  - id: in_house
    title: In-house
    summary: Do it yourself.
    source: {SEED}
    when: {{score: time, at_least: 3}}
    reasons:
      - text: You have the time.
        when: {{score: time, at_least: 3}}
        source: {{file: {SEED}, quote: "After all, that’s all it takes."}}
    next_steps: [Block two hours.]
  - id: consultant
    title: Consultant
    summary: A week of consulting.
    source: {SEED}
    fallback: true
    reasons:
      - text: Nothing else fits yet.
        source: {{file: {SEED}, quote: "hire a consultant for a week"}}
    next_steps: [Hire a consultant for a week.]
"""


def small_dialog(text: str = SMALL, name: str = "small.yaml") -> Dialog:
    return load_dialog_text(textwrap.dedent(text), name)


@dataclass
class Clock:
    now: float = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
