"""Configuration: a YAML file of named profiles, the environment, and command-line flags.

Where the file is: ``--config PATH``, else ``$SPENDTUI_CONFIG``, else the platform config
directory (``~/.config/spendtui/config.yaml`` on Linux). It is read with
``yaml.safe_load`` and checked strictly: an unknown key or a wrong type is an error that
names the file, the key and the problem.

Precedence for each setting: command-line flag > environment (``DATABASE_URL``,
``LITELLM_PROXY_URL``, ``LITELLM_PROXY_API_KEY``, then ``LITELLM_MASTER_KEY``) > the
selected profile in the file > defaults. A value written ``os.environ/NAME`` (LiteLLM's
convention) is read from the environment, so secrets need not sit in the file.

``history`` (database profiles): ``logs`` (default) reads every day from
``LiteLLM_SpendLogs``, exact for every question; ``daily`` reads closed days from
LiteLLM's daily aggregate tables on PostgreSQL (fast at scale; questions those tables do
not cross are refused), and only the live days from the logs.

Example::

    default_profile: prod
    refresh_interval: 2
    profiles:
      prod:
        proxy_url: https://litellm.example.com
        api_key: os.environ/LITELLM_MASTER_KEY
        database_url: os.environ/DATABASE_URL
      demo:
        database_url: sqlite:///~/spend-demo.db
"""

from __future__ import annotations

import difflib
import math
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from spendtui.errors import ConfigError

ENV_PREFIX = "os.environ/"
MIN_REFRESH = 1.0
MAX_REFRESH = 3600.0
DEFAULT_REFRESH = 2.0

_PROFILE_KEYS: dict[str, tuple[type, ...]] = {
    "database_url": (str,),
    "proxy_url": (str,),
    "api_key": (str,),
    "timezone": (str,),
    "verify_tls": (bool,),
    "ca_bundle": (str,),
    "allow_db_writes": (bool,),
    "timeout": (int, float),
    "description": (str,),
    "history": (str,),
    "prices": (str,),
}
_TOP_KEYS: dict[str, tuple[type, ...]] = {
    "default_profile": (str,),
    "profiles": (dict,),
    "refresh_interval": (int, float),
    "theme": (str,),
    "mouse": (bool,),
    "budgets": (list,),
    "budget_alerts": (list,),
    "alert_thresholds": (list,),
    "smtp": (dict,),
    "rules": (list,),
    "slack_alerts": (dict,),
    "litellm_settings": (dict,),
}
#: What spendtui reads of a pasted LiteLLM ``litellm_settings:`` block; the rest is LiteLLM's
#: own business (ignored, with a warning: spendtui.budgets.config.budget_settings).
LITELLM_SETTINGS_READ = ("budget_alerts", "slack_alerts")


@dataclass(frozen=True)
class Profile:
    """Where one proxy's spend lives, and how to reach it."""

    name: str
    #: May hold a password: kept out of repr (tracebacks, debug output).
    database_url: str | None = field(default=None, repr=False)
    proxy_url: str | None = None
    #: The admin key: never in repr.
    api_key: str | None = field(default=None, repr=False)
    timezone: str = "UTC"
    verify_tls: bool = True
    ca_bundle: str | None = None
    allow_db_writes: bool = False
    timeout: float = 10.0
    description: str | None = None
    #: Where closed days come from (database profiles): "logs" or "daily".
    history: str = "logs"
    #: A price file in LiteLLM's format for ``spendtui audit`` (relative: to the config file).
    prices: str | None = None

    @property
    def configured(self) -> bool:
        return bool(self.database_url or self.proxy_url)


