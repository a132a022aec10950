"""Star ratings in XMP sidecar files, merged without losing the rest of a sidecar.

A sidecar sits next to its photo as `<photo file name>.xmp` (`IMG_1.jpg.xmp`),
the naming darktable uses, so `a.jpg` and `a.png` never share one. The
photo itself is never opened for writing. An existing sidecar keeps its other
properties, comments, namespace prefixes and the packet wrapper around the
root element; only `xmp:Rating` is set. A sidecar that cannot be parsed is
left untouched and reported.
"""

import logging
import os
import re
import tempfile
import threading
import xml.etree.ElementTree as ET
from io import BytesIO
from pathlib import Path

from large_desktop.core.errors import UserInputError

logger = logging.getLogger(__name__)

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XMP_NS = "http://ns.adobe.com/xap/1.0/"
META_NS = "adobe:ns:meta/"
RATING = f"{{{XMP_NS}}}Rating"
DESCRIPTION = f"{{{RDF_NS}}}Description"

MAX_SIDECAR_BYTES = 16 * 1024 * 1024  # real sidecars are a few KB; larger files are not read

# The packet id is the fixed value that every XMP packet wrapper carries.
NEW_SIDECAR = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="{rating}"/>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>
"""

# ElementTree keeps namespace prefixes in one process-wide table, so two
# threads merging sidecars with clashing prefixes must not interleave.
_PREFIX_LOCK = threading.Lock()
_GENERATED_PREFIX = re.compile(r"ns\d+$")


def sidecar_path(photo: Path) -> Path:
    """Return the sidecar of a photo: the full file name plus `.xmp`."""
    return photo.with_name(photo.name + ".xmp")


def read_rating(sidecar: Path) -> int | None:
    """Return a sidecar's `xmp:Rating`, or None when it has none.

    Raises:
        UserInputError: the sidecar cannot be read or parsed.
    """
    root, _ = _parse(_read(sidecar), sidecar)
    for description in root.iter(DESCRIPTION):
        if RATING in description.attrib:
            return int(description.attrib[RATING])
        child = description.find(RATING)
        if child is not None and child.text is not None:
            return int(child.text.strip())
    return None


def write_rating(photo: Path, rating: int) -> Path:
    """Set the star rating (1 to 5) in a photo's sidecar, creating or merging it; return its path.

    The new content is written to a temporary file in the same folder and
    renamed over the sidecar, so a crash leaves the old or the new file.

    Raises:
        UserInputError: the existing sidecar cannot be parsed, or the folder cannot be written.
    """
    assert 1 <= rating <= 5, rating
    sidecar = sidecar_path(photo)
    if sidecar.exists():
        content = merge_rating(_read(sidecar), rating, sidecar)
    else:
        content = NEW_SIDECAR.format(rating=rating).encode("utf-8")
    _replace_atomically(sidecar, content)
    logger.debug("wrote rating %d to %s", rating, sidecar)
    return sidecar


def merge_rating(data: bytes, rating: int, sidecar: Path) -> bytes:
    """Return a sidecar's bytes with `xmp:Rating` set and everything else kept.

    The rating goes where the sidecar already has one (attribute or element),
    else onto its first `rdf:Description`, else into a new one.

    Raises:
        UserInputError: the bytes are not a UTF-8 XMP packet with an `rdf:RDF` element.
    """
    root, prefixes = _parse(data, sidecar)
    rdf = root if root.tag == f"{{{RDF_NS}}}RDF" else root.find(f".//{{{RDF_NS}}}RDF")
    if rdf is None:
        raise UserInputError(f"sidecar {sidecar} has no rdf:RDF element, so it is not XMP; move it away and export again")

    _set_rating(rdf, rating)
    text = data.decode("utf-8-sig")
    prologue, epilogue = _outside_root(text)
    with _PREFIX_LOCK:
        for prefix, uri in prefixes:
            if prefix and not _GENERATED_PREFIX.match(prefix):
                ET.register_namespace(prefix, uri)
        if not any(uri == XMP_NS for _, uri in prefixes):
            ET.register_namespace("xmp", XMP_NS)
        body = ET.tostring(root, encoding="unicode")
    bom = "\ufeff" if data.startswith(b"\xef\xbb\xbf") else ""
    return (bom + prologue + body + epilogue).encode("utf-8")


def _set_rating(rdf: ET.Element, rating: int) -> None:
    descriptions = rdf.findall(DESCRIPTION)
    for description in descriptions:
        if RATING in description.attrib:
            description.set(RATING, str(rating))
            return
        child = description.find(RATING)
        if child is not None:
            child.text = str(rating)
            return
    if descriptions:
        descriptions[0].set(RATING, str(rating))
    else:
        ET.SubElement(rdf, DESCRIPTION, {f"{{{RDF_NS}}}about": "", RATING: str(rating)})


def _read(sidecar: Path) -> bytes:
    try:
        size = sidecar.stat().st_size
        if size > MAX_SIDECAR_BYTES:
            raise UserInputError(f"sidecar {sidecar} is {size} bytes, too large for XMP; move it away and export again")
        return sidecar.read_bytes()
    except OSError as exc:
        raise UserInputError(f"cannot read sidecar {sidecar}: {exc.strerror}; check its permissions") from exc


def _parse(data: bytes, sidecar: Path) -> tuple[ET.Element, list[tuple[str, str]]]:
    """Parse a sidecar keeping comments and processing instructions; return the root and its prefixes."""
    # A DTD is the only way to declare entities, so rejecting it rules out
    # entity expansion attacks; XMP packets never carry one.
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise UserInputError(f"sidecar {sidecar} declares a DTD, which XMP never does; move it away and export again")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise UserInputError(f"sidecar {sidecar} is not UTF-8 text; move it away and export again") from None
    # Expat reads "<" followed by a zero byte as UTF-16 without a byte order mark, which
    # would hide a DTD from the check above. XML text never contains a zero character.
    if b"\x00" in data:
        raise UserInputError(f"sidecar {sidecar} contains zero bytes, so it is not UTF-8 XML; move it away and export again")
    try:
        prefixes = [value for _, value in ET.iterparse(BytesIO(data), events=("start-ns",))]
        parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True, insert_pis=True))
        parser.feed(data)
        root = parser.close()
    except ET.ParseError as exc:
        raise UserInputError(f"sidecar {sidecar} is not valid XML ({exc}); fix or move it, then export again") from None
    return root, prefixes


def _outside_root(text: str) -> tuple[str, str]:
    """Split off what surrounds the root element: XML declaration, packet wrapper, comments."""
    start = 0
    while True:
        rest = text[start:]
        stripped = len(rest) - len(rest.lstrip())
        position = start + stripped
        if text.startswith("<?", position):
            start = text.index("?>", position) + 2
        elif text.startswith("<!--", position):
            start = text.index("-->", position) + 3
        else:
            break

    end = len(text)
    while True:
        trimmed = text[:end].rstrip()
        if trimmed.endswith("?>"):
            end = trimmed.rindex("<?")
        elif trimmed.endswith("-->"):
            end = trimmed.rindex("<!--")
        else:
            end = len(trimmed)
            break
    return text[:position], text[end:]


def _replace_atomically(target: Path, content: bytes) -> None:
    try:
        handle = tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp", delete=False)
    except OSError as exc:
        raise UserInputError(f"cannot write sidecar {target}: {exc.strerror}; make its folder writable") from exc
    temporary = Path(handle.name)
    try:
        with handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        # A temporary file is private (0600); a sidecar keeps its old mode or gets the usual 0644.
        os.chmod(temporary, target.stat().st_mode & 0o7777 if target.exists() else 0o644)
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise UserInputError(f"cannot write sidecar {target}: {exc.strerror}; check the disk and its permissions") from exc
