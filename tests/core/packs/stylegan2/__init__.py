"""Tests of the StyleGAN2 packs; a package so its conftest does not shadow tests/conftest.py."""
