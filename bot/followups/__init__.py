"""Follow-ups the bot posts later (a reminder before a round's deadline, a nudge about a half-done
check, a decision's review): jobs kept in the store, so they survive restarts, and a runner that
hands each due job to exactly one process (`jobs.py`, `runner.py`)."""
