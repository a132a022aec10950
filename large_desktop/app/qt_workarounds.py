"""Workarounds for bugs in the Qt bindings this app ships with.

WORKAROUND for PySide6-Essentials 6.12.0 on CPython 3.11: `SignalInstance.emit`
returns `True` without taking a reference to it, so every emit from Python
lowers the reference count of `True` by one. After a few thousand emits
(thumbnails, progress) CPython aborts with "bool_dealloc: deallocating True or
False". Python 3.12 made `True` immortal, which hides the bug there. `emit`
below measures the bug once at import and gives the reference back after
each emit when the bug is present, so a fixed binding costs nothing.

pyproject.toml pins 6.11.3, which does not have the bug; this guard stays for
environments that install 6.12.0 anyway.
"""

import ctypes
import gc
import itertools
import sys

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal, SignalInstance

_PROBE_EMITS = 8


class _Probe(QObject):
    fired = Signal()


def _emit_drops_true_reference() -> bool:
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(_PROBE_EMITS):
        probe.fired.emit()
    dropped = before - sys.getrefcount(True)
    for _ in range(max(0, dropped)):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
    return dropped >= _PROBE_EMITS


EMIT_DROPS_TRUE_REFERENCE = _emit_drops_true_reference()


def emit(signal: SignalInstance, *args: object) -> None:
    """Emit a signal from Python; use this instead of `signal.emit(...)` everywhere in the app."""
    signal.emit(*args)
    if EMIT_DROPS_TRUE_REFERENCE:
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))


# WORKAROUND for a deadlock between CPython's cyclic garbage collector and
# PySide6 (seen with 6.11.3): the collector runs in whichever thread happens to
# allocate. When a pool thread collects a cycle holding a QObject, its
# destructor takes a Qt mutex and then waits for the GIL, while the main thread
# holds the GIL and waits for that mutex in another QObject's destructor. So
# the automatic collector is turned off and the main thread collects on a timer.
GC_INTERVAL_MS = 500
FULL_GC_EVERY = 20  # ticks between collections of all generations

_gc_timer: QTimer | None = None


def collect_garbage_on_main_thread(app: QCoreApplication) -> None:
    """Disable automatic garbage collection and collect from the main thread's event loop instead."""
    global _gc_timer
    if _gc_timer is not None:
        return
    gc.disable()
    ticks = itertools.count(1)
    _gc_timer = QTimer(app)
    _gc_timer.setObjectName("main-thread-gc")
    _gc_timer.timeout.connect(lambda: gc.collect(2 if next(ticks) % FULL_GC_EVERY == 0 else 0))
    _gc_timer.start(GC_INTERVAL_MS)


def stop_collecting_on_main_thread() -> None:
    """Undo `collect_garbage_on_main_thread`: collect once now, then let Python collect on its own again."""
    global _gc_timer
    if _gc_timer is None:
        return
    _gc_timer.stop()
    _gc_timer.deleteLater()
    _gc_timer = None
    gc.collect()
    gc.enable()
