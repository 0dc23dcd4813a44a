"""What `twitch-mood run` serves on the web (aiohttp): the dashboard, OBS overlays with live
updates, the JSON API both read, and Prometheus metrics. All of it reads the running bot's
MoodTracker and Store; nothing is computed twice, and no browser can slow chat scoring."""
