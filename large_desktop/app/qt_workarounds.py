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
import sys

from PySide6.QtCore import QObject, Signal, SignalInstance

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
