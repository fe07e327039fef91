"""The logging setup: rotating file, thread names, stderr with --debug, redaction everywhere."""

from __future__ import annotations

import logging
import threading
import warnings
from pathlib import Path

import pytest

from claude_tray import logsetup
from claude_tray.logsetup import installed_handlers, setup_logging
from claude_tray.paths import AppPaths
from tests.support.cli import assert_secret_absent, fake_oauth_token, fake_session_key
from tests.support.cli import restore_logging as restore_logging  # autouse fixture
from tests.support.private import assert_private


def _flush() -> None:
    for handler in installed_handlers():
        handler.flush()


def _log_text(paths: AppPaths) -> str:
    _flush()
    return paths.log_file.read_text(encoding="utf-8")


def test_foreign_logger_key_is_redacted_in_file(app_paths: AppPaths) -> None:
    """A key-shaped value logged by a logger that is not ours ends redacted in the file."""
    setup_logging(app_paths)
    key = fake_session_key()
    token = fake_oauth_token()
    logging.getLogger("urllib3.somewhere").warning("sent cookie sessionKey=%s", key)
    logging.getLogger("thirdparty").info("Authorization: Bearer %s", token)
    logging.getLogger("other").info("cookies %s", {"sessionKey": "plain-value-1234"})
    text = _log_text(app_paths)
    assert "sent cookie sessionKey=[redacted]" in text
    assert_secret_absent(key, text)
    assert_secret_absent(token, text)
    assert_secret_absent("plain-value-1234", text)
    assert "[redacted]" in text


def test_traceback_secret_is_redacted(app_paths: AppPaths) -> None:
    """A secret inside an exception message logged with its traceback is redacted too."""
    setup_logging(app_paths)
    key = fake_session_key()
    try:
        raise RuntimeError(f"bad key {key}")
    except RuntimeError:
        logging.getLogger("claude_tray.test").exception("failed")
    text = _log_text(app_paths)
    assert "RuntimeError: bad key [redacted]" in text
    assert_secret_absent(key, text)


def test_thread_name_in_every_line(app_paths: AppPaths) -> None:
    """Each line names the thread that wrote it."""
    setup_logging(app_paths)
    logging.getLogger("claude_tray.a").info("from main")
    worker = threading.Thread(
        target=lambda: logging.getLogger("claude_tray.b").info("from worker"),
        name="poll-worker",
    )
    worker.start()
    worker.join()
    lines = [line for line in _log_text(app_paths).splitlines() if line]
    assert any("[MainThread]" in line and "from main" in line for line in lines)
    assert any("[poll-worker]" in line and "from worker" in line for line in lines)
    assert all("[" in line and "]" in line for line in lines)


def test_second_call_adds_no_handlers(app_paths: AppPaths) -> None:
    """Calling setup twice leaves the same number of handlers and logs each record once."""
    root = logging.getLogger()
    before = len(root.handlers)
    setup_logging(app_paths, debug=True)
    count = len(root.handlers)
    setup_logging(app_paths, debug=True)
    assert len(root.handlers) == count == before + 2
    logging.getLogger("claude_tray.x").info("only once please")
    assert _log_text(app_paths).count("only once please") == 1


def test_debug_also_logs_to_stderr(app_paths: AppPaths, capsys: pytest.CaptureFixture[str]) -> None:
    """With debug, debug records reach both the file and stderr, redacted."""
    setup_logging(app_paths, debug=True)
    key = fake_session_key()
    logging.getLogger("claude_tray.x").debug("detail with %s", key)
    err = capsys.readouterr().err
    assert "detail with [redacted]" in err
    assert "[MainThread]" in err
    assert_secret_absent(key, err)
    assert "detail with [redacted]" in _log_text(app_paths)


