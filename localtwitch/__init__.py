"""A local Twitch-compatible server (IRC over WebSocket, OAuth and Helix) and the demo that runs the
real bot against it. Used by `twitch-mood demo`, the end-to-end tests and the load benchmark;
never by the bot in a live channel."""
