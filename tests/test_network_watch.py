"""NetworkManager's "connected again" signal brings the next poll forward (issue 7, item 4).

A real `dbus-daemon` on a private socket stands in for the system bus; the
test sends NetworkManager's real `StateChanged` signal on it with jeepney.
"""

from __future__ import annotations

import queue
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from claude_tray.config import Config
from claude_tray.core import NETWORK_BACK_DELAY_SECONDS, Core
from claude_tray.documents import ErrorDocument, Limit, UsageDocument
from claude_tray.errors import ErrorCode
from claude_tray.events import Event
from claude_tray.network_watch import NM_INTERFACE, NM_PATH, NetworkWatch
from claude_tray.paths import AppPaths
from tests.support.core import FakeClock, InstantSleeper, ScriptedRunner

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="NetworkManager is Linux"),
]


@pytest.fixture
def bus_address(tmp_path: Path) -> Iterator[str]:
    """The address of a private, real dbus-daemon (ended afterwards)."""
    daemon = shutil.which("dbus-daemon")
    if daemon is None:
        pytest.fail("dbus-daemon is needed (apt install dbus)")
    socket_path = tmp_path / "bus"
    address = f"unix:path={socket_path}"
    process = subprocess.Popen(
        [daemon, "--session", "--nofork", "--nopidfile", f"--address={address}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(200):
            if socket_path.exists():
                break
            if process.poll() is not None:
                pytest.fail(f"dbus-daemon ended: {process.stderr.read() if process.stderr else ''}")
            threading.Event().wait(0.025)
        yield address
    finally:
        process.terminate()
        process.wait(timeout=10)


def _send_state(address: str, state: int) -> None:
    from jeepney import DBusAddress, new_signal
    from jeepney.io.blocking import open_dbus_connection

    with open_dbus_connection(address) as connection:
        emitter = DBusAddress(NM_PATH, interface=NM_INTERFACE)
        connection.send(new_signal(emitter, "StateChanged", "u", (state,)))


def test_connected_global_is_heard_once_per_return(bus_address: str) -> None:
    """Full connectivity after less is reported; a repeat or a partial state is not."""
    heard: queue.Queue[str] = queue.Queue()
    watch = NetworkWatch(lambda: heard.put("back"), bus=bus_address)
    assert watch.start()
    try:
        _send_state(bus_address, 20)  # disconnected
        _send_state(bus_address, 70)  # connected, global
        assert heard.get(timeout=10) == "back"
        _send_state(bus_address, 70)
        _send_state(bus_address, 60)  # site only: not yet
        _send_state(bus_address, 70)
        assert heard.get(timeout=10) == "back"
        with pytest.raises(queue.Empty):
            heard.get(timeout=0.5)
    finally:
        watch.stop()
    assert not watch.listening


def test_no_bus_is_fine(tmp_path: Path) -> None:
    """Without a bus to talk to, the watch simply does not start."""
    watch = NetworkWatch(lambda: None, bus=f"unix:path={tmp_path / 'nothing-here'}")
    assert not watch.start()
    watch.stop()


def test_network_back_after_a_network_error_polls_at_once(app_paths: AppPaths) -> None:
    """After network_error the next poll is the ladder's 30 s; NetworkManager's word makes it
    2 s. After a success the signal changes nothing."""
    clock = FakeClock()
    good = UsageDocument.build(
        source="web", limits=[Limit(id="session", kind="session", label="Session", percent=1.0)]
    )
    down = ErrorDocument(error=ErrorCode.NETWORK_ERROR, message="No route to the service.")
    events: queue.Queue[Event] = queue.Queue()
    core = Core(
        app_paths,
        Config(),
        events,
        runner=ScriptedRunner([down, good]),
        clock=clock,
        wall=clock,
        wait=InstantSleeper(clock).wait,
    )
    core.worker.start_polling()
    assert core.worker.step()
    assert core.worker.seconds_until_poll() == pytest.approx(30)
    core.network_back()
    assert core.worker.seconds_until_poll() == pytest.approx(NETWORK_BACK_DELAY_SECONDS)
    clock.advance(NETWORK_BACK_DELAY_SECONDS)
    assert core.worker.step()
    after_success = core.worker.seconds_until_poll()
    assert after_success is not None and after_success > 30  # the usual schedule again
    core.network_back()
    assert core.worker.seconds_until_poll() == pytest.approx(after_success)
