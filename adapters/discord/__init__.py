"""The Discord adapter: Discord events in, core calls, embeds and components out."""
