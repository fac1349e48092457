"""Configuration: file location, profiles, os.environ/ values, precedence, clear errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from spendtui.cli import main
from spendtui.config import Overrides, default_config_path, load_config
from spendtui.errors import ConfigError

GOOD = """
default_profile: prod
refresh_interval: 3
profiles:
  prod:
    database_url: postgresql://u@db/prod
    proxy_url: https://litellm.example.com
    api_key: os.environ/PROD_KEY
  demo:
    database_url: sqlite:///demo.db
"""


def write(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_default_location_follows_platformdirs_and_env(tmp_path) -> None:
    assert default_config_path({"SPENDTUI_CONFIG": str(tmp_path / "x.yaml")}) == tmp_path / "x.yaml"
    path = default_config_path({})
    assert path.name == "config.yaml" and path.parent.name == "spendtui"


def test_profiles_and_env_values(tmp_path) -> None:
    path = write(tmp_path, GOOD)
    cfg = load_config(Overrides(config_path=str(path)), env={"PROD_KEY": "sk-prod"})
    assert cfg.active.name == "prod" and cfg.active.api_key == "sk-prod"
    assert cfg.refresh_interval == 3
    demo = load_config(Overrides(config_path=str(path), profile="demo"), env={"PROD_KEY": "x"})
    assert demo.active.database_url == "sqlite:///demo.db" and demo.active.proxy_url is None
    assert cfg.with_profile("demo", env={}).active.name == "demo"


def test_precedence_flag_over_env_over_file(tmp_path) -> None:
    path = write(tmp_path, GOOD)
    env = {"PROD_KEY": "sk-file", "DATABASE_URL": "sqlite:///env.db", "LITELLM_MASTER_KEY": "sk-master"}
    cfg = load_config(Overrides(config_path=str(path)), env=env)
    assert cfg.active.database_url == "sqlite:///env.db"  # env beats file
    assert cfg.active.api_key == "sk-master"  # the fallback key still beats the file
    env["LITELLM_PROXY_API_KEY"] = "sk-proxy"
    assert load_config(Overrides(config_path=str(path)), env=env).active.api_key == "sk-proxy"
    flags = Overrides(config_path=str(path), database_url="sqlite:///flag.db", api_key="sk-flag")
    cfg = load_config(flags, env=env)
    assert cfg.active.database_url == "sqlite:///flag.db" and cfg.active.api_key == "sk-flag"
    bare = load_config(Overrides(config_path=str(write(tmp_path, "{}"))), env={})
    assert bare.active.database_url is None and bare.refresh_interval == 2.0  # defaults


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("profiles: [1, 2", "invalid YAML at line"),
        ("colour: blue", "colour: unknown setting"),
        ("refresh_interval: fast", "refresh_interval: expected number, got str"),
        ("refresh_interval: 0.1", "refresh_interval: must be at least 1 seconds"),
        ("profiles:\n  p:\n    verify_tls: maybe", "profiles.p.verify_tls: expected bool"),
        ("profiles:\n  p:\n    databse_url: x", "profiles.p.databse_url: unknown setting"),
        ("profiles:\n  p:\n    api_key: os.environ/NOT_SET_ANYWHERE", "NOT_SET_ANYWHERE is not set"),
        ("default_profile: nope\nprofiles: {}", "no profile named 'nope'"),
        ("- a\n- b", "top level must be a mapping"),
        ("profiles:\n  p: 5", "profiles.p: a profile must be a mapping"),
    ],
)
def test_errors_name_file_and_key(tmp_path, text, expected) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(Overrides(config_path=str(path)), env={})
    assert str(path) in str(info.value) and expected in str(info.value)


def test_non_utf8_and_missing_file(tmp_path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(b"profiles:\n  p:\n    database_url: \xff\xfe\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(Overrides(config_path=str(path)), env={})
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(Overrides(config_path=str(tmp_path / "missing.yaml")), env={})


def test_broken_config_exits_2_with_one_line(tmp_path, capsys) -> None:
    path = write(tmp_path, "refresh_interval: [")
    assert main(["report", "spend", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err


def test_world_readable_secret_warns(tmp_path, capsys, monkeypatch) -> None:
    path = write(tmp_path, "profiles:\n  p:\n    api_key: sk-literal\n    database_url: sqlite:///x.db\n", 0o644)
    cfg = load_config(Overrides(config_path=str(path)), env={})
    assert cfg.warnings and "chmod 600" in cfg.warnings[0] and "profiles.p.api_key" in cfg.warnings[0]
    os.chmod(path, 0o600)
    assert load_config(Overrides(config_path=str(path)), env={}).warnings == ()
    env_only = write(tmp_path, "profiles:\n  p:\n    api_key: os.environ/K\n", 0o644)
    assert load_config(Overrides(config_path=str(env_only)), env={"K": "v"}).warnings == ()


def test_nothing_configured_explains_what_to_do(capsys) -> None:
    assert main(["report", "spend"]) == 2
    err = capsys.readouterr().err
    assert "--db" in err and "spendtui --demo" in err


def test_history_mode_from_profile_and_flag(tmp_path) -> None:
    path = write(tmp_path, "profiles:\n  p:\n    database_url: sqlite:///x.db\n    history: daily\n")
    assert load_config(Overrides(config_path=str(path)), env={}).active.history == "daily"
    flagged = load_config(Overrides(config_path=str(path), history="logs"), env={})
    assert flagged.active.history == "logs"
    bare = load_config(Overrides(config_path=str(write(tmp_path, "{}"))), env={})
    assert bare.active.history == "logs"
    with pytest.raises(ConfigError, match=r"profiles\.p\.history: must be one of logs, daily"):
        load_config(Overrides(config_path=str(write(tmp_path, "profiles:\n  p:\n    history: hourly\n"))), env={})


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ("profiles:\n  p:\n    databse_url: x", "profiles.p.databse_url", "did you mean `database_url`?"),
        ("profiles:\n  p:\n    proxy: http://x", "profiles.p.proxy", "did you mean `proxy_url`?"),
        ("profiles:\n  p:\n    Timezone: UTC", "profiles.p.Timezone", "did you mean `timezone`?"),
        ("refresh_intervall: 3", "refresh_intervall", "did you mean `refresh_interval`?"),
        ("profile:\n  p: {}", "profile", "did you mean `profiles`?"),
        ("database_url: sqlite:///x.db", "database_url", "It is a profile setting (profiles: NAME: ...)"),
        ("databse_url: sqlite:///x.db", "databse_url", "did you mean `database_url`? It is a profile setting"),
        ("profiles:\n  p:\n    theme: nord", "profiles.p.theme", "It is a top-level setting, not a profile's"),
    ],
)
def test_misspelled_keys_get_a_suggestion_naming_file_and_key(tmp_path, text, key, expected) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(Overrides(config_path=str(path)), env={})
    message = str(info.value)
    assert message.startswith(f"{path}: {key}: unknown setting") and expected in message, message
    assert "known" in message and "\n" not in message


def test_a_key_with_nothing_close_gets_no_guess(tmp_path) -> None:
    path = write(tmp_path, "colour: blue")
    with pytest.raises(ConfigError) as info:
        load_config(Overrides(config_path=str(path)), env={})
    assert "did you mean" not in str(info.value) and "known: alert_thresholds" in str(info.value)


def test_refresh_interval_must_be_a_sane_number(tmp_path) -> None:
    for text, expected in (
        ("refresh_interval: .nan", "refresh_interval: must be a number of seconds"),
        ("refresh_interval: 100000", "refresh_interval: must be at most 3600 seconds"),
    ):
        with pytest.raises(ConfigError, match=expected):
            load_config(Overrides(config_path=str(write(tmp_path, text))), env={})
    with pytest.raises(ConfigError, match="--refresh: must be a number of seconds"):
        load_config(Overrides(config_path=str(write(tmp_path, "{}")), refresh_interval=float("nan")), env={})
