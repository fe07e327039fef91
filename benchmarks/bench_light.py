"""Benchmark: a one-shot poll against the physical limit, in one interleaved run (issue 12).

Starts the claude.ai emulator as a child process, stores its session key in a
temporary CLAUDE_TRAY_HOME, and then runs, interleaved round by round (the
order rotates each round, so no command always follows the same one):

- `python -c pass`                   the interpreter's own start;
- a minimal reader                   one process, stdlib urllib: organizations,
                                     then usage, print the JSON (written below);
- `python -m claude_tray.scraper poll --source web`   the scraper child alone;
- `python -m claude_tray status --json`               command line + child;
- `python -m claude_tray status --json --max-age …`   the cached path, when the
                                     command line has `--max-age` (else reported
                                     as missing); `--max-age-format waybar|text`
                                     measures that output instead of --json.

`--with-config` gives each home a config.toml (every command then reads it).

For each it prints the median wall time, the median CPU time (user + system
of the whole tree, from `wait4`: a busy machine disturbs it less than wall
time), the peak resident memory of the largest process (its VmHWM) and of the
whole process tree (the summed VmRSS), both sampled from /proc every few
milliseconds while it runs, and the ratios to the minimal reader. This
process must import nothing but the standard library (it runs the emulator as a
child of its own), so its own memory stays out of the way (`ru_maxrss` of a
child even counts the parent's memory at fork time: it is used only for a
child too short to be sampled). It must not assert a time: the figures are
for the note, and the machine may be busy.

    python benchmarks/bench_light.py [--runs 10] [--repo PATH] [--before PATH] [--json]
                                     [--max-age SECONDS] [--max-age-format FORMAT]
                                     [--with-config]

`--repo` runs another checkout's code (its package and its `python -m`);
`--before PATH` adds that checkout's scraper poll and `status` commands to the
same interleaved rounds (rows named "before: …", with a home of their own),
so before/after figures come from one run on the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

#: The smallest honest one-process poll: what any monitor must at least do.
MINIMAL_READER = """
import json, os, urllib.request
base = os.environ["BENCH_BASE_URL"]
headers = {"Cookie": "sessionKey=" + os.environ["BENCH_SESSION_KEY"]}
def get(path):
    request = urllib.request.Request(base + path, headers=headers)
    with urllib.request.urlopen(request, timeout=20) as answer:
        return json.loads(answer.read())
orgs = get("/api/organizations")
org = next(o for o in orgs if "chat" in (o.get("capabilities") or []))
print(json.dumps(get("/api/organizations/" + org["uuid"] + "/usage")))
"""

#: A config file as a user has one after saving Settings once (`--with-config`).
SAVED_CONFIG = """source = "auto"
interval_minutes = 5
icon_limit = "highest"

[thresholds]
moderate = 50.0
warning = 75.0
critical = 90.0
"""

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4


@dataclass
class Sample:
    seconds: float
    largest_mb: float  # peak RSS of the largest process in the tree (wait4)
    tree_mb: float  # peak of the summed RSS of the tree, sampled
    cpu_s: float  # user + system CPU of the tree (wait4: the process and its reaped children)
    ok: bool
    detail: str


@dataclass
class Command:
    name: str
    argv: list[str]
    #: "usage": stdout is a usage document (or the reader's raw body); "waybar": a Waybar
    #: line with numbers; "none": only the exit code counts.
    expect: str
    samples: list[Sample] = field(default_factory=list)
    #: The environment and folder of another checkout (`--before`); None: the main ones.
    env: dict[str, str] | None = None
    cwd: Path | None = None


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                found.extend(int(part) for part in handle.read().split())
        except (OSError, ValueError):
            continue
    return found


def _memory_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of one process in KiB; zeros when it is gone."""
    rss = hwm = 0
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return rss, hwm


class TreeSampler(threading.Thread):
    """Peak memory of a process tree, read from /proc until told to stop.

    `tree_kb`: the highest sum of VmRSS over the tree at one moment;
    `largest_kb`: the highest VmHWM (a process's own peak) of any process in it.
    """

    def __init__(self, pid: int, every: float = 0.003) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.every = every
        self.tree_kb = 0
        self.largest_kb = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            total, todo, seen = 0, [self.pid], set()
            while todo:
                pid = todo.pop()
                if pid in seen:
                    continue
                seen.add(pid)
                rss, hwm = _memory_kb(pid)
                total += rss
                self.largest_kb = max(self.largest_kb, hwm)
                todo.extend(_children(pid))
            self.tree_kb = max(self.tree_kb, total)
            self.done.wait(self.every)


