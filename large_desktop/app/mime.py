"""The drag-and-drop format for photos of the library: a JSON list of photo ids.

Grid views put it on a drag; drop zones and the label list read it. Files
dragged in from a file manager arrive as URLs instead and are not photo ids.
"""

import json
import logging

from PySide6.QtCore import QMimeData

logger = logging.getLogger(__name__)

PHOTO_IDS_MIME = "application/x-large-desktop-photo-ids"
MAX_PHOTO_ID = 2**63 - 1


def encode_photo_ids(photo_ids: list[int]) -> QMimeData:
    """Return mime data carrying the photo ids of a drag."""
    mime = QMimeData()
    mime.setData(PHOTO_IDS_MIME, json.dumps([int(photo_id) for photo_id in photo_ids]).encode("ascii"))
    return mime


def decode_photo_ids(mime: QMimeData) -> list[int]:
    """Return the photo ids a drag carries, or [] when it carries none or malformed data."""
    if not mime.hasFormat(PHOTO_IDS_MIME):
        return []
    try:
        values = json.loads(bytes(mime.data(PHOTO_IDS_MIME)).decode("ascii"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        logger.warning("ignoring a drop with malformed photo ids: %s", exc)
        return []
    # SQLite ids are positive 64-bit integers; a larger one overflows the query and the signal.
    if not isinstance(values, list) or not all(type(value) is int and 0 < value <= MAX_PHOTO_ID for value in values):
        logger.warning("ignoring a drop whose photo ids are not a list of positive 64-bit integers")
        return []
    return values
