"""Shared fixtures: demo databases with a fixed clock, PostgreSQL test databases."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from spendtui.demo.generator import create_demo_db
from tests.helpers import FIXED_NOW
from tests.webhooks import Hooks


@pytest.fixture(scope="session")
def litellm_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 30k-row demo database in the LiteLLM layout, 45 days up to FIXED_NOW."""
    path = tmp_path_factory.mktemp("demo") / "litellm.db"
    create_demo_db(path, rows=30_000, days=45, layout="litellm", seed=11, now=FIXED_NOW)
    return path


@pytest.fixture(scope="session")
def compact_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same kind of data in the compact two-table layout."""
    path = tmp_path_factory.mktemp("demo") / "compact.db"
    create_demo_db(path, rows=20_000, days=45, layout="compact", seed=12, now=FIXED_NOW)
    return path


@pytest.fixture(autouse=True)
def _isolated_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's real config or spend-related environment."""
    monkeypatch.setenv("SPENDTUI_CONFIG", str(tmp_path / "no-config.yaml"))
    for name in ("DATABASE_URL", "LITELLM_PROXY_URL", "LITELLM_PROXY_API_KEY", "LITELLM_MASTER_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture
def hooks() -> Iterator[Hooks]:
    """A webhook receiver on 127.0.0.1 (``tests.webhooks``), shut down after the test."""
    server = Hooks()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The environment of a spendtui started as its own process: the isolated config,
    cache and state directories of the test, no source from the developer's shell."""
    out = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LITELLM_PROXY_URL")}
    out["XDG_STATE_HOME"] = str(tmp_path / "state")
    out["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    out["SPENDTUI_CONFIG"] = str(tmp_path / "no-config.yaml")
    return out
