"""The DCGAN generator loads the `gan-face-generate` weights safely and renders faces."""

import dataclasses
import shutil
from pathlib import Path

import pytest
import torch

from large_desktop.core.errors import CheckpointError
from large_desktop.core.packs.base import PackManifest, WeightFile, sha256_of, weight_path
from large_desktop.core.packs.dcgan.generator import DcganGenerator
from large_desktop.core.packs.dcgan.pack import DcganPack, load_generator
from large_desktop.core.packs.registry import MANIFEST_FOLDER

from conftest import package_file


@pytest.fixture(scope="module")
def manifest() -> PackManifest:
    return PackManifest.from_file(MANIFEST_FOLDER / "dcgan-face-64.json")


@pytest.fixture(scope="module")
def generator_weight(manifest) -> WeightFile:
    return next(weight for weight in manifest.weights if weight.role == "generator")


@pytest.fixture(scope="module")
def generator_path(generator_weight) -> Path:
    path = package_file(generator_weight.package, generator_weight.file)
    if not path.is_file():
        pytest.skip(f"{path} not found; install gan-face-generate==1.1.1 with --no-deps")
    return path


def weight_for(path: Path, weight: WeightFile) -> WeightFile:
    """A manifest entry that matches a test-made file, so loading gets past the checksum."""
    return dataclasses.replace(weight, size=path.stat().st_size, sha256=sha256_of(path))


def test_generator_loads_wheel_weights_strictly(generator_path, generator_weight):
    generator = load_generator(generator_path, generator_weight)

    assert not generator.training
    assert all(not parameter.requires_grad for parameter in generator.parameters())
    with torch.no_grad():
        images = generator(torch.randn(4, 100, generator=torch.Generator().manual_seed(0)))
    assert images.shape == (4, 3, 64, 64)
    assert images.min() >= -1
    assert images.max() <= 1


def test_generator_renders_face_layout(generator_path, generator_weight):
    generator = load_generator(generator_path, generator_weight)
    with torch.no_grad():
        images = generator(torch.randn(256, 100, generator=torch.Generator().manual_seed(0)))
    mean_face = images.mean(dim=(0, 1))  # [64, 64] mean luminance, rows = y

    # Samples differ from each other (an untrained generator outputs ~0 everywhere).
    assert images.std(0).mean() > 0.2

    # The mean of 256 faces is close to left-right symmetric (0.83–0.90 over four seeds; untrained: < 0).
    mirror_correlation = torch.corrcoef(torch.stack([mean_face.flatten(), mean_face.flip(1).flatten()]))[0, 1]
    assert mirror_correlation > 0.7

    # Eyes (x 22–25 and 38–42, y 28–30) and mouth (y 51–53) are darker than the cheeks.
    cheeks = torch.cat([mean_face[38:44, 18:24].flatten(), mean_face[38:44, 40:46].flatten()]).mean()
    eyes = torch.cat([mean_face[28:31, 22:26].flatten(), mean_face[28:31, 38:43].flatten()]).mean()
    mouth = mean_face[51:54, 28:36].mean()
    assert eyes < cheeks - 0.15
    assert mouth < cheeks - 0.15


def test_tampered_generator_rejected_naming_file(tmp_path, generator_path, generator_weight, manifest):
    encoder_weight = next(weight for weight in manifest.weights if weight.role == "encoder")
    shutil.copyfile(weight_path(encoder_weight), tmp_path / encoder_weight.file)
    tampered = tmp_path / generator_weight.file
    shutil.copyfile(generator_path, tampered)
    data = bytearray(tampered.read_bytes())
    data[len(data) // 2] ^= 0xFF
    tampered.write_bytes(bytes(data))

    with pytest.raises(CheckpointError, match="SHA-256") as raised:
        load_generator(tampered, generator_weight)
    assert str(tampered) in raised.value.message

    # Through the pack, with an intact encoder beside it, the error names the same file.
    with pytest.raises(CheckpointError) as raised:
        DcganPack(manifest, tmp_path)
    assert str(tampered) in raised.value.message


def test_truncated_generator_rejected(tmp_path, generator_path, generator_weight):
    truncated = tmp_path / generator_weight.file
    truncated.write_bytes(generator_path.read_bytes()[:1000])

    with pytest.raises(CheckpointError, match="1000 bytes"):
        load_generator(truncated, generator_weight)


def test_renamed_key_rejected_naming_key(tmp_path, generator_weight):
    state = DcganGenerator().state_dict()
    state["main.13.weight"] = state.pop("main.12.weight")
    path = tmp_path / "renamed.tar"
    torch.save({"netG_state_dict": state}, path)

    with pytest.raises(CheckpointError, match="'main.12.weight'") as raised:
        load_generator(path, weight_for(path, generator_weight))
    assert str(path) in raised.value.message


def test_misshapen_key_rejected_naming_key(tmp_path, generator_weight):
    state = DcganGenerator().state_dict()
    state["main.4.running_var"] = torch.ones(255)
    path = tmp_path / "misshapen.tar"
    torch.save({"netG_state_dict": state}, path)

    with pytest.raises(CheckpointError, match=r"'main.4.running_var' has shape \(255,\), expected \(256,\)"):
        load_generator(path, weight_for(path, generator_weight))


def test_checkpoint_without_generator_entry_rejected(tmp_path, generator_weight):
    path = tmp_path / "discriminator.tar"
    torch.save({"netD_state_dict": DcganGenerator().state_dict()}, path)

    with pytest.raises(CheckpointError, match="'netG_state_dict'"):
        load_generator(path, weight_for(path, generator_weight))


class Payload:
    """A pickled object that is not a tensor: loading it could run code."""


def test_pickled_object_rejected(tmp_path, generator_weight):
    path = tmp_path / "pickled.tar"
    torch.save({"netG_state_dict": DcganGenerator().state_dict(), "extra": Payload()}, path)

    with pytest.raises(CheckpointError, match="pickled objects"):
        load_generator(path, weight_for(path, generator_weight))
