"""Team rounds: a round's state, the comparison of its members' results, and the round service."""
