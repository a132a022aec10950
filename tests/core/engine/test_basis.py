"""Sizing of the principal basis fit."""

from large_desktop.core import engine


def test_large_latents_fit_on_smaller_sample():
    assert engine.fit_sample_size(128) == 20_000
    assert engine.fit_sample_size(1280) == 20_000
    assert engine.fit_sample_size(2048) == 20_000
    assert engine.fit_sample_size(18 * 512) == 4_000
