"""The dashboard's virtual-key actions: create (with the one-time reveal), edit, block,
unblock, delete. Writes happen in workers, and nothing is sent twice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from spendtui.errors import SpendtuiError
from spendtui.tui.widgets.breakdown import BreakdownTable
from spendtui.tui.widgets.budgets import BudgetTable

if TYPE_CHECKING:
    from spendtui.keys.spec import KeySpec
    from spendtui.tui.app import SpendApp
    from spendtui.tui.screens.keys import NewKeyScreen

#: What a change does, as a past tense for the notice.
DONE = {"update": "updated", "block": "blocked", "unblock": "unblocked", "delete": "deleted"}


class KeyControl:
    """The key actions of the dashboard's keys (the app's ``action_*`` hand them on)."""

    def __init__(self, app: SpendApp) -> None:
        self.app = app

    def writes_off(self) -> bool:
        """Say at once, before any form or question opens, that keys cannot be written
        with this profile and how to turn writes on."""
        from spendtui.keys.writers import write_refusal

        app = self.app
        if app.session.preparing:
            reason: str | None = "the demo database is still being generated: try again in a moment"
        else:
            reason = write_refusal(app.profile)
        if reason is None:
            return False
        app.notify(reason, title="Key writes are off", severity="warning", timeout=15)
        return True

    # ------------------------------------------------------------------ new key
    def new_key(self) -> None:
        if self.writes_off():
            return
        app = self.app
        app.hold.screen_opening()  # (keys typed next wait for the form)

        def prepare() -> None:
            try:
                self._open_key_form()
            finally:
                app.call_from_thread(app.hold.screen_opened)

        app.run_worker(prepare, thread=True, group="keys", exit_on_error=False)

    def _where(self) -> str | None:
        """Where a key is written (for the form's title), or None after telling why it
        cannot be (a database without the key table, a proxy writer that cannot start)."""
        from spendtui.keys.writers import writer_for

        app = self.app
        try:
            writer = writer_for(app.profile)
        except SpendtuiError as exc:
            app.call_from_thread(app.notify, str(exc), title="Cannot write keys", severity="error", timeout=15)
            return None
        try:
            if not app.profile.proxy_url and app.launch.key_target:  # (the demo's own name)
                return f"into {app.launch.key_target}"
            return writer.where
        finally:
            writer.close()

    def _open_key_form(self) -> None:
        """(worker thread) The form's choices, then the form."""
        app = self.app
        where = self._where()
        if where is None:
            return
        models, teams = app.session.key_choices()
        if app.profile.proxy_url:  # the models a key may be given are the proxy's
            models = self._proxy_models() or models
        from spendtui.tui.screens.keys import KeyFormData, NewKeyScreen  # (not needed for the first frame)

        app.call_from_thread(app.push_screen, NewKeyScreen(KeyFormData(models, teams, where)))

    def _proxy_models(self) -> list[str]:
        """The proxy's model names from ``/model/info`` (worker thread); [] with a notice
        when it cannot answer, and the form offers the models seen in spend instead."""
        from spendtui.keys.proxy_writer import ProxyKeyWriter

        app = self.app
        try:
            writer = ProxyKeyWriter(app.profile)
            try:
                return writer.model_names()
            finally:
                writer.close()
        except SpendtuiError as exc:
            app.call_from_thread(
                app.notify, f"{exc}; offering the models seen in spend", title="Models", severity="warning"
            )
            return []

    def create(self, spec: KeySpec, form: NewKeyScreen) -> None:
        """Write the key in a worker (never twice: the form refuses a second submit while
        this runs), then reveal it once."""
        self.app.run_worker(lambda: self._create(spec, form), thread=True, group="keys", exit_on_error=False)

    def _create(self, spec: KeySpec, form: NewKeyScreen) -> None:
        from spendtui.keys.writers import writer_for

        app = self.app
        try:
            writer = writer_for(app.profile)
            try:
                created = writer.create(spec)
            finally:
                writer.close()
        except SpendtuiError as exc:
            app.call_from_thread(form.failed, str(exc))
            return
        except Exception as exc:
            app.call_from_thread(form.failed, f"could not create the key: {type(exc).__name__}: {exc}")
            return
        summary = f"alias {created.alias} · shown elsewhere as {created.key_name}"
        if created.max_budget is not None:
            summary += f" · max ${created.max_budget}" + (
                f" per {created.budget_duration}" if created.budget_duration else ""
            )
        raw = created.key
        del created

        from spendtui.tui.screens.keys import RevealKeyScreen

        def reveal() -> None:
            form.dismiss(None)
            app.push_screen(RevealKeyScreen(raw, summary))
            self.keys_changed()

        app.call_from_thread(reveal)

    def keys_changed(self) -> None:
        """A key changed: read names and budget rows again, then redraw."""
        app = self.app
        session = app.session

        def reread() -> None:
            if session.reread_names():
                app.call_from_thread(app.recompute)

        app.run_worker(reread, thread=True, group="engine", exit_on_error=False)

    # ------------------------------------------------------------------ changes
    def _selected_key(self) -> tuple[str, str] | None:
        app = self.app
        if app.state.pane == "budgets":
            budget = app.query_one(BudgetTable).selected()
            if budget is None or budget.state.kind != "key":
                app.notify("select a key's budget first (c filters by kind)", severity="warning", timeout=3)
                return None
            return budget.state.id, budget.state.name
        if app.state.pane != "keys":
            app.notify("select a key in the Keys pane (4) or the Budgets pane (0) first", severity="warning", timeout=3)
            return None
        row = app.query_one("#table-keys", BreakdownTable).selected()
        if row is None or not row.value:
            app.notify("select a key first", severity="warning", timeout=3)
            return None
        return row.value, row.label

    def edit_budget(self) -> None:
        selected = None if self.writes_off() else self._selected_key()
        if selected is None:
            return
        token, label = selected
        from spendtui.tui.screens.keys import BudgetEditScreen

        self.app.push_screen(
            BudgetEditScreen(label), lambda spec: self._change("update", token, label, spec) if spec else None
        )

    def block(self, blocked: bool) -> None:
        selected = None if self.writes_off() else self._selected_key()
        if selected is None:
            return
        token, label = selected
        verb = "Block" if blocked else "Unblock"
        question = f"{verb} key {label}?" + (" LiteLLM will refuse its requests." if blocked else "")
        from spendtui.tui.screens.dialogs import ConfirmScreen

        self.app.push_screen(
            ConfirmScreen(question),
            lambda yes: self._change("block" if blocked else "unblock", token, label) if yes else None,
        )

    def delete(self) -> None:
        selected = None if self.writes_off() else self._selected_key()
        if selected is None:
            return
        token, label = selected
        from spendtui.tui.screens.dialogs import ConfirmScreen

        self.app.push_screen(
            ConfirmScreen(f"Delete key {label}? Its requests will be refused; this cannot be undone."),
            lambda yes: self._change("delete", token, label) if yes else None,
        )

    def _change(self, action: str, token: str, label: str, spec: KeySpec | None = None) -> None:
        self.app.run_worker(
            lambda: self._write(action, token, label, spec), thread=True, group="keys", exit_on_error=False
        )

    def _write(self, action: str, token: str, label: str, spec: KeySpec | None) -> None:
        from spendtui.keys.writers import writer_for

        app = self.app
        try:
            writer = writer_for(app.profile)
            try:
                if action == "update" and spec is not None:
                    writer.update(token, spec)
                elif action in ("block", "unblock"):
                    writer.block(token, action == "block")
                elif action == "delete":
                    writer.delete(token)
            finally:
                writer.close()
        except SpendtuiError as exc:
            app.call_from_thread(
                app.notify, str(exc), title=f"Could not {action} {label}", severity="error", timeout=10
            )
            return
        app.call_from_thread(app.notify, f"{label} {DONE[action]}", timeout=4)
        app.call_from_thread(self.keys_changed)
