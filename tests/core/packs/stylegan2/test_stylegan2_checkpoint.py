"""Checkpoint verification: family detection, layout errors by key name, unsafe pickles.

The checkpoints here have the real keys and shapes, but each tensor is a
broadcast scalar, so a file is a few hundred kB instead of 1.2 GB.
"""

import pickle

import pytest
import torch

from .checkpoints import OPTS, layout_state
from large_desktop.core.errors import CheckpointError
from large_desktop.core.packs.stylegan2.checkpoint import expected_layout, inspect_checkpoint


class WritesMarker:
    """Pickles as a call to open(marker, "w"): unpickling it creates the marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize(
    ("family", "encoder_keys"),
    [("e4e", 621), ("psp", 621), ("restyle_e4e", 565), ("restyle_psp", 565)],
)
def test_inspect_detects_family(write_checkpoint, family, encoder_keys):
    info = inspect_checkpoint(write_checkpoint(family))

    assert info.family == family
    assert info.n_styles == 18
    assert info.resolution == 1024
    assert info.encoder_keys == encoder_keys == len(expected_layout(family, 18))
    assert info.has_decoder is False
    assert info.start_from_latent_avg is True


def test_inspect_finds_decoder(write_checkpoint):
    info = inspect_checkpoint(write_checkpoint("e4e", state=layout_state("e4e", decoder=True)))

    assert info.has_decoder is True
    assert info.encoder_keys == 621


def test_inspect_smaller_generator(write_checkpoint):
    state = layout_state("e4e", resolution=256)

    info = inspect_checkpoint(write_checkpoint("e4e", state=state, stylegan_size=256, latent_avg=torch.zeros(14, 512)))

    assert (info.n_styles, info.resolution) == (14, 256)


def test_old_psp_without_output_size(write_checkpoint):
    opts = {key: value for key, value in OPTS["psp"].items() if key not in ("output_size", "n_styles")}

    info = inspect_checkpoint(write_checkpoint("psp", opts=opts))

    assert info.resolution == 1024


def test_wrong_shape_named(write_checkpoint):
    state = layout_state("e4e")
    state["encoder.styles.4.convs.2.weight"] = torch.zeros(()).expand(512, 256, 3, 3)

    with pytest.raises(CheckpointError) as error:
        inspect_checkpoint(write_checkpoint("e4e", state=state))

    message = error.value.message
    assert "1 mismatched key(s)" in message
    assert "encoder.styles.4.convs.2.weight has shape (512, 256, 3, 3), expected (512, 512, 3, 3)" in message
    assert "model.pt" in message


def test_missing_and_unexpected_keys_named(write_checkpoint):
    state = layout_state("e4e")
    for index in range(5):
        del state[f"encoder.styles.{index}.linear.bias"]
    state["encoder.progressive_stage"] = torch.zeros(())

    with pytest.raises(CheckpointError) as error:
        inspect_checkpoint(write_checkpoint("e4e", state=state))

    message = error.value.message
    assert "5 missing key(s): encoder.styles.0.linear.bias, encoder.styles.1.linear.bias, encoder.styles.2.linear.bias and 2 more" in message
    assert "1 unexpected key(s): encoder.progressive_stage" in message


def test_psp_weights_with_restyle_opts_rejected(write_checkpoint):
    with pytest.raises(CheckpointError, match="restyle_psp encoder") as error:
        inspect_checkpoint(write_checkpoint("restyle_psp", state=layout_state("psp")))

    assert "encoder.input_layer.0.weight has shape (64, 3, 3, 3), expected (64, 6, 3, 3)" in error.value.message
    assert "56 unexpected key(s): encoder.styles.3.convs.8.weight, encoder.styles.3.convs.8.bias" in error.value.message


def test_unsupported_encoder_type(write_checkpoint):
    path = write_checkpoint("psp", encoder_type="BackboneEncoderUsingLastLayerIntoW")

    with pytest.raises(CheckpointError, match="encoder_type 'BackboneEncoderUsingLastLayerIntoW'.*not supported"):
        inspect_checkpoint(path)


def test_sketch_encoder_rejected(write_checkpoint):
    with pytest.raises(CheckpointError, match="reads 1 input channels, expected 3"):
        inspect_checkpoint(write_checkpoint("psp", input_nc=1))


def test_inconsistent_n_styles_rejected(write_checkpoint):
    with pytest.raises(CheckpointError, match="n_styles=16 but a 1024 px generator has 18"):
        inspect_checkpoint(write_checkpoint("psp", n_styles=16))


def test_missing_opts_rejected(tmp_path):
    path = tmp_path / "bare.pt"
    torch.save({"state_dict": layout_state("e4e")}, path)

    with pytest.raises(CheckpointError, match="no 'opts' dict"):
        inspect_checkpoint(path)


def test_missing_state_dict_rejected(tmp_path):
    path = tmp_path / "generator.pt"
    torch.save({"g_ema": {}, "latent_avg": torch.zeros(512)}, path)

    with pytest.raises(CheckpointError, match="no 'state_dict'"):
        inspect_checkpoint(path)


def test_latent_avg_shape_checked(write_checkpoint):
    with pytest.raises(CheckpointError, match=r"'latent_avg' has shape \(14, 512\), expected \(18, 512\)"):
        inspect_checkpoint(write_checkpoint("e4e", latent_avg=torch.zeros(14, 512)))


def test_single_latent_avg_accepted(write_checkpoint):
    info = inspect_checkpoint(write_checkpoint("e4e", latent_avg=torch.zeros(1, 512)))

    assert info.n_styles == 18


def test_missing_latent_avg_rejected(tmp_path):
    path = tmp_path / "no_avg.pt"
    torch.save({"state_dict": layout_state("e4e"), "opts": OPTS["e4e"]}, path)

    with pytest.raises(CheckpointError, match="start_from_latent_avg but has no 'latent_avg'"):
        inspect_checkpoint(path)


def test_truncated_file_rejected(write_checkpoint):
    path = write_checkpoint("e4e")
    path.write_bytes(path.read_bytes()[:5000])

    with pytest.raises(CheckpointError, match="corrupt") as error:
        inspect_checkpoint(path)
    assert str(path) in error.value.message


def test_missing_file_named(tmp_path):
    with pytest.raises(CheckpointError, match="not found") as error:
        inspect_checkpoint(tmp_path / "absent.pt")
    assert "absent.pt" in error.value.message


def test_payload_runs_under_plain_pickle(tmp_path):
    """Control: the payload used below does create its marker when unpickled without restrictions."""
    marker = tmp_path / "marker"

    pickle.loads(pickle.dumps(WritesMarker(marker)))

    assert marker.exists()


@pytest.mark.parametrize("writer", ["torch_zip", "plain_pickle"])
def test_code_executing_pickle_rejected(tmp_path, writer):
    marker = tmp_path / "marker"
    path = tmp_path / "evil.pt"
    checkpoint = {"state_dict": layout_state("e4e"), "opts": WritesMarker(marker)}
    if writer == "torch_zip":
        torch.save(checkpoint, path)
    else:
        path.write_bytes(pickle.dumps(checkpoint, protocol=2))

    with pytest.raises(CheckpointError, match="could run code") as error:
        inspect_checkpoint(path)

    assert str(path) in error.value.message
    assert not marker.exists()
