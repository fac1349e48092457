"""Build the source a profile describes."""

from __future__ import annotations

from spendtui.config import Profile
from spendtui.errors import ConfigError
from spendtui.sources.db.source import DatabaseSource
from spendtui.sources.db.urls import parse_database_url


def build_source(profile: Profile) -> DatabaseSource:
    """The database when the profile has one (exact and complete), else the proxy."""
    if profile.database_url:
        return DatabaseSource(parse_database_url(profile.database_url))
    raise ConfigError(f"profile {profile.name!r} has no database_url")
