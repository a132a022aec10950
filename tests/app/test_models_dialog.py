"""The Models dialog lists packs and drives the real manager against a local server."""

import hashlib
import io
import json
import threading
from pathlib import Path

import pytest
import torch
from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QFileDialog, QMessageBox

from large_desktop.app.models_dialog import ModelsDialog, show_models_dialog
from large_desktop.app.pack_rows import TransferMeter
from large_desktop.app.pack_table import STATUS_COLUMN
from large_desktop.core.packs import download, manager
from large_desktop.core.packs.download import part_path
from local_file_server import FileServer
from pack_fixtures import STAND_IN_PREPARER, catalogue_entry

PACK = "e4e-test"
CHECKPOINT_FILE = "e4e_test_encode.pt"
SMALL_CHUNK = 64 * 1024  # bytes per read in these tests, so a 2 MB file reports progress 32 times


def checkpoint_body() -> bytes:
    """A 2 MB checkpoint; the stand-in preparer ignores its contents."""
    buffer = io.BytesIO()
    torch.save({"state_dict": {"encoder.weight": torch.randn(1024, 512, generator=torch.Generator().manual_seed(0))}}, buffer)
    return buffer.getvalue()


@pytest.fixture
def served(tmp_path, data_dir, monkeypatch):
    """A local server with one checkpoint, a catalogue entry with its published hash, and the stand-in preparer."""
    body = checkpoint_body()
    monkeypatch.setattr(download, "CHUNK_SIZE", SMALL_CHUNK)
    monkeypatch.setitem(manager.PREPARERS, "e4e", STAND_IN_PREPARER)
    with FileServer() as server:
        server.behaviour.files["/e4e.pt"] = body
        entries = [
            catalogue_entry(PACK, server.url("/e4e.pt"), len(body), exact=True, sha256=hashlib.sha256(body).hexdigest()),
            catalogue_entry("e4e-gone", server.url("/gone.pt"), len(body)),
        ]
        path = tmp_path / "catalogue.json"
        path.write_text(json.dumps({"format": 1, "packs": entries}))
        monkeypatch.setenv("LARGE_DESKTOP_CATALOGUE", str(path))
        yield server, body
        # A transfer still running must end before the server goes away.
        QThreadPool.globalInstance().waitForDone(10_000)


@pytest.fixture
def dialog(qtbot, served) -> ModelsDialog:
    opened = ModelsDialog(None, current_pack_id="dlib-face-128")
    qtbot.addWidget(opened)
    opened.show()
    qtbot.waitUntil(lambda: not opened.is_loading(), timeout=10_000)
    return opened


def status(dialog: ModelsDialog, pack_id: str) -> str:
    model = dialog.model()
    return model.data(model.index(model.row_of(pack_id), STATUS_COLUMN))


def open_boxes(dialog: ModelsDialog) -> list[QMessageBox]:
    return [box for box in dialog.findChildren(QMessageBox) if box.isVisible()]


def answer_box(qtbot, dialog: ModelsDialog, accept: bool) -> str:
    """Wait for the dialog's confirmation box, click its accepting or its Cancel button, and return the box's text."""
    qtbot.waitUntil(lambda: len(open_boxes(dialog)) == 1, timeout=5000)
    box = open_boxes(dialog)[0]
    accepting = (QMessageBox.ButtonRole.AcceptRole, QMessageBox.ButtonRole.DestructiveRole)
    wanted = [button for button in box.buttons() if (box.buttonRole(button) in accepting) == accept]
    assert len(wanted) == 1
    text = box.text() + "\n" + box.informativeText()
    wanted[0].click()
    return text


def install(qtbot, dialog: ModelsDialog, pack_id: str = PACK) -> str:
    """Click Install on a pack and accept its licence; return the licence box's text."""
    assert dialog.select_pack(pack_id)
    assert dialog.install_button.isEnabled()
    dialog.install_button.click()
    return answer_box(qtbot, dialog, accept=True)


def wait_idle(qtbot, dialog: ModelsDialog) -> None:
    qtbot.waitUntil(lambda: not dialog.is_transferring() and not dialog.is_loading(), timeout=20_000)


def test_list_shows_shipped_and_catalogue(dialog):
    model = dialog.model()
    ids = [model.pack(row).id for row in range(model.rowCount())]

    assert {"dlib-face-128", "dcgan-face-64", "efficientnet-lite0-photo"} <= set(ids)
    assert ids[-2:] == [PACK, "e4e-gone"]
    assert status(dialog, "dlib-face-128") == "shipped"
    assert status(dialog, PACK) == "not installed"
    assert dialog.loading_label.isHidden()
    row = model.row_of("dlib-face-128")
    assert model.data(model.index(row, 3)) == "1×128"
    assert model.data(model.index(row, 4)) not in ("", "–")  # measured ρ
    assert model.data(model.index(model.row_of(PACK), 6)) == "NVIDIA-NC (non-commercial)"


