"""ORM tables of the library database (SQLAlchemy 2.0 typed mappings).

A photo is identified by the SHA-256 of its bytes, so a moved or renamed file
keeps its latents and labels. `files` maps the paths seen on disk to photos.
Face items and latents depend on the pack, labels only on the photo.
"""

from datetime import datetime, timezone

from sqlalchemy import ForeignKey, Index, LargeBinary, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Major changes are incompatible (an older program must not open the file);
# minor changes only add what older programs ignore.
SCHEMA_VERSION = (1, 1)


def utc_now() -> datetime:
    """Current UTC time without tzinfo: SQLite's DATETIME column drops the offset."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Folder(Base):
    """A folder the user added to the library."""

    __tablename__ = "folders"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(unique=True)
    missing: Mapped[bool] = mapped_column(default=False)
    last_scan_at: Mapped[datetime | None]


class Photo(Base):
    """One distinct image content, keyed by its SHA-256."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_hash: Mapped[str] = mapped_column(unique=True)
    added_at: Mapped[datetime] = mapped_column(default=utc_now)

    files: Mapped[list["File"]] = relationship(back_populates="photo")


class File(Base):
    """A path on disk holding a photo; kept, marked missing, when it disappears."""

    __tablename__ = "files"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(unique=True)
    folder_id: Mapped[int | None] = mapped_column(ForeignKey("folders.id"))
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id"))
    size: Mapped[int]
    mtime_ns: Mapped[int]
    missing: Mapped[bool] = mapped_column(default=False)
    seen_at: Mapped[datetime] = mapped_column(default=utc_now)

    photo: Mapped[Photo] = relationship(back_populates="files")

    __table_args__ = (Index("ix_files_photo_id", "photo_id"), Index("ix_files_folder_id", "folder_id"))


class PackRecord(Base):
    """A pack that produced latents in this library."""

    __tablename__ = "packs"

    id: Mapped[str] = mapped_column(primary_key=True)
    name: Mapped[str]
    version: Mapped[str]
    num_rows: Mapped[int]  # L
    row_dim: Mapped[int]  # D


class PhotoStatus(Base):
    """The outcome of indexing one photo with one pack; no row means pending."""

    __tablename__ = "photo_status"

    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id"), primary_key=True)
    pack_id: Mapped[str] = mapped_column(ForeignKey("packs.id"), primary_key=True)
    status: Mapped[str]  # "done", "no_face" or "failed"
    error: Mapped[str | None]
    width: Mapped[int | None]
    height: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class Item(Base):
    """One encoded region of a photo: a face, or the whole photo for photo packs."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id"))
    pack_id: Mapped[str] = mapped_column(ForeignKey("packs.id"))
    face_index: Mapped[int]  # 0 = largest face
    left: Mapped[int]
    top: Mapped[int]
    right: Mapped[int]
    bottom: Mapped[int]
    confidence: Mapped[float]

    latent: Mapped["Latent"] = relationship(back_populates="item", cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("photo_id", "pack_id", "face_index"),)


class Latent(Base):
    """An item's latent code as little-endian float32 bytes of shape (L, D)."""

    __tablename__ = "latents"

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    num_rows: Mapped[int]
    row_dim: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)

    item: Mapped[Item] = relationship(back_populates="latent")


class Attribute(Base):
    """A named attribute the user teaches with labels ("age", "smile")."""

    __tablename__ = "attributes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(unique=True)
    description: Mapped[str | None]  # added in schema 1.1
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    labels: Mapped[list["Label"]] = relationship(back_populates="attribute", cascade="all, delete-orphan")


class Label(Base):
    """A user's example for an attribute: "low", "high" or a number, on a photo."""

    __tablename__ = "labels"

    id: Mapped[int] = mapped_column(primary_key=True)
    attribute_id: Mapped[int] = mapped_column(ForeignKey("attributes.id", ondelete="CASCADE"))
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id"))
    kind: Mapped[str]  # "low", "high" or "value"
    value: Mapped[float | None]  # the number for kind "value"
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    attribute: Mapped[Attribute] = relationship(back_populates="labels")

    __table_args__ = (UniqueConstraint("attribute_id", "photo_id"),)
