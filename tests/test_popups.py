"""The budget popup pacer: one summary at a time, spaced (spendtui/dashboard/popups.py)."""

from __future__ import annotations

from spendtui.dashboard.popups import PopupPacer


def test_crossings_of_one_refresh_make_one_popup() -> None:
    pacer = PopupPacer(every=10)
    assert pacer.wait(0) is None and pacer.take(0) is None
    pacer.add((("warning", "▲ a"), ("exceeded", "✗ b"), ("warning", "▲ c"), ("warning", "▲ d")))
    popup = pacer.take(100)
    assert popup is not None and popup.title == "4 budget alerts" and popup.severity == "error"
    assert popup.text.splitlines()[:4] == ["▲ a", "✗ b", "▲ c", "and 1 more"]


def test_popups_are_spaced_and_nothing_is_lost() -> None:
    pacer = PopupPacer(every=10)
    pacer.add((("warning", "▲ a"),))
    first = pacer.take(100)
    assert first is not None and first.text == "▲ a" and first.severity == "warning"
    pacer.add((("warning", "▲ b"),))
    assert pacer.take(104) is None and pacer.wait(104) == 6
    pacer.add((("exceeded", "✗ c"),))
    second = pacer.take(110)
    assert second is not None and "▲ b" in second.text and "✗ c" in second.text
    assert pacer.wait(111) is None
