"""Pack rows for the Models dialog, read from disk without Qt.

`read_pack_rows` reads the shipped manifests, the installed packs' folders
and the catalogue, so it runs on a pool thread. `TransferMeter` turns the
byte counts of a download or import into a speed and an estimated time left.
"""

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from large_desktop.core.packs.base import PackManifest
from large_desktop.core.packs.catalogue import CatalogueEntry, CatalogueError, license_summary, load_catalogue
from large_desktop.core.packs.manager import installed_packs
from large_desktop.core.packs.registry import installed_pack_manifests, measured_accuracy, shipped_packs

logger = logging.getLogger(__name__)

# Values of PackRow.status.
SHIPPED = "shipped"
INSTALLED = "installed"
NOT_INSTALLED = "not_installed"
PARTIAL = "partial"  # a .part file is kept for resuming
DOWNLOADED = "downloaded"  # the checkpoint is verified but was not converted
BROKEN = "broken"  # the pack folder's manifest is unreadable


@dataclass(frozen=True)
class PackRow:
    """One pack as the Models dialog lists it."""

    id: str
    name: str
    kind: str  # "gan" or "embedding"
    domain: str  # "face" or "photo"
    latent_shape: tuple[int, int]  # (L, D)
    k2_rho: float | None  # Spearman ρ with age from two labeled faces, None when not measured
    size: int  # bytes of the weights, or of the catalogue's checkpoint
    size_exact: bool  # False when `size` is the catalogue's estimate
    license_short: str
    license_text: str
    project: str  # the project's web page, "" when unknown
    status: str  # one of SHIPPED, INSTALLED, NOT_INSTALLED, PARTIAL, DOWNLOADED, BROKEN
    partial_bytes: int  # bytes of an unfinished download, 0 when there is none
    in_catalogue: bool  # the manager can install, import and remove it

    @property
    def usable(self) -> bool:
        """Whether a library can switch to this pack now."""
        return self.status in (SHIPPED, INSTALLED)


@dataclass(frozen=True)
class PackListing:
    """Every pack row, and why the catalogue is missing when it cannot be read."""

    rows: tuple[PackRow, ...]
    catalogue_problem: str | None


def read_pack_rows() -> PackListing:
    """Read shipped, installed and downloadable packs, in that order.

    An unreadable catalogue leaves out the downloadable packs and is
    reported in `catalogue_problem`, so shipped packs stay usable.
    """
    measured = measured_accuracy()
    shipped = shipped_packs()
    installed = installed_pack_manifests()
    folders = installed_packs()
    try:
        catalogue = load_catalogue()
        problem = None
    except CatalogueError as exc:
        logger.warning("listing packs without the catalogue: %s", exc.message)
        catalogue = {}
        problem = exc.message

    rows = []
    for manifest in shipped.values():
        rows.append(manifest_row(manifest, SHIPPED, measured, catalogue.get(manifest.id)))
    for manifest, _folder in installed.values():
        if manifest.id not in shipped:
            rows.append(manifest_row(manifest, INSTALLED, measured, catalogue.get(manifest.id)))

    listed = {row.id for row in rows}
    for entry in catalogue.values():
        if entry.id in listed:
            continue
        folder = folders.get(entry.id)
        status = NOT_INSTALLED
        if folder is not None and folder.status in (PARTIAL, DOWNLOADED, BROKEN):
            status = folder.status
        rows.append(PackRow(
            id=entry.id,
            name=entry.name,
            kind="gan",
            domain=entry.domain,
            latent_shape=entry.latent_shape,
            k2_rho=measured_rho(measured, entry.id),
            size=entry.size,
            size_exact=entry.size_exact,
            license_short=entry.license_short,
            license_text=entry.license_text,
            project=entry.project,
            status=status,
            partial_bytes=folder.partial_bytes if folder is not None else 0,
            in_catalogue=True,
        ))
    return PackListing(rows=tuple(rows), catalogue_problem=problem)


def manifest_row(manifest: PackManifest, status: str, measured: dict[str, dict], entry: CatalogueEntry | None) -> PackRow:
    """Build the row of a shipped or installed pack; a catalogue entry of the same id adds its licence text."""
    return PackRow(
        id=manifest.id,
        name=manifest.name,
        kind=manifest.kind,
        domain=manifest.domain,
        latent_shape=manifest.latent_shape,
        k2_rho=measured_rho(measured, manifest.id),
        size=sum(weight.size for weight in manifest.weights),
        size_exact=True,
        license_short=entry.license_short if entry is not None else license_summary(manifest.license),
        license_text=entry.license_text if entry is not None else manifest.license,
        project=entry.project if entry is not None else "",
        status=status,
        partial_bytes=0,
        in_catalogue=entry is not None and status != SHIPPED,
    )


def measured_rho(measured: dict[str, dict], pack_id: str) -> float | None:
    figure = measured.get(pack_id, {}).get("k2_rho")
    return float(figure) if figure is not None else None


#----------------------------------------------------------------------------
# Speed and time left


@dataclass(frozen=True)
class TransferReading:
    """Progress of one transfer at one moment."""

    done: int  # bytes so far, including bytes kept from an earlier attempt
    total: int | None  # bytes in all, None when unknown
    rate: float | None  # bytes per second over the last window, None until two samples
    eta: float | None  # seconds left at `rate`, None when the total or the rate is unknown

    @property
    def fraction(self) -> float | None:
        return min(self.done / self.total, 1.0) if self.total else None


class TransferMeter:
    """Measure a transfer's speed over a sliding window of recent byte counts.

    A resumed download starts at the bytes already kept, so only bytes that
    arrive while the meter runs count towards the speed.
    """

    def __init__(self, window: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._window = window  # seconds of samples the speed averages over
        self._clock = clock
        self._samples: deque[tuple[float, int]] = deque()

    def update(self, done: int, total: int | None) -> TransferReading:
        now = self._clock()
        self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[1][0] >= self._window:
            self._samples.popleft()

        start_time, start_done = self._samples[0]
        elapsed = now - start_time
        rate = (done - start_done) / elapsed if elapsed > 0 else None
        eta = None
        if rate and total is not None:
            eta = max(total - done, 0) / rate
        return TransferReading(done=done, total=total, rate=rate, eta=eta)
