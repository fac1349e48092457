"""Command-line grammar (argparse): global source flags, then subcommands.

The command modules declare their flags with the helpers in ``flags.py``: every flag that
appears both on the main parser and on a subcommand has ``default=SUPPRESS`` on both, so
a subcommand that was not given a flag never overwrites the value given before it.
``parse_args`` then:

* refuses a flag given before a subcommand that the subcommand does not take
  (``spendtui --demo report spend``), naming the flag: nothing is silently ignored;
* fills in the defaults of the flags that were not given.

Given both before and after the subcommand, the one after wins (as when a flag is
repeated: the last one counts).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from spendtui import __version__
from spendtui.cli import check, demo, keys, report, tui
from spendtui.cli.flags import DEFAULTS, Parser

PLACEMENT = """\
Source flags (--config, --profile, --db, --proxy, --key, --history, --insecure) may come
before or after a command; given both, the one after the command wins. Dashboard flags
(--demo, --demo-db, --demo-rate, --refresh, --window, --no-mouse) only apply without a
command, and --allow-db-writes to the dashboard and `keys create|update|block|unblock|delete`:
elsewhere they are refused (exit 2), never ignored.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="spendtui",
        description="Live LiteLLM spend in the terminal. Without a subcommand, opens the dashboard.",
        epilog=PLACEMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"spendtui {__version__}")
    tui.add_arguments(parser)
    parser.set_defaults(handler=tui.run, command_parser=None)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=Parser)
    report.add_parser(sub)
    keys.add_parser(sub)
    demo.add_parser(sub)
    check.add_parser(sub)
    return parser


def _option(action: argparse.Action) -> str:
    return next((s for s in action.option_strings if s.startswith("--")), action.option_strings[0])


def _applies_to(dest: str) -> str:
    if dest == "allow_db_writes":
        return "the dashboard and keys create|update|block|unblock|delete"
    if dest in ("demo", "demo_db", "demo_rate", "refresh", "window", "no_mouse"):
        return "the dashboard (spendtui without a command)"
    return "the dashboard, report, check and keys"


def check_placement(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse a flag given before a command that does not take it (``spendtui --demo report``)."""
    command_parser: argparse.ArgumentParser | None = getattr(args, "command_parser", None)
    if command_parser is None:
        return
    accepted = {a.dest for a in command_parser._actions}
    group: argparse.ArgumentParser | None = getattr(args, "command_group", None)  # `keys` before its action
    for level in (parser, group):
        for action in level._actions if level is not None else ():
            if action.option_strings and action.dest in vars(args) and action.dest not in accepted:
                command_parser.error(
                    f"{_option(action)} only applies to {_applies_to(action.dest)}, not to `{command_parser.prog}`"
                )


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse, check where flags were given, and fill in the defaults of those that were not."""
    parser = build_parser()
    args = parser.parse_args(list(argv))
    check_placement(parser, args)
    for dest, default in DEFAULTS.items():
        if not hasattr(args, dest):
            setattr(args, dest, default)
    return args
