"""One user's conversation: events in, replies out. The pure engine, the result card, sessions,
and the service that is the port every adapter calls (`handle(event) -> replies`)."""
