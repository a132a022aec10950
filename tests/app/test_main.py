"""Starting the app: the packaged entry point with --quit-after, and the no-display fallback."""

import os
import subprocess
import sys

import pytest

from large_desktop.app import main as app_main


def isolated_env(tmp_path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "QT_QPA_PLATFORM": "offscreen",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    })
    return env


@pytest.mark.slow
def test_app_opens_and_quits(tmp_path):
    db_path = tmp_path / "library.sqlite"
    completed = subprocess.run(
        [sys.executable, "-m", "large_desktop.cli", "app", "--db", str(db_path), "--quit-after", "1500"],
        env=isolated_env(tmp_path), capture_output=True, text=True, timeout=120,
    )

    assert completed.returncode == 0, completed.stderr
    assert "main window shown" in completed.stderr
    assert db_path.is_file()
    log_files = list((tmp_path / "state").rglob("large-desktop.log"))
    assert len(log_files) == 1
    assert "starting the app on" in log_files[0].read_text()


@pytest.mark.slow
def test_bare_command_without_display_runs_demo(tmp_path):
    env = isolated_env(tmp_path)
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        env.pop(name, None)
    completed = subprocess.run(
        [sys.executable, "-m", "large_desktop.cli"], env=env, capture_output=True, text=True, timeout=300,
    )

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines()[0].startswith("no display found")
    assert (tmp_path / "data" / "large-desktop" / "demo" / "sorted.csv").is_file()


def test_display_detection(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert not app_main.display_available()

    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert app_main.display_available()


def test_no_display_with_library_arguments(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    db_path = tmp_path / "mine.sqlite"
    folder = tmp_path / "my photos"
    folder.mkdir()

    status = app_main.run(["--db", str(db_path), "--folder", str(folder)])

    assert status == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("no display found")
    assert f"large-desktop index '{folder}' --db {db_path}" in lines[0]
    assert not db_path.exists()
    assert not (tmp_path / "data").exists()


def test_dead_x_display_named_not_aborted(tmp_path):
    env = isolated_env(tmp_path)
    env.pop("QT_QPA_PLATFORM", None)
    env.pop("WAYLAND_DISPLAY", None)
    env["DISPLAY"] = ":987"  # no X server has this number here

    completed = subprocess.run(
        [sys.executable, "-m", "large_desktop.cli", "app", "--db", str(tmp_path / "library.sqlite")],
        env=env, capture_output=True, text=True, timeout=120,
    )

    assert completed.returncode == 2, completed.stderr
    assert "cannot connect to X display :987" in completed.stderr


@pytest.mark.slow
def test_demo_opens_app_on_sample_library(tmp_path):
    out = tmp_path / "demo"

    completed = subprocess.run(
        [sys.executable, "-m", "large_desktop.demo", "--out", str(out), "--quit-after", "1000"],
        env=isolated_env(tmp_path), capture_output=True, text=True, timeout=300,
    )

    assert completed.returncode == 0, completed.stderr
    assert f"opening the app on {out / 'library.sqlite'}" in completed.stdout
    assert "main window shown" in completed.stderr
    assert (out / "sorted.csv").is_file()
