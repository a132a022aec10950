"""Smoke test of the built Linux artefact (dist/large-desktop-*-linux-x86_64.tar.gz).

Skipped unless packaging/build.sh has produced an artefact; the checks are
those of packaging/smoke_test.py.
"""

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def load_smoke_test():
    spec = importlib.util.spec_from_file_location("large_desktop_packaging_smoke_test", REPO / "packaging" / "smoke_test.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_built_artefact_runs(capsys):
    smoke = load_smoke_test()
    artefact = smoke.find_artefact()
    if artefact is None:
        pytest.skip("no artefact in dist/; run packaging/build.sh to build and smoke-test it")
    if not (smoke.DEV_FACES / "labels.csv").is_file():
        pytest.skip(f"dev faces not found at {smoke.DEV_FACES}")

    try:
        report = smoke.run(artefact)
    except smoke.SmokeError as exc:
        pytest.fail(str(exc), pytrace=False)

    assert report.version == artefact.name.split("-")[2]
    assert set(report.indexed) == {"dlib-face-128", "efficientnet-lite0-photo", "dcgan-face-64-hybrid"}
    assert len(report.sorted_paths) == 4
    with capsys.disabled():
        print("\n" + "\n".join(report.lines()))
