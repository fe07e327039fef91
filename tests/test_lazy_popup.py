"""LazyPopup: state-only calls wait, in order, until the popup is really needed."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from claude_tray.documents import UsageDocument
from claude_tray.events import UsageUpdated
from claude_tray.lazy_popup import MAX_PENDING, LazyPopup
from claude_tray.trend import Trend


class FakePopup:
    def __init__(self, log: list[Any]) -> None:
        self.log = log
        self.tick_ms = 60_000
        self.usage_url = "https://claude.ai/settings/usage"

    def apply_snapshot(self, snapshot: object) -> None:
        self.log.append(("snapshot", snapshot))

    def apply_event(self, event: object) -> None:
        self.log.append(("event", event))

    def show_message(self, title: str, body: str, **kwargs: Any) -> None:
        self.log.append(("message", title, body, kwargs))

    def show(self) -> None:
        self.log.append(("show",))

    def hide(self) -> None:
        self.log.append(("hide",))


def _lazy() -> tuple[LazyPopup, list[Any], list[int]]:
    log: list[Any] = []
    builds: list[int] = []

    def build() -> FakePopup:
        builds.append(1)
        return FakePopup(log)

    return LazyPopup(build), log, builds


def test_state_calls_wait_and_replay_in_order() -> None:
    lazy, log, builds = _lazy()
    lazy.apply_snapshot("s0")
    lazy.apply_event("e1")
    lazy.show_message("t", "b", tone="warning")
    lazy.hide()  # nothing to hide yet
    assert builds == [] and log == [] and not lazy.built
    lazy.show()
    assert builds == [1] and lazy.built
    assert log == [
        ("snapshot", "s0"),
        ("event", "e1"),
        ("message", "t", "b", {"tone": "warning"}),
        ("show",),
    ]
    lazy.apply_event("e2")  # now straight through
    lazy.hide()
    assert log[-2:] == [("event", "e2"), ("hide",)] and builds == [1]


def test_reading_or_setting_an_attribute_builds_it() -> None:
    lazy, _log, builds = _lazy()
    assert lazy.usage_url.endswith("/usage") and builds == [1]
    lazy.tick_ms = 200
    assert lazy.ready().tick_ms == 200 and builds == [1]


def test_pending_calls_are_bounded_keeping_the_first_and_the_latest() -> None:
    lazy, log, _builds = _lazy()
    lazy.apply_snapshot("s0")
    for index in range(MAX_PENDING * 3):
        lazy.apply_event(index)
    lazy.ready()
    assert log[0] == ("snapshot", "s0")
    assert len(log) == MAX_PENDING + 1
    assert log[-1] == ("event", MAX_PENDING * 3 - 1)


def _usage(percent: float, trends: tuple[Trend, ...], *, stale: bool = False) -> UsageUpdated:
    document = UsageDocument(
        source="web", usage_percent=percent, last_updated=datetime.now(timezone.utc)
    )
    return UsageUpdated(document, stale=stale, trends=trends)


def test_only_the_latest_remembered_numbers_keep_their_sparklines() -> None:
    """Each poll's event carries every limit's sparkline (about 0.5 MB with a week of
    history); the popup replaces them whole, so a popup never opened keeps one set."""
    lazy, log, _builds = _lazy()
    week = tuple(Trend(f"limit{n}", 0.0, 1.0, (((0.0, 1.0), (1.0, 2.0)),)) for n in range(3))
    lazy.apply_event(_usage(10.0, (), stale=True))  # the cached numbers at start
    for percent in (20.0, 30.0, 40.0):
        lazy.apply_event(_usage(percent, week))
    lazy.apply_event("another event")
    lazy.ready()
    replayed = [event for kind, event in log if kind == "event"]
    assert replayed[-1] == "another event"
    numbers = [e for e in replayed if isinstance(e, UsageUpdated)]
    assert [e.document.usage_percent for e in numbers] == [10.0, 20.0, 30.0, 40.0]
    assert [e.trends for e in numbers] == [(), (), (), week]
    assert numbers[0].stale and not numbers[1].stale  # nothing else changed
