"""Shared CLI plumbing: config from flags, and the engine for the active profile."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from dataclasses import replace

from spendtui.budgets.config import budget_settings
from spendtui.config import Config, Overrides, load_config
from spendtui.engine import SpendEngine
from spendtui.errors import ConfigError


def load_checked_config(overrides: Overrides, env: Mapping[str, str] | None = None) -> Config:
    """``load_config``, then its budget plans, thresholds, alert targets and spend rules
    checked strictly (a ConfigError naming the file and the key), their warnings joined to
    the config's: every command refuses a broken ``budgets:`` or ``rules:`` section before
    it starts."""
    from spendtui.budgets.rules_config import rule_settings

    config = load_config(overrides, env)
    settings = budget_settings(config, env)
    warnings = settings.warnings
    rules = rule_settings(config, env)
    if rules.emails and settings.smtp is None:
        warnings += (
            f"{config.path or 'config'}: rules: no email is sent without an SMTP server: "
            "add an smtp: block (host, from) to the config",
        )
    return replace(config, warnings=config.warnings + warnings) if warnings else config


def config_from_args(args: argparse.Namespace) -> Config:
    config = load_checked_config(
        Overrides(
            config_path=getattr(args, "config", None),
            profile=getattr(args, "profile", None),
            database_url=getattr(args, "database_url", None),
            proxy_url=getattr(args, "proxy_url", None),
            api_key=getattr(args, "api_key", None),
            insecure=bool(getattr(args, "insecure", False)),
            allow_db_writes=bool(getattr(args, "allow_db_writes", False)),
            refresh_interval=getattr(args, "refresh", None),
            history=getattr(args, "history", None),
        )
    )
    for warning in config.warnings:
        print(f"spendtui: warning: {warning}", file=sys.stderr)
    return config


NOTHING_CONFIGURED = (
    "no source configured. Point spendtui at LiteLLM's database with --db postgresql://… "
    "(or DATABASE_URL), or add a profile to the config file; try `spendtui --demo` for a demo"
)


def engine_for(config: Config) -> SpendEngine:
    """The engine reading the active profile's source, with the cube cache (a start
    reads only rows written since the last one; see spendtui/cache.py)."""
    from spendtui.cache import CubeCache
    from spendtui.sources.factory import build_source

    profile = config.active
    if not profile.configured:
        raise ConfigError(NOTHING_CONFIGURED)
    return SpendEngine(build_source(profile), cache=CubeCache())


def price_file(args: argparse.Namespace, config: Config) -> str | None:
    """The price file of ``--prices``, else of the profile's ``prices:``; checked now, so
    a bad one stops the command (exit 2) before anything is read, naming where it was set."""
    from spendtui.core.price_files import read_price_file

    if args.prices:
        read_price_file(args.prices)
        return str(args.prices)
    path = config.active.prices
    if path:
        try:
            read_price_file(path)
        except ConfigError as exc:
            where = f"{config.path}: profiles.{config.active.name}.prices" if config.path else "prices"
            raise ConfigError(f"{where}: {exc}") from None
    return path
