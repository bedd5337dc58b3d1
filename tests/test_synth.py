"""Generator: deterministic, label-correct, covering every class."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from alpr.classes import CLASS_NAMES, DIGITS, GLYPH_CLASSES, LETTERS, PART_CLASSES
from alpr.synth import SynthOptions, generate_dataset
from alpr.synth.__main__ import main as synth_cli


def _load(folder: Path) -> dict[str, dict]:
    return {p.name: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}


def _inside(inner: list[list[float]], outer: list[list[float]], tol: float = 1.5) -> bool:
    contour = np.array(outer, np.float32)
    return all(cv2.pointPolygonTest(contour, (float(x), float(y)), True) >= -tol for x, y in inner)


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    generate_dataset(str(a), n=6, seed=7, progress=False)
    generate_dataset(str(b), n=6, seed=7, progress=False)
    files = sorted(p.name for p in a.iterdir())
    assert files == sorted(p.name for p in b.iterdir()) and len(files) == 12
    for name in files:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_other_seed_differs_and_prefix_is_stable(tmp_path: Path) -> None:
    generate_dataset(str(tmp_path / "s1"), n=3, seed=1, progress=False)
    generate_dataset(str(tmp_path / "s2"), n=3, seed=2, progress=False)
    generate_dataset(str(tmp_path / "s1long"), n=5, seed=1, progress=False)
    assert (tmp_path / "s1/img_000000.jpg").read_bytes() != (tmp_path / "s2/img_000000.jpg").read_bytes()
    # image i depends on (seed, i) only: a longer run starts with the same images
    assert (tmp_path / "s1/img_000002.json").read_bytes() == (tmp_path / "s1long/img_000002.json").read_bytes()


def test_labelme_format_and_label_correctness(tmp_path: Path) -> None:
    opts = SynthOptions()
    generate_dataset(str(tmp_path), n=25, seed=3, options=opts, progress=False)
    docs = _load(tmp_path)
    assert len(docs) == 25
    for name, doc in docs.items():
        assert set(doc) >= {"shapes", "imagePath", "imageHeight", "imageWidth", "version", "flags"}
        image = cv2.imread(str(tmp_path / doc["imagePath"]))
        assert image is not None and image.shape[:2] == (doc["imageHeight"], doc["imageWidth"])
        plates: dict[int, list[dict]] = {}
        for s in doc["shapes"]:
            assert s["shape_type"] == "polygon" and len(s["points"]) >= 3
            assert s["label"] in CLASS_NAMES
            for x, y in s["points"]:
                assert 0 <= x <= doc["imageWidth"] and 0 <= y <= doc["imageHeight"], (name, s)
            plates.setdefault(s["group_id"], []).append(s)
        assert opts.plates_per_image[0] <= len(plates) <= opts.plates_per_image[1]
        for group in plates.values():
            _check_plate(name, group)


def _check_plate(name: str, shapes: list[dict]) -> None:
    boards = [s for s in shapes if s["label"].endswith("_board")]
    assert len(boards) == 1, name
    board = boards[0]
    shape = "regular" if board["label"] == "r_board" else "long"
    parts = PART_CLASSES[shape]
    kind, _, text = board["description"].partition(":")
    assert kind == shape and len(text) == 7
    by_label = {}
    for s in shapes:
        by_label.setdefault(s["label"], []).append(s)
    assert len(by_label[parts["sub"]]) == 1 and len(by_label[parts["main"]]) == 1
    other = PART_CLASSES["long" if shape == "regular" else "regular"]
    assert not any(lbl in by_label for lbl in other.values())
    glyphs = [s for s in shapes if s["label"] in GLYPH_CLASSES]
    assert len(glyphs) == 7
    sub, main = by_label[parts["sub"]][0], by_label[parts["main"]][0]
    for g in glyphs:
        assert _inside(g["points"], board["points"]), (name, g)
    sub_glyphs = sorted((g for g in glyphs if _inside(g["points"], sub["points"])), key=_cx)
    main_glyphs = sorted((g for g in glyphs if _inside(g["points"], main["points"])), key=_cx)
    # every glyph sits in exactly one number area, and reading them gives the true text
    assert len(sub_glyphs) == 3 and len(main_glyphs) == 4, name
    read = "".join(g["label"] for g in sub_glyphs + main_glyphs)
    assert read.upper() == text, (name, read, text)
    assert sub_glyphs[0]["label"] in DIGITS and sub_glyphs[2]["label"] in LETTERS


def _cx(shape: dict) -> float:
    return float(np.mean([p[0] for p in shape["points"]]))


def test_all_classes_occur(tmp_path: Path) -> None:
    generate_dataset(str(tmp_path), n=40, seed=11, progress=False)
    labels = {s["label"] for doc in _load(tmp_path).values() for s in doc["shapes"]}
    assert labels == set(CLASS_NAMES)


def test_glyph_polygons_are_tight(tmp_path: Path) -> None:
    """A glyph polygon holds ink: its area is small against its plate and non-degenerate."""
    generate_dataset(str(tmp_path), n=5, seed=5, progress=False)
    for doc in _load(tmp_path).values():
        for s in doc["shapes"]:
            if s["label"] in GLYPH_CLASSES:
                pts = np.array(s["points"], np.float32)
                w, h = pts.max(0) - pts.min(0)
                assert 2 <= w < 80 and 6 <= h < 90, s


def test_cli_writes_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    synth_cli([str(tmp_path / "out"), "--n", "2", "--seed", "4"])
    assert len(list((tmp_path / "out").glob("*.json"))) == 2
    assert "wrote 2 images" in capsys.readouterr().out


def test_cli_never_overwrites_a_users_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "img_000000.jpg").write_bytes(b"my own photo")
    with pytest.raises(SystemExit):
        synth_cli([str(out), "--n", "2"])
    assert "is not empty" in capsys.readouterr().err
    assert (out / "img_000000.jpg").read_bytes() == b"my own photo"
    synth_cli([str(out), "--n", "2", "--overwrite"])  # asked for
    assert (out / "img_000000.jpg").read_bytes() != b"my own photo"


def test_options_reject_bad_ranges() -> None:
    with pytest.raises(ValueError, match="plates_per_image"):
        SynthOptions(plates_per_image=(3, 1))


def test_photo_sizes_portrait_and_closeups(tmp_path: Path) -> None:
    """Photos of every configured size, some portrait; close-ups hold one plate a third of the
    photo wide or more; other plates keep their pixel width whatever the photo's size."""
    opts = SynthOptions(image_sizes=[(640, 480), (1920, 1080)], image_size_weights=[1, 3], portrait_fraction=0.3,
                        regular_width=(80, 120), long_fraction=0.0, closeup_fraction=0.3, closeup_width=(0.35, 0.5),
                        max_rotation_deg=0.0, max_perspective=0.0)
    generate_dataset(str(tmp_path), n=40, seed=4, options=opts, progress=False)
    sizes, closeups = set(), 0
    for doc in _load(tmp_path).values():
        w, h = doc["imageWidth"], doc["imageHeight"]
        sizes.add((w, h))
        boards = [s for s in doc["shapes"] if s["label"] == "r_board"]
        widths = [max(x for x, _ in b["points"]) - min(x for x, _ in b["points"]) for b in boards]
        if any(width >= 0.34 * w for width in widths):
            closeups += 1
            assert len(boards) == 1
        else:
            assert all(79 <= width <= 121 for width in widths), widths
    assert sizes == {(640, 480), (480, 640), (1920, 1080), (1080, 1920)}
    assert closeups >= 2


