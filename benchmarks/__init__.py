"""Whole-system benchmarks: the bot under load through the local server, `analyze` on a big log."""