@dataclass(frozen=True)
class Config:
    """The whole configuration after file, environment and flags are merged."""

    path: Path | None
    profiles: dict[str, Profile]
    active: Profile
    refresh_interval: float = DEFAULT_REFRESH
    theme: str | None = None
    mouse: bool = True
    #: Raw budget plans and alert settings, validated by spendtui.budgets.config (every
    #: command checks them when it loads the config: spendtui.cli.common).
    budgets: list[Any] = field(default_factory=list)
    budget_alerts: list[Any] = field(default_factory=list)
    alert_thresholds: list[Any] = field(default_factory=list)
    #: The raw ``smtp:`` block for email alerts (spendtui.budgets.smtp_config validates it).
    smtp: dict[str, Any] | None = None
    #: Raw spend rules (validated by spendtui.budgets.rules_config) and LiteLLM's block as
    #: pasted (only LITELLM_SETTINGS_READ is read).
    rules: list[Any] = field(default_factory=list)
    slack_alerts: dict[str, Any] | None = None
    litellm_settings: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def with_profile(self, name: str, env: Mapping[str, str] | None = None) -> Config:
        """The same config with another profile active (runtime context switch)."""
        if name not in self.profiles:
            raise ConfigError(f"no profile named {name!r} (profiles: {', '.join(sorted(self.profiles)) or 'none'})")
        active = _apply_env(self.profiles[name], env if env is not None else os.environ)
        return replace(self, active=active)


@dataclass(frozen=True)
class Overrides:
    """Values given on the command line; None means 'not given'."""

    config_path: str | None = None
    profile: str | None = None
    database_url: str | None = None
    proxy_url: str | None = None
    api_key: str | None = None
    insecure: bool = False
    allow_db_writes: bool = False
    refresh_interval: float | None = None
    history: str | None = None


HISTORY_MODES = ("logs", "daily")


def default_config_path(env: Mapping[str, str]) -> Path:
    """``--config`` aside: ``$SPENDTUI_CONFIG`` or the platform config directory."""
    if env.get("SPENDTUI_CONFIG"):
        return Path(env["SPENDTUI_CONFIG"]).expanduser()
    from platformdirs import user_config_path

    return user_config_path("spendtui") / "config.yaml"


def _where(path: Path, key: str) -> str:
    return f"{path}: {key}"


def unknown_setting(key: str, known: Iterable[str], *, other: Iterable[str] = (), other_hint: str = "") -> str:
    """The problem with an unknown ``key``: ``unknown setting, did you mean `database_url`?
    (known: ...)``. ``other`` are the settings of another level (a profile's, a plan's):
    a key that belongs there gets ``other_hint`` instead of a silent "unknown"."""
    name = key.rsplit(".", 1)[-1]
    known, other = sorted(known), sorted(other)
    listed = ", ".join(known)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if close:
        return f"unknown setting, did you mean `{close[0]}`? (known: {listed})"
    if name in other:
        return f"unknown setting here. {other_hint} (known here: {listed})"
    close = difflib.get_close_matches(name, other, n=1, cutoff=0.6)
    if close:
        return f"unknown setting here, did you mean `{close[0]}`? {other_hint} (known here: {listed})"
    return f"unknown setting (known: {listed})"


def _resolve_env(value: Any, path: Path, key: str, env: Mapping[str, str]) -> Any:
    if isinstance(value, str) and value.startswith(ENV_PREFIX):
        name = value[len(ENV_PREFIX) :].strip()
        if not name:
            raise ConfigError(f"{_where(path, key)}: 'os.environ/' needs a variable name")
        if name not in env:
            raise ConfigError(f"{_where(path, key)}: environment variable {name} is not set")
        return env[name]
    return value


