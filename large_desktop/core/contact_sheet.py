"""A contact sheet: the sorted photos in a grid, each with its rank and score."""

import logging
import math
from pathlib import Path

from PIL import Image, ImageDraw

from large_desktop.core.errors import ImageDecodeError, UserInputError
from large_desktop.core.imaging import thumbnail

logger = logging.getLogger(__name__)

CELL = 160  # thumbnail side in pixels
CAPTION = 18  # caption strip height in pixels
MAX_CELLS = 400  # a sheet of 20 × 20 thumbnails; more would be unreadable


def write_contact_sheet(path: Path, rows: list, columns: int = 10) -> int:
    """Write the first MAX_CELLS ranked rows as a JPEG grid; return how many were drawn."""
    rows = rows[:MAX_CELLS]
    if not rows:
        raise UserInputError(f"nothing to draw in contact sheet {path}: no photo has a score")

    columns = min(columns, len(rows))
    lines = math.ceil(len(rows) / columns)
    sheet = Image.new("RGB", (columns * CELL, lines * (CELL + CAPTION)), "white")
    draw = ImageDraw.Draw(sheet)

    for slot, row in enumerate(rows):
        x, y = (slot % columns) * CELL, (slot // columns) * (CELL + CAPTION)
        try:
            image = thumbnail(Path(row.path), CELL)
            sheet.paste(image, (x + (CELL - image.width) // 2, y + (CELL - image.height) // 2))
        except ImageDecodeError as exc:
            logger.warning("contact sheet: skipping %s: %s", row.path, exc.message)
        caption = f"#{row.rank}  {row.score:+.3f}" if row.value is None else f"#{row.rank}  {row.value:.1f}"
        draw.text((x + 4, y + CELL + 3), caption, fill="black")

    try:
        sheet.save(path, quality=90)
    except (OSError, ValueError) as exc:
        raise UserInputError(f"cannot write contact sheet {path}: {exc}; choose another path ending in .jpg or .png") from exc
    logger.info("wrote contact sheet %s with %d photos", path, len(rows))
    return len(rows)
