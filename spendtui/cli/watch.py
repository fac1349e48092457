"""``spendtui watch``: ``check --notify`` as a long-running service (see budgets/watch.py)."""

from __future__ import annotations

import argparse
import hashlib
import signal
import sys
import threading
from types import FrameType

from spendtui.cli.flags import Parser, add_source_flags, command
from spendtui.errors import UsageError

MIN_INTERVAL = 0.2

EPILOG = """\
Every --interval seconds: poll the rows written since the last pass (the first pass loads
the days the budgets need), re-read LiteLLM's budgets, evaluate every budget and plan,
evaluate the spend rules (rules:, slack_alerts:), send new alerts to the channels in the
config file (webhook and email, smtp:), and print one line per event on stdout:

  started, firing (a budget crossed a threshold: once per budget, threshold and window;
  a rule fired: once per rule, scope and period), resolved (a rule back under in its
  period), delivery-failed (retried next pass), note, source-down, source-up, stopped

Alerts sent and lines logged are kept in the same state file as `check --notify`
(~/.local/state/spendtui/alerts.json), so a restart sends and logs nothing twice.
The source going away is logged, not fatal. SIGTERM or SIGINT: a clean exit (0).

A systemd unit (README, "Alerts"):
  [Service]
  ExecStart=/usr/local/bin/spendtui watch --config /etc/spendtui/config.yaml --log-format json
  Restart=on-failure
"""


def add_parser(sub: argparse._SubParsersAction[Parser]) -> None:
    p = sub.add_parser(
        "watch",
        help="evaluate budgets every --interval seconds and send alerts; one log line per event",
        description="Run `check --notify` continuously: incremental polls, alerts once per window, a log "
        "line per event, a clean exit on SIGTERM/SIGINT.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--interval", type=float, default=60.0, metavar="SECONDS", help="seconds between passes (default 60)"
    )
    p.add_argument(
        "--log-format", choices=("text", "json"), default="text", help="event lines as text or JSON (default text)"
    )
    add_source_flags(p)
    command(p, run)


def run(args: argparse.Namespace) -> int:
    import httpx

    from spendtui.budgets.board import profile_zone
    from spendtui.budgets.config import budget_settings
    from spendtui.budgets.ledger import AlertLedger
    from spendtui.budgets.notify import TIMEOUT
    from spendtui.budgets.rules_config import rule_settings
    from spendtui.budgets.watch import Event, Watcher
    from spendtui.cli.common import config_from_args, engine_for

    if not args.interval >= MIN_INTERVAL:
        raise UsageError(f"--interval {args.interval:g}: give at least {MIN_INTERVAL:g} seconds")
    config = config_from_args(args)
    settings = budget_settings(config)
    rules = rule_settings(config)
    tz = profile_zone(config.active.name, config.active.timezone)
    ledger = AlertLedger().load()
    json_lines = args.log_format == "json"

    def emit(event: Event) -> None:
        print(event.json() if json_lines else event.text(), flush=True)

    if ledger.problem:
        print(f"spendtui: warning: {ledger.problem}", file=sys.stderr, flush=True)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
            engine = engine_for(config)  # (checks the profile now; connects on the first pass)
            display = engine.source.display
            watcher = Watcher(
                lambda: engine if watcher.passes <= 1 else engine_for(config),
                settings,
                ledger,
                client,
                rules=rules,
                scope=hashlib.sha256(f"{config.active.name}|{display}".encode()).hexdigest()[:16],
                source_label=config.active.name,
                display=display,
                tz=tz,
                emit=emit,
            )
            watcher.run(args.interval, stop)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0
