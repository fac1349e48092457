"""Command-line grammar (argparse): global source flags, then subcommands.

The command modules declare their flags with the helpers in ``flags.py``: every flag that
appears both on the main parser and on a subcommand has ``default=SUPPRESS`` on both, so
a subcommand that was not given a flag never overwrites the value given before it.
``parse_args`` then:

* refuses a flag given before a subcommand that the subcommand does not take
  (``spendtui --demo report spend``), naming the flag: nothing is silently ignored;
* fills in the defaults of the flags that were not given.

Given both before and after the subcommand, the one after wins (as when a flag is
repeated: the last one counts). A command's own flag given before it (``spendtui
--format csv report models``) is moved after it (``hoist_command_flags``): honoured, not
mistaken for the command; an unknown flag there is refused by name.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from spendtui import __version__
from spendtui.cli import audit, check, demo, keys, me, metrics, report, tui, watch
from spendtui.cli.flags import DEFAULTS, Parser

PLACEMENT = """\
Source flags (--config, --profile, --db, --proxy, --key, --history, --insecure) may come
before or after a command; given both, the one after the command wins. A command's own
flags (report --format, --start, …) may come before it too. Dashboard flags
(--demo, --demo-db, --demo-rate, --refresh, --window, --no-mouse) only apply without a
command, and --allow-db-writes to the dashboard and `keys create|update|block|unblock|delete`:
elsewhere they are refused (exit 2), never ignored.

examples:
  spendtui --demo                                  the dashboard on live demo data
  spendtui --db postgresql://…/litellm             the dashboard on LiteLLM's database
  spendtui --proxy https://litellm.example.com     the proxy (admin key: everything; any
                                                   other key: that key's own view)
  spendtui report models --start 2026-11-01 --format csv
  spendtui report focus --start 2026-11-01 --end 2026-11-30 --output nov-focus.csv
  spendtui check --notify                          budgets and rules once, for cron
  spendtui watch --log-format json                 the same as a service
  spendtui audit --by team                         logged costs against the price map
  spendtui me --format line                        $3.21 / $10.00 (32 %), resets in 4 d
  spendtui metrics --listen 127.0.0.1:9464         Prometheus /metrics
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
    audit.add_parser(sub)
    watch.add_parser(sub)
    me.add_parser(sub)
    metrics.add_parser(sub)
    return parser


def _option(action: argparse.Action) -> str:
    return next((s for s in action.option_strings if s.startswith("--")), action.option_strings[0])


def _applies_to(dest: str) -> str:
    if dest == "allow_db_writes":
        return "the dashboard and keys create|update|block|unblock|delete"
    if dest in ("demo", "demo_db", "demo_rate", "refresh", "window", "no_mouse"):
        return "the dashboard (spendtui without a command)"
    return "the dashboard, report, check, watch, audit, keys and me"


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
                option = _option(action)
                if option in command_parser._option_string_actions:  # (metrics --window: its own flag)
                    command_parser.error(
                        f"{option} before the command is the dashboard's; give `{command_parser.prog}` its own "
                        f"after it: `{command_parser.prog} {option} …`"
                    )
                command_parser.error(
                    f"{_option(action)} only applies to {_applies_to(action.dest)}, not to `{command_parser.prog}`"
                )


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """A parser's subcommands by name (none when it has none)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _takes_value(action: argparse.Action) -> bool:
    return action.nargs != 0


def hoist_command_flags(parser: argparse.ArgumentParser, argv: Sequence[str]) -> list[str]:
    """``argv`` with the command's own flags that were given before the command moved
    right after it (after ``keys ACTION`` for a keys action's flags), so that argparse
    honours them; the main parser's flags stay where they are. An option before the
    command that neither takes is refused by name (argparse would otherwise take its
    value for the command: "invalid choice: 'csv'")."""
    argv = list(argv)
    commands = _commands(parser)
    own = parser._option_string_actions
    at, i = None, 0
    while i < len(argv):
        token = argv[i]
        if token == "--":
            return argv
        if token.startswith("-"):
            action = own.get(token.split("=", 1)[0])
            if action is not None and "=" not in token and _takes_value(action):
                i += 1  # its value, never a command
        elif token in commands:
            at = i
            break
        i += 1
    if at is None:
        _refuse_command_flags(parser, argv, commands)
        return argv
    command = commands[argv[at]]
    end = at + 1
    actions = _commands(command)
    if end < len(argv) and argv[end] in actions:  # `keys list`: flags go after the action
        command, end = actions[argv[end]], end + 1
    before, moved, i = [], [], 0
    while i < at:
        token = argv[i]
        name = token.split("=", 1)[0]
        if token.startswith("-") and name not in own:
            action = command._option_string_actions.get(name)
            if action is None:
                command.error(f"unrecognized argument {name} (before the command `{command.prog}`)")
            moved.append(token)
            if "=" not in token and _takes_value(action) and i + 1 < at:
                moved.append(argv[i + 1])
                i += 1
        else:
            before.append(token)
        i += 1
    return [*before, *argv[at:end], *moved, *argv[end:]]


def _refuse_command_flags(
    parser: argparse.ArgumentParser, argv: list[str], commands: dict[str, argparse.ArgumentParser]
) -> None:
    """Without a command, a command's flag (``spendtui --format csv``) is refused with the
    commands that take it, rather than its value being taken for a command."""
    own = parser._option_string_actions
    for token in argv:
        name = token.split("=", 1)[0]
        if token == "--":
            return
        if not token.startswith("-") or name in own:
            continue
        takers = []
        for command_name, command in commands.items():
            actions = _commands(command)
            for sub_name, sub in actions.items() or {"": command}.items():
                if name in sub._option_string_actions:
                    takers.append(f"`{command_name}{' ' + sub_name if sub_name else ''}`")
        if takers:
            parser.error(f"{name} is not a dashboard flag: it belongs to {', '.join(takers)}, after the command")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse, check where flags were given, and fill in the defaults of those that were not."""
    parser = build_parser()
    args = parser.parse_args(hoist_command_flags(parser, argv))
    check_placement(parser, args)
    for dest, default in DEFAULTS.items():
        if not hasattr(args, dest):
            setattr(args, dest, default)
    return args
