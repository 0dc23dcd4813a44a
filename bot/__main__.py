"""`python -m bot` is the same as the `twitch-mood` command."""

from bot.cli import main

raise SystemExit(main())
