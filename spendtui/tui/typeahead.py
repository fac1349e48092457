"""Keys typed ahead: held until what they act on is mounted, then run in the order typed.

Over SSH, or typed fast, keys arrive in bursts. Three moments need them held:

* at start, the panes not shown in the first frame are mounted just after it (see
  ``SpendApp._mount_other_panes``): a key may switch to one of them, and the next act on
  its table;
* a key that opens a screen a worker prepares first (the key form, the filter picker):
  the keys typed after it are for that screen. An unhandled key reaches the app's
  bindings as it bubbles back up, so without the hold ``w`` typed into the key form's
  alias would change the dashboard's window;
* a key that opens (or closes) a screen at once (``W``, ``?``, ``escape``): the keys
  behind it in the burst were sent to the old screen's focused widget before it ran.
  One that comes back unhandled is sent again, to the screen now on top;
* a key that moves the focus into a text box (``/`` opens the search): the keys behind
  it were sent to the table, and would come back as the dashboard's own keys (``/gpt``
  changed the chart split and paused). One that comes back unhandled while a text box
  it was not typed into has the focus is sent again, into the box.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events
from textual.widgets import Input

if TYPE_CHECKING:
    from spendtui.tui.app import SpendApp

    _Base = SpendApp
else:
    _Base = object

#: Seconds between checks whether a screen being opened is mounted.
_RECHECK = 0.02


class TypeAhead(_Base):
    """Mixed into SpendApp; its state (``_keys_released``, ``_held_keys``,
    ``_release_timer``, ``_screens_opening``, ``_typed_on``) is set in ``SpendApp.__init__``."""

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            if not self._keys_released and not event.is_forwarded:  # the panes are not mounted yet
                self._held_keys.append(event)
                return
            if not event.is_forwarded:
                self._typed_on[event] = (self.screen, self.focused)
            elif self._screens_opening or self._typed_elsewhere(event):
                # unhandled, on its way to the app's bindings: typed while a worker
                # prepares a screen, or for a screen (or a text box) that an earlier key of
                # the same burst has since opened, covered or focused
                self._held_keys.append(events.Key(event.key, event.character))
                self._release_soon()
                return
        await super().on_event(event)

    def _typed_elsewhere(self, event: events.Key) -> bool:
        """The key was typed before the screen on top, or a focused text box, took over."""
        screen, focused = self._typed_on.pop(event, (self.screen, self.focused))
        return screen is not self.screen or (isinstance(self.focused, Input) and self.focused is not focused)

    def release_keys(self) -> None:
        """The held keys back into the queue, in the order typed. Called from the app's own
        queue (``call_later``), so every key queued before was held too, and keys from now
        on come after them."""
        self._keys_released = True
        for key in self._held_keys:
            self.post_message(key)
        self._held_keys.clear()

    def screen_opened(self) -> None:
        """A worker has pushed the screen it was preparing, or given up (UI thread)."""
        self._screens_opening -= 1

    def _release_soon(self) -> None:
        if self._release_timer is None:
            self._release_timer = self.set_timer(_RECHECK, self._release_when_ready)

    def _release_when_ready(self) -> None:
        self._release_timer = None
        if self._screens_opening or not self.screen.is_mounted:
            self._release_soon()
        else:
            self.call_later(self.release_keys)
