"""The ``spendtui`` command: the dashboard by default, plus headless subcommands.

Exit codes: 0 success, 2 bad arguments or configuration, 3 source unreachable or
unreadable (``spendtui check`` adds its own, and ``spendtui report`` 1 for a user or tag
category the data does not know; see their help).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from spendtui.errors import SpendtuiError


def main(argv: Sequence[str] | None = None) -> int:
    """Run spendtui; returns the process exit code."""
    from spendtui.cli.args import parse_args

    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        return int(args.handler(args) or 0)
    except SpendtuiError as exc:
        print(f"spendtui: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("spendtui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