def test_without_debug_nothing_on_stderr_and_no_debug_records(
    app_paths: AppPaths, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without debug, stderr stays quiet and debug records are not written."""
    setup_logging(app_paths)
    logging.getLogger("claude_tray.x").debug("hidden detail")
    logging.getLogger("claude_tray.x").warning("visible warning")
    assert capsys.readouterr().err == ""
    text = _log_text(app_paths)
    assert "visible warning" in text
    assert "hidden detail" not in text


def test_rotation_keeps_a_bounded_number_of_files(
    app_paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the size limit the file rotates, and only BACKUP_COUNT old files are kept."""
    monkeypatch.setattr(logsetup, "MAX_BYTES", 2_000)
    setup_logging(app_paths)
    log = logging.getLogger("claude_tray.bulk")
    for index in range(400):
        log.info("line %04d %s", index, "x" * 60)
    _flush()
    files = sorted(p.name for p in app_paths.log_dir.iterdir())
    assert "claude-tray.log.1" in files
    assert f"claude-tray.log.{logsetup.BACKUP_COUNT}" in files
    assert f"claude-tray.log.{logsetup.BACKUP_COUNT + 1}" not in files
    for path in app_paths.log_dir.iterdir():
        assert path.stat().st_size <= 2_000 + 200
    assert "line 0399" in app_paths.log_file.read_text(encoding="utf-8")


def test_a_one_shot_command_appends_while_the_log_has_room(
    app_paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`status` and friends append their few lines; a full log is rotated before them."""
    monkeypatch.setattr(logsetup, "MAX_BYTES", 2_000)
    app_paths.log_dir.mkdir(parents=True, exist_ok=True)
    app_paths.log_file.write_text("x" * 1_500 + "\n", encoding="utf-8")
    setup_logging(app_paths, one_shot=True)
    logging.getLogger("claude_tray.x").info("one %s", "y" * 600)
    text = _log_text(app_paths)
    assert text.startswith("x" * 1_500) and "one yyy" in text  # past MAX_BYTES, not rotated
    assert sorted(p.name for p in app_paths.log_dir.iterdir()) == ["claude-tray.log"]
    assert_private(app_paths.log_file)

    # The next one-shot command finds the log full: its first line starts a new file.
    setup_logging(app_paths, one_shot=True)
    logging.getLogger("claude_tray.x").info("two")
    assert "two" in _log_text(app_paths) and "one yyy" not in _log_text(app_paths)
    rotated = app_paths.log_dir / "claude-tray.log.1"
    assert "one yyy" in rotated.read_text(encoding="utf-8")
    assert_private(rotated)
    assert_private(app_paths.log_file)


def test_log_files_are_private(app_paths: AppPaths, monkeypatch: pytest.MonkeyPatch) -> None:
    """The log file and its rotated copies are readable by the user alone."""
    monkeypatch.setattr(logsetup, "MAX_BYTES", 500)
    setup_logging(app_paths)
    for index in range(50):
        logging.getLogger("claude_tray.x").info("line %d %s", index, "y" * 40)
    _flush()
    for path in app_paths.log_dir.iterdir():
        assert_private(path)


def test_unwritable_log_folder_falls_back_to_stderr(
    tray_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """When the log folder cannot be created, setup does not raise and warnings go to stderr."""
    tray_home.mkdir(parents=True)
    (tray_home / "logs").write_text("a file where the folder should be")
    paths = AppPaths.from_env({"CLAUDE_TRAY_HOME": str(tray_home)})
    setup_logging(paths)
    logging.getLogger("claude_tray.x").warning("still heard")
    err = capsys.readouterr().err
    assert "cannot write the log file" in err
    assert "still heard" in err


def test_python_warnings_are_logged_redacted(app_paths: AppPaths) -> None:
    """warnings.warn from a library lands in the log file, with secrets redacted."""
    setup_logging(app_paths)
    key = fake_session_key()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn(f"deprecated use with {key}", DeprecationWarning, stacklevel=1)
    text = _log_text(app_paths)
    assert "deprecated use with [redacted]" in text
    assert_secret_absent(key, text)
