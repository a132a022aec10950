"""Library.latent_index on the indexed dev faces: chunked loading, and a damaged latent blob."""

import sqlite3
from contextlib import closing

import numpy as np
import pytest
from sqlalchemy import select

from large_desktop.core import engine, library as library_module
from large_desktop.core.cache.schema import Item, Latent
from large_desktop.core.errors import UserInputError


def stored_latents(library) -> tuple[np.ndarray, np.ndarray]:
    """Read every stored latent of the library's pack at once, in photo id order."""
    with library.session() as session:
        rows = session.execute(
            select(Item.photo_id, Latent.data)
            .join(Latent, Latent.item_id == Item.id)
            .where(Item.pack_id == library.pack_id, Item.face_index == 0)
            .order_by(Item.photo_id)
        ).all()
    photo_ids = np.array([row.photo_id for row in rows])
    latents = np.stack([np.frombuffer(row.data, dtype="<f4").reshape(1, -1) for row in rows])  # [N, 1, D]
    return photo_ids, latents


def test_chunked_index_matches_whole(dev_library, monkeypatch):
    monkeypatch.setattr(library_module, "LATENT_CHUNK_ITEMS", 7)  # 200 faces in 29 chunks, the last one short

    index = dev_library.latent_index()

    photo_ids, latents = stored_latents(dev_library)
    whole = engine.PrincipalBasis.fit(latents)
    assert index.photo_ids.tolist() == photo_ids.tolist()
    assert index.basis.num_components == whole.num_components
    np.testing.assert_allclose(index.basis.mean, whole.mean, atol=1e-6)
    np.testing.assert_allclose(index.basis.explained_variance, whole.explained_variance, rtol=1e-4, atol=1e-9)
    # Axes are defined up to sign, and nearly tied variances may mix, so compare the scores they give.
    direction = engine.principal_direction(whole, 0)
    np.testing.assert_allclose(
        engine.score_coords(index.coords, engine.direction_coords(index.basis, direction)),
        engine.score_coords(whole.project(latents), engine.direction_coords(whole, direction)),
        atol=1e-4,
    )


def test_truncated_latent_skipped(dev_library, caplog):
    photo_ids, _ = stored_latents(dev_library)
    damaged = int(photo_ids[57])
    with dev_library.session() as session:
        item_id = session.scalar(select(Item.id).where(Item.photo_id == damaged, Item.face_index == 0))
        latent = session.get(Latent, item_id)
        latent.data = latent.data[:100]
        session.commit()

    index = dev_library.latent_index()

    assert damaged not in index
    assert len(index.photo_ids) == len(photo_ids) - 1
    warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert len(warnings) == 1
    assert f"latent of photo {damaged}" in warnings[0]
    assert "100 bytes" in warnings[0]

    # The photo is pending again, and the next index run repairs it.
    assert dev_library.pending_count() == 1
    for _ in dev_library.index():
        pass
    assert dev_library.pending_count() == 0
    assert damaged in dev_library.latent_index()
    assert len(dev_library.latent_index().photo_ids) == len(photo_ids)


def damage(library, photo_id: int, value) -> None:
    """Replace the stored latent of one photo's first face with `value`, bypassing the ORM's types."""
    with library.session() as session:
        item_id = session.scalar(select(Item.id).where(Item.photo_id == photo_id, Item.face_index == 0))
        session.connection().exec_driver_sql("UPDATE latents SET data = ? WHERE item_id = ?", (value, item_id))
        session.commit()


@pytest.mark.parametrize(
    "value",
    [42, "x" * 512, np.full(128, np.nan, dtype="<f4").tobytes(), np.full(128, np.inf, dtype="<f4").tobytes()],
    ids=["integer", "text", "nan", "infinite"],
)
def test_unusable_latent_values_skipped(dev_library, value, caplog):
    photo_ids, _ = stored_latents(dev_library)
    damaged = int(photo_ids[5])
    damage(dev_library, damaged, value)

    index = dev_library.latent_index()

    assert damaged not in index
    assert len(index.photo_ids) == len(photo_ids) - 1
    assert np.isfinite(index.coords).all()
    assert any(f"latent of photo {damaged}" in record.getMessage() for record in caplog.records)
    assert dev_library.pending_count() == 1


def test_all_latents_damaged_explained(dev_library, caplog):
    with dev_library.session() as session:
        session.connection().exec_driver_sql("UPDATE latents SET data = zeroblob(100)")
        session.commit()

    with pytest.raises(UserInputError) as raised:
        dev_library.latent_index()

    assert "all 200 stored latents of pack dlib-face-128" in raised.value.message
    assert "large-desktop index" in raised.value.message
    assert dev_library.pending_count() == 200
    messages = [record.getMessage() for record in caplog.records]
    assert sum("skipping the latent" in message for message in messages) == 10
    assert any("skipped 190 more damaged latents" in message for message in messages)


def test_missing_pack_record_uses_latent_shape(dev_library):
    # Another SQLite client, where foreign keys are off by default, deleted the pack's row.
    with closing(sqlite3.connect(dev_library.db_path)) as connection:
        connection.execute("DELETE FROM packs")
        connection.commit()

    assert len(dev_library.latent_index().photo_ids) == 200


def test_damaged_labeled_photo_points_at_index(dev_library):
    photo_ids, _ = stored_latents(dev_library)
    young, old = int(photo_ids[0]), int(photo_ids[1])
    dev_library.create_attribute("age")
    dev_library.set_label("age", young, "20")
    dev_library.set_label("age", old, "70")
    damage(dev_library, old, b"\0" * 100)

    with pytest.raises(UserInputError) as raised:
        dev_library.score_all("age")

    assert "1 usable labels (1 on photos without an indexed face)" in raised.value.message
    assert "run `large-desktop index FOLDER`" in raised.value.message
