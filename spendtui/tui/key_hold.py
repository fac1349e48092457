"""Keys typed ahead: held until what they act on is mounted, then run in the order typed.

Over SSH, or typed fast, keys arrive in bursts. Four moments need them held:

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
from weakref import WeakKeyDictionary

from textual import events
from textual.widgets import Input

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.timer import Timer
    from textual.widget import Widget

    from spendtui.tui.app import SpendApp

#: Seconds between checks whether a screen being opened is mounted.
_RECHECK = 0.02


class KeyHold:
    """The app's key queue, held at the moments above (``SpendApp.on_event`` asks it)."""

    def __init__(self, app: SpendApp) -> None:
        self.app = app
        #: The panes are mounted: keys go through (before, they wait in ``held``).
        self.released = False
        self.held: list[events.Key] = []
        #: Screens a worker is preparing (keys wait until they are pushed).
        self.opening = 0
        #: The screen on top, and the focused widget, when each key arrived.
        self._typed_on: WeakKeyDictionary[events.Key, tuple[Screen, Widget | None]] = WeakKeyDictionary()
        self._timer: Timer | None = None

    def hold(self, event: events.Key) -> bool:
        """Whether the key is held (else it goes its usual way)."""
        app = self.app
        if not self.released and not event.is_forwarded:  # the panes are not mounted yet
            self.held.append(event)
            return True
        if not event.is_forwarded:
            self._typed_on[event] = (app.screen, app.focused)
            return False
        if self.opening or self._typed_elsewhere(event):
            # unhandled, on its way to the app's bindings: typed while a worker prepares a
            # screen, or for a screen (or a text box) that an earlier key of the same burst
            # has since opened, covered or focused
            self.held.append(events.Key(event.key, event.character))
            self._release_soon()
            return True
        return False

    def _typed_elsewhere(self, event: events.Key) -> bool:
        """The key was typed before the screen on top, or a focused text box, took over."""
        app = self.app
        screen, focused = self._typed_on.pop(event, (app.screen, app.focused))
        return screen is not app.screen or (isinstance(app.focused, Input) and app.focused is not focused)

    def release(self) -> None:
        """The held keys back into the queue, in the order typed. Called from the app's own
        queue (``call_later``), so every key queued before was held too, and keys from now
        on come after them."""
        self.released = True
        for key in self.held:
            self.app.post_message(key)
        self.held.clear()

    def screen_opening(self) -> None:
        """A worker starts preparing a screen: keys typed from now on are for it."""
        self.opening += 1

    def screen_opened(self) -> None:
        """A worker has pushed the screen it was preparing, or given up (UI thread)."""
        self.opening -= 1

    def _release_soon(self) -> None:
        if self._timer is None:
            self._timer = self.app.set_timer(_RECHECK, self._release_when_ready)

    def _release_when_ready(self) -> None:
        self._timer = None
        if self.opening or not self.app.screen.is_mounted:
            self._release_soon()
        else:
            self.app.call_later(self.release)
