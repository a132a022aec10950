"""Version, resource lookup, licence list and bundle rules, without building anything."""

import importlib.util
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

import large_desktop
from large_desktop.core.packs import base

REPO = Path(__file__).resolve().parents[2]


def load_script(name: str):
    """Import a packaging/ script by path (packaging/ is no package: PyPI's `packaging` owns the name)."""
    spec = importlib.util.spec_from_file_location(f"large_desktop_packaging_{name}", REPO / "packaging" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def pyproject_version() -> str:
    with (REPO / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["project"]["version"]


def test_version_comes_from_pyproject():
    assert large_desktop.__version__ == pyproject_version()


def test_version_without_metadata_reads_pyproject(monkeypatch):
    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    monkeypatch.setitem(sys.modules, "large_desktop._version", None)  # as if build.sh never wrote it
    assert large_desktop._read_version() == pyproject_version()


def test_resources_of_a_checkout():
    assert base.find_resources() == REPO / "resources"
    assert (base.RESOURCES / "packs" / "dlib-face-128.json").is_file()


def test_resources_of_a_frozen_bundle(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert base.find_resources() == tmp_path / "resources"


def test_licence_list_covers_runtime_not_test_packages():
    collect = load_script("collect_licenses")
    text = collect.render()
    for bundled in ("| torch |", "| dlib-bin |", "| PySide6_Essentials |", "| gan_face_generate |", "| SQLAlchemy |"):
        assert bundled in text
    for left_out in ("| pytest |", "| import-linter |", "| pytest-qt |", "| torchvision |", "| wandb |", "| large-desktop |"):
        assert left_out not in text
    assert "DigiFace-1M" in text
    assert "non-commercial" in text


def test_committed_licence_list_is_current():
    collect = load_script("collect_licenses")
    assert collect.main(["--check"]) == 0, "run `.venv/bin/python packaging/collect_licenses.py` and commit the result"


@pytest.mark.parametrize(("name", "kept"), [
    ("torch/include/ATen/core/Tensor.h", False),
    ("torch/test/test_api", False),
    ("torch/lib/libtorchbind_test.so", False),
    ("torch/lib/libtorch_cpu.so", True),
    ("torch/bin/protoc", False),
    ("torch/bin/torch_shm_manager", True),
    ("PySide6/Qt/plugins/platforms/libqvnc.so", False),
    ("face_recognition_models/models/shape_predictor_68_face_landmarks.dat", True),
    ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
])
def test_bundle_prunes_build_only_files(name, kept):
    spec = load_script("bundle_spec")
    assert spec.keep((name, "/source/" + name, "BINARY")) is kept


def test_bundle_takes_only_the_weights_manifests_name():
    spec = load_script("bundle_spec")
    try:
        datas = spec.weight_datas()
    except SystemExit as exc:
        pytest.skip(f"weight packages not installed: {exc}")
    names = sorted(Path(source).name for source, _ in datas)
    assert "shape_predictor_68_face_landmarks.dat" in names
    assert "shape_predictor_5_face_landmarks.dat" not in names
    assert ("face_recognition_models/models" in {target for _, target in datas})
