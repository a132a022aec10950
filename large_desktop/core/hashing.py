"""SHA-256 of a file, read in chunks: photo identity and weight checksums."""

import hashlib
from pathlib import Path

CHUNK_SIZE = 1 << 20  # 1 MiB: weight files are hundreds of MB, so they are never read whole


def sha256_of(path: Path) -> str:
    """Return the hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()
