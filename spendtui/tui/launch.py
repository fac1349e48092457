"""What the dashboard is started with: built by the CLI, and by the tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from spendtui.config import Config, Profile
from spendtui.dashboard.session import default_engine_factory
from spendtui.dashboard.state import ViewState
from spendtui.timeutil import Clock, system_clock

if TYPE_CHECKING:
    from spendtui.engine import SpendEngine


@dataclass
class Launch:
    config: Config
    clock: Clock = system_clock
    state: ViewState = field(default_factory=ViewState)
    refresh: float = 2.0
    mouse: bool = True
    engine_factory: Callable[[Profile, Clock], SpendEngine] = default_engine_factory
    #: Runs in the worker before the first load (the demo generates its database here)
    #: and returns the profile to read; None keeps the configured one.
    prepare: Callable[[], Profile] | None = None
    #: Called once the app has exited (the demo stops its simulator and cleans up).
    cleanup: Callable[[], None] | None = None
    #: Start the poll loop (tests may drive refreshes themselves).
    autopoll: bool = True
    #: Offer the demo from the welcome screen when nothing is configured.
    demo_factory: Callable[[], Launch] | None = None
    #: What the status bar calls the source (default: the masked URL).
    source_label: str | None = None
    #: What the key form says a key is written into, when not the proxy (default: the
    #: database's masked URL): ``the demo database``.
    key_target: str | None = None
