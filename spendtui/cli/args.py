"""Command-line grammar (argparse): global source flags, then subcommands."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from spendtui import __version__


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error message and exit code 2."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message} (see --help)", file=sys.stderr)
        raise SystemExit(2)


def add_source_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("source (flag > environment > config profile)")
    group.add_argument(
        "--config", metavar="PATH", help="config file (default: $SPENDTUI_CONFIG or the platform config dir)"
    )
    group.add_argument("--profile", metavar="NAME", help="profile from the config file")
    group.add_argument(
        "--db",
        metavar="URL",
        dest="database_url",
        help="database URL: postgresql://… (LiteLLM's) or sqlite:///path (env DATABASE_URL)",
    )
    group.add_argument(
        "--proxy",
        metavar="URL",
        dest="proxy_url",
        help="LiteLLM proxy URL, read through its REST API (env LITELLM_PROXY_URL); --db wins if both",
    )
    group.add_argument(
        "--key",
        metavar="KEY",
        dest="api_key",
        help="the proxy's admin key (prefer env LITELLM_PROXY_API_KEY or LITELLM_MASTER_KEY: "
        "a flag is visible to other users in the process list)",
    )
    group.add_argument(
        "--history",
        choices=("logs", "daily"),
        help="database source: where closed days come from; logs (default, exact for every question) or daily "
        "(LiteLLM's daily tables on PostgreSQL: fast at scale, refuses questions they do not cross)",
    )
    group.add_argument("--insecure", action="store_true", help="do not verify the proxy's TLS certificate")


def build_parser() -> argparse.ArgumentParser:
    from spendtui.cli import check, demo, keys, report, tui

    parser = _Parser(
        prog="spendtui",
        description="Live LiteLLM spend in the terminal. Without a subcommand, opens the dashboard.",
    )
    parser.add_argument("--version", action="version", version=f"spendtui {__version__}")
    tui.add_arguments(parser)
    parser.set_defaults(handler=tui.run)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    report.add_parser(sub)
    keys.add_parser(sub)
    demo.add_parser(sub)
    check.add_parser(sub)
    return parser