def test_bad_size_options_are_refused() -> None:
    with pytest.raises(ValueError, match="one non-negative weight per image size"):
        SynthOptions(image_sizes=[(640, 480)], image_size_weights=[1, 2])
    with pytest.raises(ValueError, match="at least 64 px"):
        SynthOptions(image_sizes=[(32, 480)])


def test_every_training_font_draws_every_glyph_and_test_fonts_are_refused() -> None:
    """Each face inks each glyph at the height asked; FreeFont and Noto stay out of training."""
    from alpr.synth.fonts import TRAINING_FONTS, glyph_mask, resolve_font

    for font in TRAINING_FONTS:
        for ch in "0123456789ABCDE":
            mask = glyph_mask(font, ch, 48, weight=1.4, slant=0.2)
            assert mask.shape[0] == 48 and 4 <= mask.shape[1] <= 90 and (mask > 64).mean() > 0.05, (font, ch)
    with pytest.raises(ValueError, match="reserved for the foreign test set"):
        resolve_font("ttf:freefont/FreeSans.ttf")
    with pytest.raises(ValueError, match="not found"):
        SynthOptions(fonts=["ttf:dejavu/NoSuchFont.ttf"])
    with pytest.raises(ValueError, match="no Hershey face"):
        SynthOptions(fonts=["hershey:gothic"])