def _check_type(value: Any, types: tuple[type, ...], path: Path, key: str) -> None:
    if types == (int, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    else:
        ok = isinstance(value, types)
    if not ok:
        wanted = " or ".join("number" if t in (int, float) else t.__name__ for t in types)
        wanted = "number" if types == (int, float) else wanted
        raise ConfigError(f"{_where(path, key)}: expected {wanted}, got {type(value).__name__} ({value!r:.40})")


def _profile(name: str, raw: Any, path: Path, env: Mapping[str, str]) -> Profile:
    key = f"profiles.{name}"
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{_where(path, key)}: a profile must be a mapping of settings")
    values: dict[str, Any] = {}
    for item, value in raw.items():
        item_key = f"{key}.{item}"
        if item not in _PROFILE_KEYS:
            problem = unknown_setting(
                str(item), _PROFILE_KEYS, other=_TOP_KEYS, other_hint="It is a top-level setting, not a profile's."
            )
            raise ConfigError(f"{_where(path, item_key)}: {problem}")
        if value is None:
            continue
        value = _resolve_env(value, path, item_key, env)
        _check_type(value, _PROFILE_KEYS[item], path, item_key)
        values[item] = value
    if "timeout" in values and not (0 < values["timeout"] <= 600):
        raise ConfigError(f"{_where(path, key + '.timeout')}: must be between 0 and 600 seconds")
    if "timeout" in values:
        values["timeout"] = float(values["timeout"])
    if "history" in values and values["history"] not in HISTORY_MODES:
        raise ConfigError(
            f"{_where(path, key + '.history')}: must be one of {', '.join(HISTORY_MODES)} "
            f"(got {values['history']!r:.40})"
        )
    if "prices" in values and path is not None:
        values["prices"] = str((path.parent / Path(values["prices"]).expanduser()).resolve())
    return Profile(name=name, **values)


def read_file(path: Path, env: Mapping[str, str]) -> dict[str, Any]:
    """Load and shape-check the YAML file; {} if it does not exist."""
    try:
        raw_bytes = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc.strerror})") from None
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}: invalid YAML{where}: {problem}") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid YAML: nested too deeply") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping (got {type(data).__name__})")
    for key, value in data.items():
        if not isinstance(key, str) or key not in _TOP_KEYS:
            problem = unknown_setting(
                str(key), _TOP_KEYS, other=_PROFILE_KEYS, other_hint="It is a profile setting (profiles: NAME: ...)."
            )
            raise ConfigError(f"{_where(path, str(key))}: {problem}")
        if value is not None:
            _check_type(value, _TOP_KEYS[key], path, key)
    return data


def _apply_env(profile: Profile, env: Mapping[str, str]) -> Profile:
    """Environment beats the file."""
    changes: dict[str, Any] = {}
    if env.get("DATABASE_URL"):
        changes["database_url"] = env["DATABASE_URL"]
    if env.get("LITELLM_PROXY_URL"):
        changes["proxy_url"] = env["LITELLM_PROXY_URL"]
    key = env.get("LITELLM_PROXY_API_KEY") or env.get("LITELLM_MASTER_KEY")
    if key:
        changes["api_key"] = key
    return replace(profile, **changes) if changes else profile


def _permission_warning(path: Path, data: dict[str, Any]) -> str | None:
    """A file holding a literal secret that others can read deserves a warning."""
    secrets = []
    for name, profile in (data.get("profiles") or {}).items():
        if not isinstance(profile, dict):
            continue
        key = profile.get("api_key")
        if isinstance(key, str) and key and not key.startswith(ENV_PREFIX):
            secrets.append(f"profiles.{name}.api_key")
        url = profile.get("database_url")
        if isinstance(url, str) and "@" in url and ":" in url.split("@")[0].split("//")[-1]:
            secrets.append(f"profiles.{name}.database_url")
    secrets += _literal_webhooks(data, "")
    password = data["smtp"].get("password") if isinstance(data.get("smtp"), dict) else None
    if isinstance(password, str) and password and not password.startswith(ENV_PREFIX):
        secrets.append("smtp.password")
    if not secrets:
        return None
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        return (
            f"{path} holds secrets ({', '.join(secrets)}) and is readable by other users: "
            f"run chmod 600 {path}, or use os.environ/NAME values"
        )
    return None


_WEBHOOK_KEYS = ("webhook", "webhook_url")  # (slack_alerts: webhook_url)


