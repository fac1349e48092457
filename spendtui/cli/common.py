"""Shared CLI plumbing: config from flags, and the engine for the active profile."""

from __future__ import annotations

import argparse
import sys

from spendtui.config import Config, Overrides, load_config
from spendtui.engine import SpendEngine
from spendtui.errors import ConfigError


def config_from_args(args: argparse.Namespace) -> Config:
    config = load_config(
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
