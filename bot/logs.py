"""Logging set-up: one format, and tokens redacted from every record (twitchAPI logs the IRC
`PASS oauth:...` line at DEBUG)."""

from __future__ import annotations

import logging
import re
import threading

_SECRET = re.compile(
    r"(?i)(oauth:|oauth |bearer |\"(?:access_token|refresh_token|token|refresh)\":\s*\")[^\s\"']+")


class RedactSecrets(logging.Filter):
    """Replace OAuth tokens in a record's final message with `***`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _SECRET.sub(r"\1***", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def _thread_failed(args: threading.ExceptHookArgs) -> None:
    """twitchAPI's socket thread ends with an exception when Twitch cannot be reached; the bot's
    watchdog reconnects, so that is one line, not a traceback. Other threads keep the default."""
    if args.thread is not None and "__run_socket" in args.thread.name:
        logging.getLogger("twitch_mood.bot").warning("chat socket thread ended: %s",
                                                     args.exc_value or args.exc_type.__name__)
        return
    threading.__excepthook__(args)


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactSecrets())
    threading.excepthook = _thread_failed
    if not verbose:  # twitchAPI's INFO lines repeat ours; keep its warnings
        logging.getLogger("twitchAPI").setLevel(logging.WARNING)
