"""The single-instance lock: one tray app per user, a second one asks the first to show."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from claude_tray.single_instance import (
    AnotherInstance,
    InstanceLock,
    LockInfo,
    acquire,
    ask_to_show,
    new_token,
    pid_alive,
    same_token,
)
from tests.support.private import assert_private

REPO = Path(__file__).resolve().parents[1]

SECOND_INSTANCE = """
import sys
from pathlib import Path
from claude_tray.single_instance import InstanceLock, acquire
result = acquire(Path(sys.argv[1]))
if isinstance(result, InstanceLock):
    result.close()
    print("first")
else:
    print("second", result.pid)
"""


@pytest.fixture
def lock_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "instance.lock"


@pytest.fixture
def held(lock_path: Path) -> Iterator[InstanceLock]:
    result = acquire(lock_path)
    assert isinstance(result, InstanceLock)
    with result:
        yield result


def dead_pid() -> int:
    """The PID of a process that has already exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_first_acquire_writes_private_lock_with_pid_port_and_token(
    held: InstanceLock, lock_path: Path
) -> None:
    """The first instance writes a 0600 lock file naming its PID, port and a token."""
    raw = json.loads(lock_path.read_text())
    assert raw["pid"] == os.getpid()
    assert raw["port"] == held.info.port > 0
    assert len(raw["token"]) >= 20
    assert_private(lock_path)


def test_second_process_asks_first_to_show_and_gets_its_info(
    held: InstanceLock, lock_path: Path
) -> None:
    """A second process finds the first one, which receives exactly one show request."""
    shown = threading.Event()
    calls: list[str] = []

    def on_show() -> None:
        calls.append("show")
        shown.set()

    held.set_on_show(on_show)
    out = subprocess.run(
        [sys.executable, "-c", SECOND_INSTANCE, str(lock_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    assert out == ["second", str(os.getpid())]
    assert shown.wait(10)
    assert calls == ["show"]
    assert lock_path.exists()  # the first instance keeps its lock


def test_request_before_app_ready_is_replayed(held: InstanceLock) -> None:
    """A show request that arrives before the app set its callback is delivered later."""
    assert ask_to_show(held.info)
    calls: list[str] = []
    # The listener handles the request on its own thread; give it time to record it.
    for _ in range(100):
        with held._guard:
            if held._pending_show:
                break
        threading.Event().wait(0.05)
    held.set_on_show(lambda: calls.append("show"))
    assert calls == ["show"]


def test_wrong_token_is_not_obeyed(held: InstanceLock) -> None:
    """A request without the lock's token is ignored and not answered."""
    calls: list[str] = []
    held.set_on_show(lambda: calls.append("show"))
    forged = LockInfo(pid=held.info.pid, port=held.info.port, token="not-the-token")
    assert ask_to_show(forged, timeout=2.0) is False
    assert calls == []


def test_stale_lock_with_dead_pid_is_taken_over(lock_path: Path) -> None:
    """A lock whose PID no longer exists is replaced by the new instance."""
    lock_path.parent.mkdir(parents=True)
    stale = LockInfo(pid=dead_pid(), port=1, token="old")
    lock_path.write_text(stale.to_json())
    result = acquire(lock_path)
    assert isinstance(result, InstanceLock)
    with result:
        assert LockInfo.from_text(lock_path.read_text()) == result.info
        assert result.info.pid == os.getpid()


def test_lock_of_live_pid_without_listener_is_taken_over(lock_path: Path) -> None:
    """A lock naming a live process that does not listen on the port (reused PID) is stale."""
    lock_path.parent.mkdir(parents=True)
    with socket.socket() as probe:  # a port that was free a moment ago, nobody listening
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock_path.write_text(LockInfo(pid=sleeper.pid, port=free_port, token="x").to_json())
        result = acquire(lock_path)
        assert isinstance(result, InstanceLock)
        result.close()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_live_instance_that_does_not_answer_is_reported(lock_path: Path) -> None:
    """A live instance whose port accepts but never answers gives a clear error."""
    lock_path.parent.mkdir(parents=True)
    with socket.socket() as mute:
        mute.bind(("127.0.0.1", 0))
        mute.listen(1)
        port = mute.getsockname()[1]
        sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        try:
            lock_path.write_text(LockInfo(pid=sleeper.pid, port=port, token="t").to_json())
            with pytest.raises(AnotherInstance, match=f"PID {sleeper.pid}"):
                acquire(lock_path)
        finally:
            sleeper.kill()
            sleeper.wait()
    assert lock_path.exists()  # not taken over: that instance may still be alive


def test_close_removes_only_our_own_lock(lock_path: Path) -> None:
    """Closing removes the lock file, but not one another instance wrote meanwhile."""
    first = acquire(lock_path)
    assert isinstance(first, InstanceLock)
    first.close()
    assert not lock_path.exists()
    second = acquire(lock_path)
    assert isinstance(second, InstanceLock)
    other = LockInfo(pid=second.info.pid, port=second.info.port, token="replaced")
    lock_path.write_text(other.to_json())
    second.close()
    assert lock_path.exists()


def test_pid_alive_tells_live_from_dead() -> None:
    """pid_alive is True for this process and False for a reaped child."""
    assert pid_alive(os.getpid())
    assert not pid_alive(dead_pid())
    assert not pid_alive(0)


def test_tokens_are_random_url_safe_and_compared_exactly() -> None:
    """The token (no `secrets`/`hmac`: they load OpenSSL in the tray) and its comparison."""
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50
    assert all(len(t) == 32 and t.replace("-", "").replace("_", "").isalnum() for t in tokens)
    token = next(iter(tokens)).encode()
    assert same_token(token, bytes(token))
    assert not same_token(token, token[:-1])
    assert not same_token(token, token[:-1] + (b"A" if token[-1:] != b"A" else b"B"))
    assert not same_token(b"", token) and same_token(b"", b"")