def test_loading_shown_until_listed(qtbot, served):
    opened = ModelsDialog(None, current_pack_id=None)
    qtbot.addWidget(opened)
    opened.show()

    assert opened.is_loading()
    assert opened.loading_label.isVisible()
    assert opened.loading_label.text() == "Loading…"
    qtbot.waitUntil(lambda: not opened.is_loading(), timeout=10_000)
    assert opened.model().rowCount() > 0


def test_install_with_progress_on_main_thread(qtbot, dialog, served, data_dir):
    server, body = served
    server.behaviour.delay_per_chunk = 0.01
    main = threading.get_ident()
    updates: list[tuple[int, str, str]] = []
    dialog.progress_bar.valueChanged.connect(
        lambda value: updates.append((threading.get_ident(), dialog.transfer_label.text(), status(dialog, PACK)))
    )

    licence = install(qtbot, dialog)
    with qtbot.waitSignal(dialog.packs_changed, timeout=20_000):
        pass
    wait_idle(qtbot, dialog)

    assert "Non-commercial use only." in licence
    assert len(updates) >= 3
    assert all(thread == main for thread, _, _ in updates)
    assert any(" of 2." in text and "/s" in text for _, text, _ in updates)
    assert any(state.startswith("downloading ") and state.endswith("%") for _, _, state in updates)
    assert status(dialog, PACK) == "installed"
    assert (data_dir / "packs" / PACK / CHECKPOINT_FILE).read_bytes() == body
    assert "Installed" in dialog.message()
    assert dialog.transfer_row.isHidden()


def test_declined_licence_downloads_nothing(qtbot, dialog, served, data_dir):
    server, _ = served
    assert dialog.select_pack(PACK)
    dialog.install_button.click()
    answer_box(qtbot, dialog, accept=False)
    qtbot.wait(200)

    assert server.behaviour.requests == []
    assert not (data_dir / "packs" / PACK).exists()
    assert not dialog.is_transferring()
    assert status(dialog, PACK) == "not installed"


def test_cancel_keeps_part_and_resumes(qtbot, dialog, served, data_dir):
    server, body = served
    server.behaviour.delay_per_chunk = 0.05
    checkpoint = data_dir / "packs" / PACK / CHECKPOINT_FILE

    install(qtbot, dialog)
    qtbot.waitUntil(lambda: status(dialog, PACK).startswith("downloading "), timeout=10_000)
    dialog.cancel_button.click()
    wait_idle(qtbot, dialog)

    assert part_path(checkpoint).stat().st_size > 0
    assert part_path(checkpoint).stat().st_size < len(body)
    assert not checkpoint.exists()
    assert status(dialog, PACK).startswith("partial download present")
    assert dialog.message() == ""  # a cancel is silent
    assert dialog.install_button.text() == "Resume install"

    server.behaviour.delay_per_chunk = 0.0
    install(qtbot, dialog)
    wait_idle(qtbot, dialog)

    assert status(dialog, PACK) == "installed"
    assert server.behaviour.requests[-1][1] is not None  # the second download sent a Range header
    assert checkpoint.read_bytes() == body


def test_corrupted_byte_names_pack_and_checksum(qtbot, dialog, served, data_dir):
    server, body = served
    server.behaviour.files["/e4e.pt"] = body[:100] + bytes([body[100] ^ 0xFF]) + body[101:]

    install(qtbot, dialog)
    wait_idle(qtbot, dialog)

    message = dialog.message()
    assert PACK in message
    assert "SHA-256" in message
    assert status(dialog, PACK) == "not installed"
    assert dialog.install_button.isEnabled()

    server.behaviour.files["/e4e.pt"] = body
    install(qtbot, dialog)
    wait_idle(qtbot, dialog)
    assert status(dialog, PACK) == "installed"


def test_missing_file_error_names_pack(qtbot, dialog):
    install(qtbot, dialog, "e4e-gone")
    wait_idle(qtbot, dialog)

    assert "e4e-gone" in dialog.message()
    assert "HTTP 404" in dialog.message()
    assert status(dialog, "e4e-gone") == "not installed"