def run_one(command: Command, env: dict[str, str], cwd: Path) -> Sample:
    started = time.perf_counter()
    proc = subprocess.Popen(
        command.argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    sampler = TreeSampler(proc.pid)
    sampler.start()
    assert proc.stdout is not None
    out = proc.stdout.read()
    proc.stdout.close()
    # Stop sampling before reaping: a reaped pid could be reused by another process.
    sampler.done.set()
    sampler.join()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss (KiB on Linux) also counts this process's memory at fork time:
    # only a fallback for a child too short to be sampled.
    largest = (sampler.largest_kb or usage.ru_maxrss) / 1024
    text = out.decode("utf-8", errors="replace").strip()
    ok = proc.returncode == 0
    if ok and command.expect == "usage":
        try:
            document = json.loads(text)
            ok = "five_hour" in document or document.get("status") == "success"
        except ValueError:
            ok = False
    elif ok and command.expect == "waybar":
        try:
            ok = json.loads(text).get("class") not in ("error", "login")
        except (ValueError, AttributeError):
            ok = False
    cpu = usage.ru_utime + usage.ru_stime
    return Sample(seconds, largest, max(sampler.tree_kb / 1024, largest), cpu, ok, text[:200])


def _login(python: str, env: dict[str, str], cwd: Path, session_key: str) -> None:
    subprocess.run(
        [python, "-m", "claude_tray.scraper", "login", "--session-key-stdin"],
        input=session_key + "\n",
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def _max_age_command(python: str, max_age: str, fmt: str) -> Command:
    shape = ["--json"] if fmt == "json" else ["--format", fmt]
    argv = [python, "-m", "claude_tray", "status", *shape, "--source", "web"]
    name = f"status --max-age {max_age}" + ("" if fmt == "json" else f" {fmt}")
    expect = {"json": "usage", "waybar": "waybar"}.get(fmt, "none")
    return Command(name, [*argv, "--max-age", max_age], expect)


def _write_config(home: Path) -> None:
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(SAVED_CONFIG, encoding="utf-8")


def has_max_age(python: str, env: dict[str, str], cwd: Path) -> bool:
    done = subprocess.run(
        [python, "-m", "claude_tray", "status", "--help"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return "--max-age" in done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="rounds (default 10)")
    parser.add_argument("--repo", type=Path, default=REPO_ROOT, help="checkout to measure")
    parser.add_argument("--max-age", default="3600", help="seconds for status --max-age")
    parser.add_argument(
        "--max-age-format",
        choices=("json", "waybar", "text"),
        default="json",
        help="what status --max-age prints (default json; a status bar may use waybar or text)",
    )
    parser.add_argument(
        "--with-config",
        action="store_true",
        help="give each home a config.toml, as after saving Settings once (default: none)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument(
        "--before", type=Path, default=None, help="another checkout measured in the same rounds"
    )
    args = parser.parse_args()
    repo: Path = args.repo.resolve()
    python = sys.executable

    with tempfile.TemporaryDirectory(prefix="bench-light-") as home:
        env = {
            key: value
            for key, value in os.environ.items()
            # PYTHONDONTWRITEBYTECODE (set on these build machines) would make every
            # run compile our modules from source, which no installed copy does:
            # the warm-up round writes the .pyc files an install would have.
            if not key.startswith("CLAUDE_TRAY_")
            and key not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")
        }
        env.update(
            {
                "CLAUDE_TRAY_HOME": home,
                "CLAUDE_CONFIG_DIR": str(Path(home) / "no-claude-code"),
                "PYTHONPATH": str(repo),
            }
        )
        info_file = Path(home) / "emulator.json"
        emulator = subprocess.Popen(
            [python, "-m", "claude_tray.emulator", "--port", "0", "--info-file", str(info_file)],
            env=env,
            cwd=repo,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            return _measure(args, repo, python, env, info_file)
        finally:
            emulator.terminate()
            emulator.wait(timeout=30)


def _measure(
    args: argparse.Namespace, repo: Path, python: str, env: dict[str, str], info_file: Path
) -> int:
    deadline = time.monotonic() + 60
    while not info_file.exists() or not info_file.read_text(encoding="utf-8").strip():
        if time.monotonic() > deadline:
            raise SystemExit("the emulator did not start")
        time.sleep(0.05)
    time.sleep(0.05)  # the file is written whole, but let the server settle
    info = json.loads(info_file.read_text(encoding="utf-8"))
    env.update(
        {
            "CLAUDE_TRAY_BASE_URL": info["base_url"],
            "CLAUDE_TRAY_API_URL": info["base_url"],
            "BENCH_BASE_URL": info["base_url"],
            "BENCH_SESSION_KEY": info["session_key"],
        }
    )
    # Store the session as a user's login would: through the scraper, key on stdin.
    _login(python, env, repo, info["session_key"])
    if args.with_config:
        _write_config(Path(env["CLAUDE_TRAY_HOME"]))
    commands = [
        Command("python -c pass", [python, "-c", "pass"], "none"),
        Command("minimal reader", [python, "-c", MINIMAL_READER], "usage"),
        Command(
            "scraper poll",
            [python, "-m", "claude_tray.scraper", "poll", "--source", "web"],
            "usage",
        ),
        Command(
            "status --json",
            [python, "-m", "claude_tray", "status", "--json", "--source", "web"],
            "usage",
        ),
    ]
    max_age = has_max_age(python, env, repo)
    if max_age:
        commands.append(_max_age_command(python, args.max_age, args.max_age_format))
    if args.before is not None:
        before = args.before.resolve()
        before_home = Path(env["CLAUDE_TRAY_HOME"]) / "before"
        before_env = {
            **env,
            "CLAUDE_TRAY_HOME": str(before_home),
            "CLAUDE_CONFIG_DIR": str(before_home / "no-claude-code"),
            "PYTHONPATH": str(before),
        }
        _login(python, before_env, before, info["session_key"])
        if args.with_config:
            _write_config(before_home)
        theirs = list(commands[2:4])  # the scraper poll and status --json
        if has_max_age(python, before_env, before):
            theirs.append(_max_age_command(python, args.max_age, args.max_age_format))
        for command in theirs:
            commands.append(
                Command(
                    f"before: {command.name}",
                    command.argv,
                    command.expect,
                    env=before_env,
                    cwd=before,
                )
            )
    # Warm-up (compiles .pyc files, fills the OS cache, makes the runner's
    # handshake and the cache a user would have after one run): not counted.
    for command in commands:
        run_one(command, command.env or env, command.cwd or repo)
    for round_index in range(args.runs):
        shift = round_index % len(commands)
        for command in commands[shift:] + commands[:shift]:
            command.samples.append(run_one(command, command.env or env, command.cwd or repo))

    reader = statistics.median(s.seconds for s in commands[1].samples)
    rows = []
    print(f"repo: {repo}" + (f"; before: {args.before.resolve()}" if args.before else ""))
    print(
        f"{'command':<36} {'median s':>9} {'x reader':>9} {'cpu s':>7} {'x reader':>9} "
        f"{'largest MB':>11} {'tree MB':>8}  ok"
    )
    reader_cpu = statistics.median(s.cpu_s for s in commands[1].samples)
    for command in commands:
        samples = command.samples
        median = statistics.median(s.seconds for s in samples)
        largest = statistics.median(s.largest_mb for s in samples)
        tree = statistics.median(s.tree_mb for s in samples)
        cpu = statistics.median(s.cpu_s for s in samples)
        ok = sum(s.ok for s in samples)
        rows.append(
            {
                "command": command.name,
                "median_s": round(median, 4),
                "ratio_to_reader": round(median / reader, 2),
                "cpu_s": round(cpu, 4),
                "cpu_ratio_to_reader": round(cpu / reader_cpu, 2),
                "largest_process_mb": round(largest, 1),
                "tree_peak_mb": round(tree, 1),
                "ok": f"{ok}/{len(samples)}",
            }
        )
        print(
            f"{command.name:<36} {median:>9.3f} {median / reader:>9.2f} {cpu:>7.3f} "
            f"{cpu / reader_cpu:>9.2f} {largest:>11.1f} {tree:>8.1f}  {ok}/{len(samples)}"
        )
        for sample in samples:
            if not sample.ok:
                print(f"    failed run: {sample.detail}")
                break
    if not max_age:
        print("status --max-age: missing (this checkout's `status` has no --max-age option)")
    if hasattr(os, "getloadavg"):
        print(f"load average (1 min): {os.getloadavg()[0]:.2f}; wall-clock figures, shared machine")
    if args.json:
        print(json.dumps({"repo": str(repo), "rows": rows, "max_age": max_age}))
    return 0 if all(s.ok for c in commands for s in c.samples) else 1


if __name__ == "__main__":
    raise SystemExit(main())
