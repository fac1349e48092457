"""The dashboard command (the default when no subcommand is given)."""

from __future__ import annotations

import argparse

from spendtui.cli.args import add_source_flags
from spendtui.cli.common import NOTHING_CONFIGURED, config_from_args
from spendtui.errors import ConfigError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_source_flags(parser)


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    if not config.active.configured:
        raise ConfigError(NOTHING_CONFIGURED)
    raise ConfigError("the dashboard is not part of this build yet; use `spendtui report`")
