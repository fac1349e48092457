"""Declaring flags: the helpers every command module uses to build its parser.

Every flag that appears both on the main parser and on a subcommand is declared with
``default=SUPPRESS`` on both (``flag``), so a subcommand that was not given a flag never
overwrites the value given before it (argparse copies a sub-parser's defaults over the
main parser's values otherwise). The defaults are kept in ``DEFAULTS`` and filled in by
``args.parse_args`` after parsing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any, NoReturn

#: dest -> default, for every flag declared with ``default=SUPPRESS`` (filled in after parsing).
DEFAULTS: dict[str, Any] = {}


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error message and exit code 2."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message} (see --help)", file=sys.stderr)
        raise SystemExit(2)


def flag(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup, *names: str, default: Any = None, **kw: Any
) -> None:
    """An option whose absence leaves the namespace alone (``default`` is applied after parsing)."""
    action = parser.add_argument(*names, default=argparse.SUPPRESS, **kw)
    previous = DEFAULTS.setdefault(action.dest, default)
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
        help="the proxy key: an admin key reads the whole proxy, any other key its own view "
        "(prefer env LITELLM_PROXY_API_KEY or LITELLM_MASTER_KEY: a flag is visible to other "
        "users in the process list)",
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


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``, else a message saying so."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"{number} is not between {low} and {high}")
        return number

    return parse
