"""Real Linux desktop parts for GUI tests: a private session bus, xfce4-panel, dunst, sway+waybar.

Recipes from linux-desktops.md: every part gets a private HOME and XDG folders
under the test's temporary folder and talks on a bus of its own. This module
starts and stops test equipment only; it must NOT start the app or assert
anything about it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jeepney import DBusAddress, new_method_call
from jeepney.io.blocking import open_dbus_connection

from tests.support.gui import wait_for

SESSION_CONF = Path("/usr/share/dbus-1/session.conf")
WATCHER = "org.kde.StatusNotifierWatcher"
WATCHER_PATH = "/StatusNotifierWatcher"
NOTIFICATIONS = "org.freedesktop.Notifications"

PANEL_XML = """<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-panel" version="1.0">
  <property name="configver" type="int" value="2"/>
  <property name="panels" type="array">
    <value type="int" value="1"/>
    <property name="dark-mode" type="bool" value="false"/>
    <property name="panel-1" type="empty">
      <property name="position" type="string" value="p=6;x=0;y=0"/>
      <property name="length" type="uint" value="100"/>
      <property name="position-locked" type="bool" value="true"/>
      <property name="icon-size" type="uint" value="0"/>
      <property name="size" type="uint" value="32"/>
      <property name="plugin-ids" type="array">
        <value type="int" value="1"/> <value type="int" value="2"/>
      </property>
    </property>
  </property>
  <property name="plugins" type="empty">
    <property name="plugin-1" type="string" value="separator">
      <property name="expand" type="bool" value="true"/>
      <property name="style" type="uint" value="0"/>
    </property>
    <property name="plugin-2" type="string" value="systray">
      <property name="square-icons" type="bool" value="true"/>
    </property>
  </property>
</channel>
"""


def _stop(process: subprocess.Popen[bytes] | None, timeout: float = 10.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)


def private_env(root: Path, base: dict[str, str]) -> dict[str, str]:
    """`base` with HOME and the XDG folders under `root` (created), no desktop session."""
    env = dict(base)
    for name in ("WAYLAND_DISPLAY", "SESSION_MANAGER", "DBUS_SESSION_BUS_ADDRESS"):
        env.pop(name, None)
    home = root / "home"
    run = root / "run"
    for folder in (home / ".config", home / ".cache", home / ".local/share", run):
        folder.mkdir(parents=True, exist_ok=True)
    run.chmod(0o700)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_DATA_HOME=str(home / ".local/share"),
        XDG_RUNTIME_DIR=str(run),
        NO_AT_BRIDGE="1",
    )
    return env


@dataclass
class SessionBus:
    """A private dbus-daemon; `address` goes into DBUS_SESSION_BUS_ADDRESS."""

    process: subprocess.Popen[bytes]
    address: str
    #: The folder whose private HOME and XDG folders the bus (and what it starts) uses.
    root: Path

    def call(
        self,
        destination: str,
        path: str,
        interface: str,
        member: str,
        signature: str | None = None,
        body: tuple[Any, ...] = (),
        timeout: float = 5.0,
    ) -> tuple[Any, ...]:
        """One method call on this bus; the reply's body (raises on an error reply)."""
        address = DBusAddress(path, bus_name=destination, interface=interface)
        with open_dbus_connection(bus=self.address) as conn:
            reply = conn.send_and_get_reply(
                new_method_call(address, member, signature, body), timeout=timeout
            )
        if reply.header.message_type.name == "error":
            raise RuntimeError(f"{member}: {reply.body}")
        return tuple(reply.body)

    def has_owner(self, name: str) -> bool:
        body = self.call(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "NameHasOwner",
            "s",
            (name,),
        )
        return bool(body[0])

    def get_property(self, destination: str, path: str, interface: str, name: str) -> Any:
        body = self.call(
            destination, path, "org.freedesktop.DBus.Properties", "Get", "ss", (interface, name)
        )
        return body[0][1]  # a variant: (signature, value)

    def registered_items(self) -> list[str]:
        """The watcher's RegisteredStatusNotifierItems ([] when there is no watcher)."""
        if not self.has_owner(WATCHER):
            return []
        return list(
            self.get_property(WATCHER, WATCHER_PATH, WATCHER, "RegisteredStatusNotifierItems")
        )

    def stop(self) -> None:
        _stop(self.process)