def test_import_from_file(qtbot, dialog, served, data_dir, tmp_path):
    _, body = served
    source = tmp_path / "mine.pt"
    source.write_bytes(body)
    assert dialog.select_pack(PACK)

    dialog.import_button.click()
    qtbot.waitUntil(lambda: dialog.findChild(QFileDialog) is not None, timeout=5000)
    chooser = dialog.findChild(QFileDialog)
    chooser.selectFile(str(source))
    chooser.accept()
    licence = answer_box(qtbot, dialog, accept=True)
    wait_idle(qtbot, dialog)

    assert "Non-commercial use only." in licence
    assert status(dialog, PACK) == "installed"
    assert (data_dir / "packs" / PACK / CHECKPOINT_FILE).read_bytes() == body
    assert source.read_bytes() == body


def test_import_wrong_file_names_pack(qtbot, dialog, served, data_dir, tmp_path):
    _, body = served
    source = tmp_path / "other.pt"
    source.write_bytes(body[:-1])

    dialog.import_file(PACK, source)
    answer_box(qtbot, dialog, accept=True)
    wait_idle(qtbot, dialog)

    message = dialog.message()
    assert message.startswith(f"Could not import test pack {PACK} ({PACK})")
    assert f"{len(body) - 1} bytes" in message
    assert not (data_dir / "packs" / PACK / CHECKPOINT_FILE).exists()
    assert dialog.select_pack(PACK)
    assert dialog.import_button.isEnabled()


def test_remove_installed_pack(qtbot, dialog, data_dir):
    manager.install(PACK)
    dialog.refresh()
    qtbot.waitUntil(lambda: not dialog.is_loading(), timeout=10_000)
    assert status(dialog, PACK) == "installed"

    assert dialog.select_pack(PACK)
    dialog.remove_button.click()
    with qtbot.waitSignal(dialog.packs_changed, timeout=10_000):
        question = answer_box(qtbot, dialog, accept=True)
    wait_idle(qtbot, dialog)

    assert PACK in question
    assert not (data_dir / "packs" / PACK).exists()
    assert status(dialog, PACK) == "not installed"
    assert "Removed" in dialog.message()


def test_remove_declined_keeps_pack(qtbot, dialog, data_dir):
    manager.install(PACK)
    dialog.refresh()
    qtbot.waitUntil(lambda: not dialog.is_loading(), timeout=10_000)

    assert dialog.select_pack(PACK)
    dialog.remove_button.click()
    answer_box(qtbot, dialog, accept=False)
    qtbot.wait(200)

    assert (data_dir / "packs" / PACK / "manifest.json").is_file()
    assert status(dialog, PACK) == "installed"


def test_remove_shipped_shows_manager_message(qtbot, dialog):
    assert dialog.select_pack("dlib-face-128")
    dialog.remove_button.click()
    qtbot.waitUntil(lambda: dialog.message() != "", timeout=5000)

    assert "ships with large-desktop and cannot be removed" in dialog.message()
    assert status(dialog, "dlib-face-128") == "shipped"


def test_use_for_library_emits_pack_chosen(qtbot, dialog):
    assert dialog.select_pack(PACK)
    assert not dialog.use_button.isEnabled()

    assert dialog.select_pack("dcgan-face-64")
    with qtbot.waitSignal(dialog.pack_chosen, timeout=1000) as chosen:
        dialog.use_button.click()

    assert chosen.args == ["dcgan-face-64"]
    assert dialog.model().current_pack_id() == "dcgan-face-64"


def test_unreadable_catalogue_keeps_shipped(qtbot, served, tmp_path, monkeypatch):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    monkeypatch.setenv("LARGE_DESKTOP_CATALOGUE", str(broken))

    opened = ModelsDialog(None, current_pack_id=None)
    qtbot.addWidget(opened)
    qtbot.waitUntil(lambda: not opened.is_loading(), timeout=10_000)

    assert opened.model().row_of("dlib-face-128") is not None
    assert opened.model().row_of(PACK) is None
    assert "broken.json" in opened.message()


def test_show_models_dialog_reuses_window(qtbot, served):
    from PySide6.QtWidgets import QWidget

    window = QWidget()
    qtbot.addWidget(window)

    first = show_models_dialog(window, "dlib-face-128")
    second = show_models_dialog(window, "dcgan-face-64")

    assert first is second
    assert first.isVisible()
    assert first.model().current_pack_id() == "dcgan-face-64"
    qtbot.waitUntil(lambda: not first.is_loading(), timeout=10_000)


def test_meter_rate_and_eta():
    now = [0.0]
    meter = TransferMeter(window=5.0, clock=lambda: now[0])

    first = meter.update(1_000, 10_000)
    now[0] = 2.0
    second = meter.update(3_000, 10_000)

    assert first.rate is None
    assert second.rate == 1_000.0
    assert second.eta == 7.0
    assert second.fraction == 0.3
