"""Text boxes that apply their own editing keys in the order typed.

Textual's ``Input`` inserts a printable key as soon as the key reaches it, but runs its
editing bindings (backspace, left, ctrl+u, …) only when the key has bubbled back up to
the app. Keys that arrive together (typed fast, or delivered in one burst over SSH) are
all in the box's queue by then, so ``abc⌫d`` became ``abc`` (the d inserted, then
deleted) and ``ctrl+u 2026-13-01`` an empty box. ``EditInput`` runs its own bindings as
the key arrives, so every key acts where the user typed it.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class EditInput(Input):
    async def _on_key(self, event: events.Key) -> None:
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            if not binding.priority:
                event.stop()
                event.prevent_default()
                await self.run_action(binding.action)
                return
        await super()._on_key(event)
