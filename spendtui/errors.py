"""spendtui's own errors. Each carries a message meant for the user, never a traceback.

SpendtuiError                 base; ``exit_code`` says what the CLI returns
├── ConfigError               bad config file, flag or environment value (exit 2)
├── UsageError                bad command-line arguments (exit 2)
└── SourceError               the source could not be read (exit 3)
    ├── SourceUnavailable     unreachable, refused, timed out, locked: may pass
    ├── SourceAuthError       wrong or insufficient key (401/403): retrying won't help
    └── SourceDataError       reachable but the answer or schema is not usable
"""

from __future__ import annotations


class SpendtuiError(Exception):
    """Base class; ``str(error)`` is the one-line message for the user."""

    exit_code = 1


class ConfigError(SpendtuiError):
    exit_code = 2


class UsageError(SpendtuiError):
    exit_code = 2


class SourceError(SpendtuiError):
    exit_code = 3
    #: Whether waiting and trying again may help.
    transient = True


class SourceUnavailable(SourceError):
    pass


class SourceAuthError(SourceError):
    transient = False


class NotAdminKey(SourceAuthError):
    """A proxy key that LiteLLM scopes to its own spend: the dashboard shows that key's
    own view ("My key") instead of the proxy's."""


class SourceDataError(SourceError):
    transient = False


class WriteRefused(SpendtuiError):
    """A write spendtui will not do (e.g. database writes without the opt-in)."""

    exit_code = 2