def start_session_bus(
    folder: Path, *, activation: bool = True, any_user: bool = False
) -> SessionBus:
    """A dbus-daemon with Debian's session config; without the standard service folders
    when not `activation` (so no notification server starts by itself); open to every
    uid when `any_user` (sway and waybar run as nobody).

    The daemon runs with the private HOME and XDG folders of `folder`: services it
    starts by activation (xfconfd for the panel) inherit them, so nothing of the
    machine's own config is read or written.
    """
    text = SESSION_CONF.read_text()
    if not activation:
        text = text.replace("<standard_session_servicedirs />", "")
    if any_user:
        text = text.replace(
            '<policy context="default">', '<policy context="default">\n    <allow user="*"/>'
        )
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "session.conf"
    config.write_text(text)
    process = subprocess.Popen(
        ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
        env=private_env(folder, dict(os.environ)),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    address = process.stdout.readline().decode().strip()
    assert address, "dbus-daemon printed no address"
    return SessionBus(process, address, folder)


@dataclass
class XfcePanel:
    """xfce4-panel with only its Status Tray (an SNI host that owns the watcher) on a display."""

    display: str
    bus: SessionBus
    process: subprocess.Popen[bytes] | None = None
    logs: list[Path] = field(default_factory=list)

    @property
    def root(self) -> Path:
        return self.bus.root  # xfconfd, started by the bus, must read the same config

    def env(self) -> dict[str, str]:
        env = private_env(self.root, dict(os.environ))
        env.update(DISPLAY=self.display, DBUS_SESSION_BUS_ADDRESS=self.bus.address)
        env.pop("PYSTRAY_BACKEND", None)
        return env

    def start(self, timeout: float = 30.0) -> None:
        env = self.env()
        channel = Path(env["XDG_CONFIG_HOME"]) / "xfce4/xfconf/xfce-perchannel-xml"
        channel.mkdir(parents=True, exist_ok=True)
        (channel / "xfce4-panel.xml").write_text(PANEL_XML)
        log = self.root / f"panel-{len(self.logs)}.log"
        self.logs.append(log)
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                ["xfce4-panel", "--disable-wm-check"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_for(self.host_registered, timeout, "xfce4-panel's Status Tray to own the watcher")

    def host_registered(self) -> bool:
        try:
            if not self.bus.has_owner(WATCHER):
                return False
            return bool(
                self.bus.get_property(
                    WATCHER, WATCHER_PATH, WATCHER, "IsStatusNotifierHostRegistered"
                )
            )
        except Exception:
            return False

    def stop(self) -> None:
        """End the panel (and xfconfd it may have started) and wait until the watcher is gone."""
        _stop(self.process)
        self.process = None
        wait_for(lambda: not self.bus.has_owner(WATCHER), 15, "the watcher to leave the bus")


def start_dunst(display: str, bus: SessionBus) -> subprocess.Popen[bytes]:
    """dunst with its built-in defaults, once it owns org.freedesktop.Notifications."""
    root = bus.root
    env = private_env(root, dict(os.environ))
    env.update(DISPLAY=display, DBUS_SESSION_BUS_ADDRESS=bus.address)
    log = root / "dunst.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            ["dunst", "-config", "/dev/null"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    wait_for(lambda: bus.has_owner(NOTIFICATIONS), 15, "dunst to own the notification name")
    return process


def dunst_history(display: str, bus: SessionBus) -> list[dict[str, Any]]:
    """What dunst showed: closes every shown notification, then reads `dunstctl history`."""
    import json

    env = dict(os.environ, DISPLAY=display, DBUS_SESSION_BUS_ADDRESS=bus.address)
    subprocess.run(["dunstctl", "close-all"], env=env, check=False, timeout=10)
    time.sleep(0.3)
    out = subprocess.run(
        ["dunstctl", "history"], env=env, capture_output=True, text=True, timeout=10, check=True
    ).stdout
    entries = json.loads(out)["data"][0]
    return [{key: value["data"] for key, value in entry.items()} for entry in entries]


# --- sway and waybar, as nobody ---------------------------------------------------------------

NOBODY = 65534


@dataclass
class Sway:
    """Headless sway with waybar (its tray module) running as nobody on a shared bus."""

    root: Path
    bus: SessionBus
    sway: subprocess.Popen[bytes]
    waybar: subprocess.Popen[bytes] | None
    wayland_display: str

    def screenshot(self, path: Path) -> Path:
        env = dict(os.environ, WAYLAND_DISPLAY=self.wayland_display)
        subprocess.run(["grim", str(path)], env=env, check=True, timeout=30)
        return path

    def stop(self) -> None:
        _stop(self.waybar)
        _stop(self.sway)
        shutil.rmtree(self.root, ignore_errors=True)


def start_sway_waybar(bus: SessionBus, timeout: float = 60.0) -> Sway:
    """sway and waybar as nobody, in a fresh folder of their own under the temp dir
    (pytest's folders are 0700 root, which nobody cannot enter); `stop` removes it."""
    for tool in ("sway", "waybar", "grim", "setpriv"):
        assert shutil.which(tool), f"{tool} is not installed"
    root = Path(tempfile.mkdtemp(prefix="claude-tray-sway-"))
    os.chown(root, NOBODY, NOBODY)
    home = root / "home"
    run = root / "run"
    (home / ".config/waybar").mkdir(parents=True, exist_ok=True)
    (home / ".cache").mkdir(parents=True, exist_ok=True)
    run.mkdir(parents=True, exist_ok=True)
    (root / "sway.conf").write_text(
        "output HEADLESS-1 resolution 1280x800 bg #404040 solid_color\n"
    )
    (home / ".config/waybar/config").write_text(
        '{ "layer": "top", "position": "top", "height": 30, "modules-right": ["tray"],'
        ' "tray": { "icon-size": 22, "spacing": 6 } }\n'
    )
    for path in [root, home, run, *home.rglob("*")]:
        os.chown(path, NOBODY, NOBODY)
    run.chmod(0o700)
    nobody = [
        "setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "env", "-i",
        "PATH=/usr/bin:/bin", f"HOME={home}", f"XDG_RUNTIME_DIR={run}",
        f"XDG_CONFIG_HOME={home / '.config'}", f"XDG_CACHE_HOME={home / '.cache'}",
        f"DBUS_SESSION_BUS_ADDRESS={bus.address}", "NO_AT_BRIDGE=1",
    ]  # fmt: skip
    with open(root / "sway.log", "wb") as out:
        sway = subprocess.Popen(
            [
                *nobody,
                "WLR_BACKENDS=headless",
                "WLR_LIBINPUT_NO_DEVICES=1",
                "WLR_RENDERER=pixman",
                "sway",
                "-c",
                str(root / "sway.conf"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    def socket() -> str | None:
        for entry in run.glob("wayland-*"):
            if re.fullmatch(r"wayland-\d+", entry.name):
                return entry.name
        return None

    try:
        name = wait_for(socket, timeout, "sway's Wayland socket")
        with open(root / "waybar.log", "wb") as out:
            waybar = subprocess.Popen(
                [
                    *nobody,
                    f"WAYLAND_DISPLAY={name}",
                    "waybar",
                    "-c",
                    str(home / ".config/waybar/config"),
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_for(lambda: bus.has_owner(WATCHER), timeout, "waybar to own the watcher")
    except BaseException:
        with contextlib.suppress(NameError):
            _stop(waybar)
        _stop(sway)
        shutil.rmtree(root, ignore_errors=True)
        raise
    return Sway(root, bus, sway, waybar, str(run / name))