def test_default_options_draw_the_variety_and_record_it(tmp_path: Path) -> None:
    """Fonts of both kinds, every border, photo and procedural backgrounds, covering effects and
    close plates all occur, each recorded per plate in the labelme file's ``render`` key; the
    annotations stay exact (the label-correctness check above runs on these defaults)."""
    generate_dataset(str(tmp_path), n=40, seed=21, progress=False,
                     options=SynthOptions(image_sizes=[(800, 600)], plates_per_image=(2, 3), regular_width=(90, 150)))
    docs = _load(tmp_path).values()
    plates = [p for d in docs for p in d["render"]["plates"]]
    assert {p["font"].split(":")[0] for p in plates} == {"hershey", "ttf"}
    assert len({p["font"] for p in plates}) >= 15
    assert {p["border"] for p in plates} == {"none", "thin", "thick", "rounded"}
    assert {d["render"]["background"].split(":")[0] for d in docs} == {"procedural", "photo"}
    effects = {e for p in plates for e in p["effects"]}
    assert effects >= {"shadow", "glare", "low_contrast"} and effects & {"line", "disc"}
    assert any(p["beside_another"] for p in plates) and any(p["slant"] for p in plates)
    assert {p["paint"] for p in plates} == {"scheme", "random"}
    assert any(p["sub_row_scale"] < 0.8 for p in plates) and any(p.get("texture") for p in plates)
    for doc in docs:
        groups = {s["group_id"] for s in doc["shapes"]}
        assert groups == {p["group_id"] for p in doc["render"]["plates"]}
        for group in groups:
            _check_plate(doc["imagePath"], [s for s in doc["shapes"] if s["group_id"] == group])


def test_close_plates_sit_a_few_pixels_apart(tmp_path: Path) -> None:
    opts = SynthOptions(image_sizes=[(1280, 960)], plates_per_image=(3, 3), close_plates_probability=1.0)
    generate_dataset(str(tmp_path), n=8, seed=5, options=opts, progress=False)
    gaps = []
    for doc in _load(tmp_path).values():
        boxes = [np.array(s["points"]) for s in doc["shapes"] if s["label"].endswith("_board")]
        for a, b in itertools.pairwise(boxes):
            dx = max(b[:, 0].min() - a[:, 0].max(), a[:, 0].min() - b[:, 0].max())
            dy = max(b[:, 1].min() - a[:, 1].max(), a[:, 1].min() - b[:, 1].max())
            gaps.append(max(dx, dy))
    assert min(gaps) > 0  # never overlapping
    assert np.median(gaps) < 40  # most next plates placed right beside the previous one


def test_classic_options_keep_the_plain_look(tmp_path: Path) -> None:
    opts = SynthOptions.classic(image_sizes=[(640, 480)])
    generate_dataset(str(tmp_path), n=10, seed=2, options=opts, progress=False)
    docs = _load(tmp_path).values()
    plates = [p for d in docs for p in d["render"]["plates"]]
    assert {p["font"] for p in plates} <= {"hershey:simplex", "hershey:duplex", "hershey:complex", "hershey:triplex"}
    assert all(d["render"]["background"] == "procedural" for d in docs)
    assert not any(p["effects"] or p["slant"] or p.get("texture") for p in plates)


def test_variety_options_reject_bad_ranges() -> None:
    with pytest.raises(ValueError, match="sub_row_scale"):
        SynthOptions(sub_row_scale=(0.8, 1.2))
    with pytest.raises(ValueError, match="stroke_weight"):
        SynthOptions(stroke_weight=(0.1, 1.0))
    with pytest.raises(ValueError, match="border_styles"):
        SynthOptions(border_styles=["zigzag"])
