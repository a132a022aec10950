"""large-desktop: sort a photo library by attributes taught from a few examples."""

from pathlib import Path

DISTRIBUTION = "large-desktop"


def _read_version() -> str:
    """Return the one version number, which pyproject.toml defines.

    Installed (wheel, editable or a bundle that carries the metadata): the
    package metadata. Without metadata: the `_version.py` that
    packaging/build.sh writes for the frozen app, else pyproject.toml of a
    source checkout.
    """
    from importlib import metadata

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        pass

    try:
        from large_desktop._version import VERSION  # written at build time, git-ignored
    except ImportError:
        pass
    else:
        return VERSION

    import tomllib

    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    try:
        with pyproject.open("rb") as handle:
            return str(tomllib.load(handle)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "0+unknown"


__version__ = _read_version()
