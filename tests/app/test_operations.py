"""Background ops run off the UI thread and report back on it."""

import errno
import threading

import pytest
from PySide6.QtCore import QThreadPool

from large_desktop.app import operations
from large_desktop.app.operations import BackgroundOp, ProgressOp
from large_desktop.core.errors import Interrupted, UserInputError
from large_desktop.core.packs.download import write_error


def test_op_runs_off_main_thread(qtbot):
    main = threading.get_ident()
    seen = {}

    def work():
        seen["work"] = threading.get_ident()
        return 42

    def done(result):
        seen["success"] = threading.get_ident()
        seen["result"] = result

    BackgroundOp(work).on_success(done).run()
    qtbot.waitUntil(lambda: "result" in seen, timeout=5000)

    assert seen["work"] != main
    assert seen["success"] == main
    assert seen["result"] == 42


def test_progress_op_order_and_result(qtbot):
    progress: list[int] = []
    results: list[int] = []

    ProgressOp(lambda: iter(range(5))).on_progress(progress.append).on_success(results.append).run()
    qtbot.waitUntil(lambda: bool(results), timeout=5000)

    assert progress == [0, 1, 2, 3, 4]
    assert results == [4]


def test_op_domain_error_reaches_sink(qtbot, messages):
    def work():
        raise UserInputError("label value 'x' is not a number")

    BackgroundOp(work).run()
    qtbot.waitUntil(lambda: bool(messages), timeout=5000)

    assert messages == ["label value 'x' is not a number"]


def test_disk_full_message_names_no_command(qtbot, messages, tmp_path):
    def work():
        raise write_error(OSError(errno.ENOSPC, "No space left on device"), tmp_path, "http://127.0.0.1/e4e.pt")

    BackgroundOp(work).run()
    qtbot.waitUntil(lambda: bool(messages), timeout=5000)

    assert len(messages) == 1
    assert "no space left in" in messages[0]
    assert "then try again" in messages[0]
    assert "command" not in messages[0]


def test_op_cancellation_is_silent(qtbot, messages):
    def work():
        raise Interrupted("stopped")

    BackgroundOp(work).run()
    QThreadPool.globalInstance().waitForDone(5000)
    qtbot.wait(50)

    assert messages == []


def test_op_bug_logged_with_traceback(qtbot, messages, caplog):
    def work():
        raise ZeroDivisionError("division by zero")

    BackgroundOp(work).run()
    qtbot.waitUntil(lambda: bool(messages), timeout=5000)

    assert "ZeroDivisionError" in messages[0]
    assert any(record.exc_info for record in caplog.records if record.name == operations.__name__)


def test_writer_pool_runs_writes_in_order(qtbot):
    order: list[int] = []

    for number in range(20):
        BackgroundOp(lambda number=number: order.append(number)).run(operations.writer_pool())
    operations.writer_pool().waitForDone(5000)

    assert order == list(range(20))
