"""Photo-id drags survive the round trip and malformed drops are ignored."""

from PySide6.QtCore import QMimeData

from large_desktop.app.mime import PHOTO_IDS_MIME, decode_photo_ids, encode_photo_ids


def test_photo_ids_round_trip():
    assert decode_photo_ids(encode_photo_ids([3, 1, 2])) == [3, 1, 2]


def test_malformed_photo_ids_decode_empty():
    for payload in (b"not json", b'{"a": 1}', b'[1, "2"]', b"\xff\xfe", b"[1, 9223372036854775808]", b"[true]", b"[-1]"):
        mime = QMimeData()
        mime.setData(PHOTO_IDS_MIME, payload)
        assert decode_photo_ids(mime) == [], payload


def test_foreign_drag_has_no_photo_ids():
    mime = QMimeData()
    mime.setText("hello")
    assert decode_photo_ids(mime) == []
