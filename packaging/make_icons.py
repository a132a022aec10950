"""Render resources/icons/large-desktop.svg into the PNG, ICO and ICNS icons.

Run with the development venv after changing the SVG:
    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icons.py
QtSvg renders the SVG; Pillow writes the Windows .ico and the macOS .icns.
"""

import logging
import sys
from io import BytesIO
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QByteArray, QBuffer, QIODevice
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "resources" / "icons" / "large-desktop.svg"
PNG = ROOT / "resources" / "icons" / "large-desktop.png"
ICO = ROOT / "packaging" / "windows" / "large-desktop.ico"
ICNS = ROOT / "packaging" / "macos" / "large-desktop.icns"
ICO_SIZES = [(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)]


def render(renderer: QSvgRenderer, size: int) -> Image.Image:
    """Render the SVG at size × size pixels into a Pillow RGBA image."""
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return Image.open(BytesIO(bytes(data))).convert("RGBA")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    _app = QGuiApplication(sys.argv)
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        logger.error("cannot render %s", SVG)
        return 1

    render(renderer, 256).save(PNG, optimize=True)
    big = render(renderer, 1024)
    ICO.parent.mkdir(parents=True, exist_ok=True)
    big.save(ICO, sizes=ICO_SIZES)
    ICNS.parent.mkdir(parents=True, exist_ok=True)
    big.save(ICNS)
    for path in (PNG, ICO, ICNS):
        logger.info("wrote %s (%d bytes)", path.relative_to(ROOT), path.stat().st_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
