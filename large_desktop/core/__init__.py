"""Toolkit-free core: scanning, decoding, faces, packs, latent cache and the LARGE engine."""
