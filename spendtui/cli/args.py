"""Command-line grammar (argparse): global source flags, then subcommands.

Every flag that appears both on the main parser and on a subcommand is declared with
``default=SUPPRESS`` on both, so a subcommand that was not given a flag never overwrites
the value given before it (argparse copies a sub-parser's defaults over the main
parser's values otherwise). ``parse_args`` then:

* refuses a flag given before a subcommand that the subcommand does not take
  (``spendtui --demo report spend``), naming the flag: nothing is silently ignored;
* fills in the defaults of the flags that were not given.

Given both before and after the subcommand, the one after wins (as when a flag is
repeated: the last one counts).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from spendtui import __version__

#: dest -> default, for every flag declared with ``default=SUPPRESS`` (filled in after parsing).
_DEFAULTS: dict[str, Any] = {}

PLACEMENT = """\
Source flags (--config, --profile, --db, --proxy, --key, --history, --insecure) may come
before or after a command; given both, the one after the command wins. Dashboard flags
(--demo, --demo-db, --demo-rate, --refresh, --window, --no-mouse) only apply without a
command, and --allow-db-writes to the dashboard and `keys create|update|block|unblock|delete`:
elsewhere they are refused (exit 2), never ignored.
"""


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error message and exit code 2."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message} (see --help)", file=sys.stderr)
        raise SystemExit(2)


def flag(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup, *names: str, default: Any = None, **kw: Any
) -> None:
    """An option whose absence leaves the namespace alone (``default`` is applied after parsing)."""
    action = parser.add_argument(*names, default=argparse.SUPPRESS, **kw)
    previous = _DEFAULTS.setdefault(action.dest, default)
    if previous != default:
        raise ValueError(f"{names[0]}: two defaults for {action.dest}")  # a programming error


def add_source_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("source (flag > environment > config profile)")
    flag(group, "--config", metavar="PATH", help="config file (default: $SPENDTUI_CONFIG or the platform config dir)")
    flag(group, "--profile", metavar="NAME", help="profile from the config file")
    flag(
        group,
        "--db",
        metavar="URL",
        dest="database_url",
        help="database URL: postgresql://… (LiteLLM's) or sqlite:///path (env DATABASE_URL)",
    )
    flag(
        group,
        "--proxy",
        metavar="URL",
        dest="proxy_url",
        help="LiteLLM proxy URL, read through its REST API (env LITELLM_PROXY_URL); --db wins if both",
    )
    flag(
        group,
        "--key",
        metavar="KEY",
        dest="api_key",
        help="the proxy's admin key (prefer env LITELLM_PROXY_API_KEY or LITELLM_MASTER_KEY: "
        "a flag is visible to other users in the process list)",
    )
    flag(
        group,
        "--history",
        choices=("logs", "daily"),
        help="database source: where closed days come from; logs (default, exact for every question) or daily "
        "(LiteLLM's daily tables on PostgreSQL: fast at scale, refuses questions they do not cross)",
    )
    flag(group, "--insecure", action="store_true", default=False, help="do not verify the proxy's TLS certificate")


def add_allow_db_writes(parser: argparse.ArgumentParser | argparse._ArgumentGroup, text: str) -> None:
    flag(parser, "--allow-db-writes", action="store_true", default=False, help=text)


def command(parser: argparse.ArgumentParser, handler: Any) -> None:
    """Mark ``parser`` as a command: its handler, and the parser that checks flags given before it."""
    parser.set_defaults(handler=handler, command_parser=parser)


def build_parser() -> argparse.ArgumentParser:
    from spendtui.cli import check, demo, keys, report, tui

    parser = _Parser(
        prog="spendtui",
        description="Live LiteLLM spend in the terminal. Without a subcommand, opens the dashboard.",
        epilog=PLACEMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"spendtui {__version__}")
    tui.add_arguments(parser)
    parser.set_defaults(handler=tui.run, command_parser=None)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
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
    for dest, default in _DEFAULTS.items():
        if not hasattr(args, dest):
            setattr(args, dest, default)
    return args
