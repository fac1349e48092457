"""The dashboard's source controls: switching profile (``P``), and the "My key" view an
ordinary proxy key gets instead of the proxy's (``MyKeyScreen``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from spendtui.errors import SpendtuiError
from spendtui.sources.db.urls import mask_url
from spendtui.tui.screens.dialogs import ChoiceDialog

if TYPE_CHECKING:
    from spendtui.tui.app import SpendApp


class SourceControl:
    """What the app does when the source itself changes."""

    def __init__(self, app: SpendApp) -> None:
        self.app = app

    def pick_profile(self) -> None:
        app = self.app
        if not app.config.profiles:
            app.notify("no profiles in the config file", severity="warning", timeout=3)
            return
        choices = [
            (name, f"{name}  {mask_url(p.database_url or p.proxy_url or '')}")
            for name, p in app.config.profiles.items()
        ]
        app.push_screen(
            ChoiceDialog("Switch profile", choices, app.profile.name),
            lambda name: self.switch_profile(name) if name else None,
        )

    def switch_profile(self, name: str) -> None:
        app = self.app
        try:
            config = app.config.with_profile(name)
        except SpendtuiError as exc:
            app.notify(str(exc), severity="error")
            return
        if not config.active.configured:
            app.notify(f"profile {name} has no database_url or proxy_url", severity="error")
            return
        app.status.profile = name
        app.applied = None
        app.version += 1
        session = app.session

        def reset() -> None:
            session.reset(config)
            app.call_from_thread(app._start)

        app.run_worker(reset, thread=True, group="engine", exit_on_error=False)

    def open_my_key(self) -> None:
        """The proxy key is not an admin's: show the key's own view instead (polls stop)."""
        from spendtui.tui.screens.my_key import MyKeyScreen

        app = self.app
        source = app.session.my_key_source()
        if source is None or isinstance(app.screen, MyKeyScreen):
            return
        app.polls.paused = True
        app.push_screen(MyKeyScreen(source, app.polls.interval))