def _literal_webhooks(node: object, where: str) -> list[str]:
    """Where the document holds a webhook URL itself (webhook URLs are secrets), not an
    ``os.environ/NAME`` reference."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{where}.{key}" if where else str(key)
            if key in _WEBHOOK_KEYS and isinstance(value, str) and value and not value.startswith(ENV_PREFIX):
                found.append(here)
            else:
                found += _literal_webhooks(value, here)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _literal_webhooks(value, f"{where}[{i}]")
    return found


def _check_refresh(seconds: float, where: str) -> None:
    if math.isnan(seconds):
        raise ConfigError(f"{where}: must be a number of seconds (got nan)")
    if seconds < MIN_REFRESH:
        raise ConfigError(f"{where}: must be at least {MIN_REFRESH:g} seconds")
    if seconds > MAX_REFRESH:
        raise ConfigError(f"{where}: must be at most {MAX_REFRESH:g} seconds")


def load_config(overrides: Overrides = Overrides(), env: Mapping[str, str] | None = None) -> Config:
    """Merge file, environment and flags into one Config; ConfigError if anything is wrong.

    The budget sections are kept as written (their top-level types checked): the budgets
    layer validates them (``spendtui.budgets.config``), as every command does on loading
    (``spendtui.cli.common.load_checked_config``)."""
    env = os.environ if env is None else env
    path = Path(overrides.config_path).expanduser() if overrides.config_path else default_config_path(env)
    if overrides.config_path and not path.exists():
        raise ConfigError(f"{path}: config file not found")
    data = read_file(path, env)
    profiles = {str(name): _profile(str(name), raw, path, env) for name, raw in (data.get("profiles") or {}).items()}
    wanted = overrides.profile or data.get("default_profile")
    if wanted is not None and wanted not in profiles:
        source = "--profile" if overrides.profile else f"{path}: default_profile"
        raise ConfigError(f"{source}: no profile named {wanted!r} (profiles: {', '.join(sorted(profiles)) or 'none'})")
    if wanted is None and len(profiles) == 1:
        wanted = next(iter(profiles))
    active = profiles[wanted] if wanted else Profile(name="default")
    active = _apply_env(active, env)
    flag_changes: dict[str, Any] = {}
    if overrides.database_url:
        flag_changes["database_url"] = overrides.database_url
    if overrides.proxy_url:
        flag_changes["proxy_url"] = overrides.proxy_url
    if overrides.api_key:
        flag_changes["api_key"] = overrides.api_key
    if overrides.insecure:
        flag_changes["verify_tls"] = False
    if overrides.allow_db_writes:
        flag_changes["allow_db_writes"] = True
    if overrides.history is not None:
        if overrides.history not in HISTORY_MODES:
            raise ConfigError(f"--history: must be one of {', '.join(HISTORY_MODES)}")
        flag_changes["history"] = overrides.history
    if flag_changes:
        active = replace(active, **flag_changes)
    refresh = overrides.refresh_interval
    if refresh is None:
        refresh = float(data.get("refresh_interval") or DEFAULT_REFRESH)
        _check_refresh(refresh, _where(path, "refresh_interval"))
    else:
        _check_refresh(refresh, "--refresh")
    warning = _permission_warning(path, data)
    return Config(
        path=path if path.exists() else None,
        profiles=profiles,
        active=active,
        refresh_interval=refresh,
        theme=data.get("theme"),
        mouse=data.get("mouse", True) if data.get("mouse") is not None else True,
        budgets=list(data.get("budgets") or []),
        budget_alerts=list(data.get("budget_alerts") or []),
        alert_thresholds=list(data.get("alert_thresholds") or []),
        smtp=data.get("smtp"),
        rules=list(data.get("rules") or []),
        slack_alerts=data.get("slack_alerts"),
        litellm_settings=dict(data.get("litellm_settings") or {}),
        warnings=(warning,) if warning else (),
    )
