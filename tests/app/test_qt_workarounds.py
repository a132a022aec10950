"""The Qt binding in use must not leak references on signal emits."""

import sys

from PySide6.QtCore import QObject, Signal

from large_desktop.app.qt_workarounds import EMIT_DROPS_TRUE_REFERENCE, emit


EMITS = 1000
# Unrelated code may take or release a few references to True meanwhile, but a
# leak per emit would move the count by EMITS.
SLACK = 20


class _Sender(QObject):
    fired = Signal(int)


def test_pinned_binding_emit_keeps_true_alive():
    # PySide6-Essentials 6.12.0 drops one reference to True per emit; 6.11.3 does not.
    sender = _Sender()
    before = sys.getrefcount(True)

    for number in range(EMITS):
        sender.fired.emit(number)

    assert abs(sys.getrefcount(True) - before) < SLACK
    assert not EMIT_DROPS_TRUE_REFERENCE


def test_emit_wrapper_keeps_true_alive():
    sender = _Sender()
    received: list[int] = []
    sender.fired.connect(received.append)
    before = sys.getrefcount(True)

    for number in range(EMITS):
        emit(sender.fired, number)

    assert abs(sys.getrefcount(True) - before) < SLACK
    assert received == list(range(EMITS))


def test_garbage_collected_on_main_thread_only(qapp, qtbot):
    import gc
    import threading

    from large_desktop.app import qt_workarounds

    collected_on: list[int] = []

    def note(phase, info):
        if phase == "start":
            collected_on.append(threading.get_ident())

    # The autouse fixture has installed the timer for this test.
    assert not gc.isenabled()
    gc.callbacks.append(note)
    try:
        qtbot.waitUntil(lambda: bool(collected_on), timeout=5 * qt_workarounds.GC_INTERVAL_MS)
    finally:
        gc.callbacks.remove(note)

    assert set(collected_on) == {threading.main_thread().ident}
