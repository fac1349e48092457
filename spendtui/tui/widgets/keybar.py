"""The key bar: the active key bindings on one line, like Textual's Footer, as plain text.

Textual 8.2.8's ``Footer`` rebuilds its child widgets on every focus change and does not
release the old ones (a bare app grows ~12 MB per 200 focus changes), which a dashboard
left running for days cannot afford. This widget draws the same information into one
Static and only re-renders its text.

When the keys do not fit the width (80 columns), the last ones give way, but never
``? Help`` and ``q Quit``: help lists every key.
"""

from __future__ import annotations

from collections import defaultdict

from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

KEY_STYLE = "bold $footer-key-foreground"
#: Actions whose keys are always shown.
ESSENTIAL = ("help", "quit")


class KeyBar(Static):
    """Keys of the focused widget and its ancestors, grouped as the bindings ask."""

    DEFAULT_CSS = """
    KeyBar { dock: bottom; height: 1; background: $footer-background; color: $footer-foreground;
        padding: 0 1; }
    """

    def on_mount(self) -> None:
        self._watch(self.screen)

    def _watch(self, screen: Screen) -> None:
        screen.bindings_updated_signal.subscribe(self, self._changed)
        self.call_after_refresh(self._changed, screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _changed(self, screen: Screen) -> None:
        if self.is_attached and screen is self.screen:
            self.update(self.render_keys(screen))

    def on_resize(self) -> None:
        self._changed(self.screen)

    def render_keys(self, screen: Screen) -> Content:
        entries: list[tuple[str, str, str]] = []  # (keys, description, action)

        def add(keys: str, description: str, action: str = "") -> None:
            entries.append((keys, description, action))

        by_action: dict[str, list[Binding]] = defaultdict(list)
        for _, binding, enabled, _ in screen.active_bindings.values():
            if binding.show and enabled:
                by_action[binding.action].append(binding)
        groups: dict[Binding.Group, list[Binding]] = defaultdict(list)
        for bindings in by_action.values():
            if bindings[0].group is not None:
                groups[bindings[0].group].append(bindings[0])
        shown_groups: set[Binding.Group] = set()
        for bindings in by_action.values():
            binding = bindings[0]
            group = binding.group
            if group is not None and len(groups[group]) > 1:
                if group not in shown_groups:
                    shown_groups.add(group)
                    add("".join(self.app.get_key_display(b) for b in groups[group]), group.description)
                continue
            add(self.app.get_key_display(binding), binding.description, binding.action)
        palette = screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
        if palette is not None and self.app.ENABLE_COMMAND_PALETTE:
            add(self.app.get_key_display(palette[1]), "palette")
        return Content.assemble(*_fit(entries, (self.size.width or 200) - 2))


def _fit(entries: list[tuple[str, str, str]], width: int) -> list[tuple[str, str] | str]:
    """The entries that fit ``width``, in order; the essential ones first kept."""
    cost = [len(keys) + len(description) + 3 for keys, description, _ in entries]
    keep = [action in ESSENTIAL for _, _, action in entries]
    room = width - sum(c for c, k in zip(cost, keep, strict=True) if k)
    for i, (_, _, action) in enumerate(entries):
        if action not in ESSENTIAL and cost[i] <= room:
            keep[i], room = True, room - cost[i]
        elif action not in ESSENTIAL:
            room = -1  # (keep the order: nothing after the first that does not fit)
    parts: list[tuple[str, str] | str] = []
    for (keys, description, _), kept in zip(entries, keep, strict=True):
        if kept:
            parts += [(keys, KEY_STYLE), f" {description}  "]
    return parts
