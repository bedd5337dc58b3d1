"""The foreign test renderer: independent of the training generator, valid labelme, deterministic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alpr.classes import GLYPH_CLASSES
from alpr.foreign import ForeignOptions, generate_foreign
from alpr.foreign.__main__ import main as foreign_cli
from alpr.foreign.render import FOREIGN_FONTS
from alpr.labelme import read_labelme_folder
from alpr.synth.fonts import TRAINING_FONTS
from alpr.synth.photos import RESERVED_FOR_TESTING, TRAINING_PHOTOS


def test_foreign_photos_are_valid_labelme_with_true_readings(tmp_path: Path) -> None:
    """Every file passes ingest; each plate's glyph labels, read row by row, spell its
    description; fonts and photos are the reserved ones."""
    summary = generate_foreign(str(tmp_path), n=24, seed=5, progress=False)
    annotations, report = read_labelme_folder(str(tmp_path), max_bad_fraction=0.0, progress=False)
    assert report.bad == 0 and report.valid == 24 and summary.plates >= 24
    fonts, backgrounds, widths = set(), set(), []
    for item in annotations.images:
        doc = json.loads((tmp_path / item.json_file).read_text())
        assert doc["render"]["renderer"] == "alpr.foreign"
        backgrounds.add(doc["render"]["background"])
        for plate in doc["render"]["plates"]:
            fonts.add(plate["font"])
            widths.append(plate["width_px"])
        for board in (s for s in item.shapes if s.label.endswith("_board")):
            shape, _, text = board.description.partition(":")
            glyphs = [s for s in item.shapes if s.group_id == board.group_id and s.label in GLYPH_CLASSES]
            assert len(glyphs) == 7
            rows = _rows(glyphs) if shape == "regular" else [glyphs]
            read = "".join(g.label for row in rows for g in sorted(row, key=lambda g: g.bbox[0]))
            assert read.upper() == text, (item.json_file, read, text)
    assert fonts <= set(FOREIGN_FONTS) and len(fonts) >= 6
    assert not {f"ttf:{f}" for f in fonts} & set(TRAINING_FONTS)
    photos = {b.split(":", 1)[1] for b in backgrounds if b.startswith("photo:")}
    assert photos and photos <= set(RESERVED_FOR_TESTING) and not photos & set(TRAINING_PHOTOS)
    assert "street" in backgrounds
    assert min(widths) >= 80


def _rows(glyphs):
    """A two-row plate's glyphs split into upper and lower row by their centres."""
    ys = sorted((g.bbox[1] + g.bbox[3]) / 2 for g in glyphs)
    cut = (ys[2] + ys[3]) / 2
    return [[g for g in glyphs if (g.bbox[1] + g.bbox[3]) / 2 < cut], [g for g in glyphs if (g.bbox[1] + g.bbox[3]) / 2 >= cut]]


def test_same_seed_same_bytes_and_not_the_generators_images(tmp_path: Path) -> None:
    from alpr.synth import generate_dataset

    generate_foreign(str(tmp_path / "a"), n=3, seed=9, progress=False)
    generate_foreign(str(tmp_path / "b"), n=3, seed=9, progress=False)
    generate_dataset(str(tmp_path / "synth"), n=3, seed=9, progress=False)
    for name in ("img_000000.jpg", "img_000002.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a/img_000000.jpg").read_bytes() != (tmp_path / "synth/img_000000.jpg").read_bytes()


def test_cli_and_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    options = tmp_path / "foreign.yaml"
    options.write_text("image_sizes: [[1920, 1080]]\nportrait_fraction: 0.0\nplates_per_image: [2, 2]\n")
    foreign_cli([str(tmp_path / "out"), "--n", "2", "--seed", "3", "--options", str(options)])
    assert "wrote 2 photos" in capsys.readouterr().out
    for path in (tmp_path / "out").glob("*.json"):
        doc = json.loads(path.read_text())
        assert (doc["imageWidth"], doc["imageHeight"]) == (1920, 1080)
    with pytest.raises(ValueError, match="max_width_fraction"):
        ForeignOptions(max_width_fraction=0.0)
