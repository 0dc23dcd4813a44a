"""The twitch-mood application: CLI, configuration, chat wiring, mood statistics and storage."""
