"""Dashboard actions on virtual keys: create (with the one-time reveal), edit, block, delete."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work

from spendtui.errors import SpendtuiError
from spendtui.tui.widgets.breakdown import BreakdownTable
from spendtui.tui.widgets.budgets import BudgetTable

if TYPE_CHECKING:
    from spendtui.keys.spec import KeySpec
    from spendtui.tui.app import SpendApp
    from spendtui.tui.screens.keys import NewKeyScreen

    _Base = SpendApp
else:
    _Base = object


class KeyActions(_Base):
    """Mixed into SpendApp. Writes happen in workers; nothing is sent twice."""

    # ------------------------------------------------------------------ keys
    def _writes_off(self) -> bool:
        """Say at once, before any form or question opens, that keys cannot be written
        with this profile and how to turn writes on."""
        from spendtui.keys.writers import write_refusal

        if self.launch.prepare is not None:  # the demo database is still being generated
            reason: str | None = "the demo database is still being generated: try again in a moment"
        else:
            reason = write_refusal(self.profile)
        if reason is None:
            return False
        self.notify(reason, title="Key writes are off", severity="warning", timeout=15)
        return True

    def action_new_key(self) -> None:
        if self._writes_off():
            return
        self._screens_opening += 1  # (keys typed next wait for the form)
        self._key_form_data()

    @work(thread=True, group="keys", exit_on_error=False)
    def _key_form_data(self) -> None:
        try:
            self._open_key_form()
        finally:
            self.call_from_thread(self.screen_opened)

    def _where(self) -> str | None:
        """Where a key is written (for the form's title), or None after telling why it
        cannot be (a database without the key table, a proxy writer that cannot start)."""
        from spendtui.keys.writers import writer_for

        try:
            writer = writer_for(self.profile)
        except SpendtuiError as exc:
            self.call_from_thread(self.notify, str(exc), title="Cannot write keys", severity="error", timeout=15)
            return None
        try:
            if not self.profile.proxy_url and self.launch.key_target:  # (the demo's own name)
                return f"into {self.launch.key_target}"
            return writer.where
        finally:
            writer.close()

    def _open_key_form(self) -> None:
        where = self._where()
        if where is None:
            return
        models: list[str] = []
        teams: list[tuple[str, str]] = []
        if self.engine is not None:
            with self._lock:
                models = self.engine.query.values("model")
                teams = sorted(
                    ((t, f"{a} ({t[:8]})") for t, a in self.engine.names.team_alias.items()),
                    key=lambda item: item[1].lower(),
                )
        if self.profile.proxy_url:  # the models a key may be given are the proxy's
            models = self._proxy_models() or models
        from spendtui.tui.screens.keys import KeyFormData, NewKeyScreen  # (not needed for the first frame)

        self.call_from_thread(self.push_screen, NewKeyScreen(KeyFormData(models, teams, where)))

    def _proxy_models(self) -> list[str]:
        """The proxy's model names from ``/model/info`` (worker thread); [] with a notice
        when it cannot answer, and the form offers the models seen in spend instead."""
        from spendtui.keys.proxy_writer import ProxyKeyWriter

        try:
            writer = ProxyKeyWriter(self.profile)
            try:
                return writer.model_names()
            finally:
                writer.close()
        except SpendtuiError as exc:
            self.call_from_thread(
                self.notify, f"{exc}; offering the models seen in spend", title="Models", severity="warning"
            )
            return []

    @work(thread=True, group="keys", exit_on_error=False)
    def create_key(self, spec: KeySpec, form: NewKeyScreen) -> None:
        """Write the key (never twice: the form refuses a second submit while this runs)."""
        from spendtui.keys.writers import writer_for

        try:
            writer = writer_for(self.profile)
            try:
                created = writer.create(spec)
            finally:
                writer.close()
        except SpendtuiError as exc:
            self.call_from_thread(form.failed, str(exc))
            return
        except Exception as exc:
            self.call_from_thread(form.failed, f"could not create the key: {type(exc).__name__}: {exc}")
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
            self.push_screen(RevealKeyScreen(raw, summary))
            self.recompute_names()

        self.call_from_thread(reveal)

    def recompute_names(self) -> None:
        """A key changed: read names and budget rows again, then redraw."""
        if self._budgets is not None:
            self._budgets.invalidate()
        self._refresh_names()

    @work(thread=True, group="engine", exit_on_error=False)
    def _refresh_names(self) -> None:
        if self.engine is None:
            return
        with self._lock:
            try:
                self.engine.refresh_names()
            except SpendtuiError:
                return
        self.call_from_thread(self.recompute)

    def _selected_key(self) -> tuple[str, str] | None:
        if self.state.pane == "budgets":
            budget = self.query_one(BudgetTable).selected()
            if budget is None or budget.state.kind != "key":
                self.notify("select a key's budget first (c filters by kind)", severity="warning", timeout=3)
                return None
            return budget.state.id, budget.state.name
        if self.state.pane != "keys":
            self.notify(
                "select a key in the Keys pane (4) or the Budgets pane (0) first", severity="warning", timeout=3
            )
            return None
        row = self.query_one("#table-keys", BreakdownTable).selected()
        if row is None or not row.value:
            self.notify("select a key first", severity="warning", timeout=3)
            return None
        return row.value, row.label

    def action_edit_budget(self) -> None:
        selected = None if self._writes_off() else self._selected_key()
        if selected is None:
            return
        token, label = selected
        from spendtui.tui.screens.keys import BudgetEditScreen

        self.push_screen(
            BudgetEditScreen(label), lambda spec: self._change_key("update", token, label, spec) if spec else None
        )

    def action_block_key(self, blocked: bool) -> None:
        selected = None if self._writes_off() else self._selected_key()
        if selected is None:
            return
        token, label = selected
        verb = "Block" if blocked else "Unblock"
        question = f"{verb} key {label}?" + (" LiteLLM will refuse its requests." if blocked else "")
        from spendtui.tui.screens.dialogs import ConfirmScreen

        self.push_screen(
            ConfirmScreen(question),
            lambda yes: self._change_key("block" if blocked else "unblock", token, label) if yes else None,
        )

    def action_delete_key(self) -> None:
        selected = None if self._writes_off() else self._selected_key()
        if selected is None:
            return
        token, label = selected
        from spendtui.tui.screens.dialogs import ConfirmScreen

        self.push_screen(
            ConfirmScreen(f"Delete key {label}? Its requests will be refused; this cannot be undone."),
            lambda yes: self._change_key("delete", token, label) if yes else None,
        )

    @work(thread=True, group="keys", exit_on_error=False)
    def _change_key(self, action: str, token: str, label: str, spec: KeySpec | None = None) -> None:
        from spendtui.keys.writers import writer_for

        try:
            writer = writer_for(self.profile)
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
            self.call_from_thread(
                self.notify, str(exc), title=f"Could not {action} {label}", severity="error", timeout=10
            )
            return
        done = {"update": "updated", "block": "blocked", "unblock": "unblocked", "delete": "deleted"}[action]
        self.call_from_thread(self.notify, f"{label} {done}", timeout=4)
        self.call_from_thread(self.recompute_names)
