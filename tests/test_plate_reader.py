"""The plate reader: straightening boards, CTC decoding, real training, and its place in reading."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from alpr.classes import GLYPHS
from alpr.model.plate_reader import (
    VOTING_WIDENINGS,
    PlateReader,
    ReaderParams,
    board_patch,
    board_rectangle,
    board_samples,
    decode,
    synthetic_samples,
    train_plate_reader,
    vote,
    widened,
)
from alpr.postprocess import Detection, ReadOptions, read_plates


def _rotated(w: float, h: float, degrees: float, centre=(200.0, 150.0)) -> np.ndarray:
    return cv2.boxPoints((centre, (w, h), degrees))


@pytest.mark.parametrize("degrees", [-30.0, -10.0, 0.0, 10.0, 30.0])
@pytest.mark.parametrize("w,h", [(180.0, 40.0), (110.0, 80.0), (60.0, 70.0)])
def test_board_rectangle_starts_top_left_and_reads_to_the_right(degrees: float, w: float, h: float) -> None:
    for points in (_rotated(w, h, degrees), _rotated(w, h, degrees)[::-1]):  # either way round
        tl, tr, br, bl = board_rectangle(points.tolist())
        across = tr - tl
        assert across[0] > 0 and abs(np.degrees(np.arctan2(across[1], across[0])) - degrees) < 0.5
        assert np.hypot(*across) == pytest.approx(w, abs=0.5)
        assert (bl - tl)[1] > 0 and np.allclose(br, tr + bl - tl, atol=1e-3)


def test_board_patch_straightens_a_turned_board() -> None:
    """A turned board with a dark bar along its top: straightened, the bar is at the top."""
    image = np.full((300, 400), 200, np.uint8)
    board = np.full((60, 180), 230, np.uint8)
    board[5:20] = 20
    m = cv2.getRotationMatrix2D((90, 30), -20, 1.0)
    m[:, 2] += (110, 120)
    cv2.warpAffine(board, m, (400, 300), dst=image, borderMode=cv2.BORDER_TRANSPARENT)
    outline = cv2.transform(np.float32([[[0, 0], [180, 0], [180, 60], [0, 60]]]), m)[0]
    patch = board_patch(image, board_rectangle(outline.tolist()), (128, 48), margin=0.0)
    rows = patch.mean(1)
    assert rows[3:12].mean() < rows[20:44].mean() - 1.0
    # a board far larger than the patch is averaged down, not aliased: the same patch within noise
    big = cv2.resize(image, None, fx=6, fy=6, interpolation=cv2.INTER_LINEAR)
    big_patch = board_patch(big, board_rectangle((outline * 6).tolist()), (128, 48), margin=0.0)
    assert np.abs(big_patch - patch).mean() < 0.15


def test_decode_reads_the_best_path_and_keeps_only_plate_texts() -> None:
    def steps(path: str) -> np.ndarray:
        classes = "-" + "".join(GLYPHS)
        out = np.full((len(path), len(classes)), np.log(0.01))
        for t, ch in enumerate(path):
            out[t, classes.index(ch)] = np.log(0.9)
        return out

    assert decode(steps("5-1a--11-2-34")[None]) == [("51a1234", pytest.approx(0.9))]
    assert decode(steps("51a123")[None]) == [("", 0.0)]  # the repeat collapses: six characters
    assert decode(steps("5-1-a-1-2-3-4-5")[None]) == [("", 0.0)]  # eight
    assert decode(steps("5-1-8-1-2-3-4")[None]) == [("", 0.0)]  # a digit where the letter goes


def test_a_boards_views_vote_for_the_text_read_most_surely_in_all() -> None:
    # a mask cut through the first glyph: "8" seen as "3" surely, the widened views read "8"
    views = [("35e4826", 0.995), ("85e4826", 0.9997), ("85e4826", 0.9996)]
    assert vote(views) == ("85e4826", pytest.approx((0.9997 + 0.9996) / 3))
    assert vote([("51a1234", 0.9), ("", 0.0), ("51a1234", 0.6)]) == ("51a1234", pytest.approx(0.5))
    assert vote([("", 0.0), ("12d1212", 0.57), ("", 0.0)]) == ("", 0.0)  # one view of three: no reading
    assert vote([("71a2391", 0.74), ("", 0.0), ("71a2331", 0.34)]) == ("", 0.0)
    assert vote([("", 0.0), ("", 0.0)]) == ("", 0.0)
    corners = np.float32([[10, 20], [110, 20], [110, 60], [10, 60]])
    np.testing.assert_allclose(widened(corners, 0.1), [[0, 20], [120, 20], [120, 60], [0, 60]])


def test_the_reference_reader_reads_boards_whose_outline_cuts_a_glyph_off(reference_checkpoint: Path) -> None:
    """Outlines cut a fifth short at one end (through the first or last glyph, as masks of
    tilted plates at a photo's edge are): one view of the outline misreads or reads nothing for
    many; the widened views read nearly all."""
    from alpr.model.checkpoint import load_checkpoint
    from alpr.synth import SynthOptions
    from alpr.synth.generate import image_rng
    from alpr.synth.scene import render_scene

    model = load_checkpoint(str(reference_checkpoint)).reader
    one_view, views = PlateReader(model), PlateReader(model, widenings=VOTING_WIDENINGS)
    options = SynthOptions.classic(image_sizes=[(640, 480)], plates_per_image=(1, 2))
    read = {"one view": 0, "views": 0}
    boards = 0
    for i in range(16):
        scene = render_scene(image_rng(77, i), options)
        for plate in scene.plates:
            corners = board_rectangle(plate.quad.tolist())
            cut = 0.2 * (corners[1] - corners[0])
            if boards % 2:
                corners[[0, 3]] += cut
            else:
                corners[[1, 2]] -= cut
            boards += 1
            for name, reader in (("one view", one_view), ("views", views)):
                read[name] += reader.read(scene.image, [corners.tolist()])[0][0] == plate.text.text.lower()
    assert boards >= 16
    assert read["one view"] <= 0.7 * boards and read["views"] >= 0.9 * boards, (read, boards)


def test_plate_reader_learns_the_boards_it_is_shown(tiny_dataset: Path) -> None:
    params = ReaderParams(epochs=40, copies=16, batch_size=16, lr=3e-3, seed=1)  # ~50 s: CTC needs its steps
    model = train_plate_reader(tiny_dataset, params)
    assert model.metrics["train_boards"] >= 12 and "val_exact" in model.metrics
    # the training split's 18 boards, true outlines: a working reader has learnt most (0.94
    # here), an untrained one reads none
    x, texts = board_samples(tiny_dataset, "train", params, 1, False, np.random.default_rng(0))
    reader = PlateReader(model)
    from alpr.model.plate_reader import _log_probs

    read = [t for t, _ in decode(_log_probs(reader.net, x))]
    assert np.mean([r == t for r, t in zip(read, texts)]) >= 0.75
    assert reader.read(np.zeros((48, 64, 3), np.uint8), []) == []
    (text, confidence), = reader.read(np.zeros((48, 64, 3), np.uint8), [[(1, 2), (40, 2), (40, 20), (1, 20)]])
    assert (text == "") == (confidence == 0.0) and 0.0 <= confidence <= 1.0


def test_board_samples_name_a_split_without_readings(tiny_dataset: Path, tmp_path: Path) -> None:
    import json
    import shutil

    copy = tmp_path / "coco"
    shutil.copytree(tiny_dataset, copy)
    doc = json.loads((copy / "annotations" / "train.json").read_text())
    for image in doc["images"]:
        image["plates"] = [{**p, "text": None} for p in image["plates"]]
    (copy / "annotations" / "train.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="train split has no boards with a reading"):
        board_samples(copy, "train", ReaderParams(), 1, False, np.random.default_rng(0))


def _board(text: str = "", text_score: float = 0.0, label: str = "l_board", score: float = 0.9) -> Detection:
    return Detection(label, score, (10.0, 10.0, 190.0, 50.0), None, text, text_score)


def _glyphs(text: str) -> list[Detection]:
    return [Detection(ch, 0.9, (20.0 + 22 * i, 20.0, 38.0 + 22 * i, 40.0)) for i, ch in enumerate(text)]


def test_a_read_board_reads_as_the_reader_says_first_or_as_fallback() -> None:
    detections = [_board("51a1234", 0.8)] + _glyphs("51b1284")
    first, = read_plates(detections)
    assert (first.text, first.shape, first.score) == ("51A1234", "long", pytest.approx(0.72))
    fallback, = read_plates(detections, ReadOptions(reader="fallback"))
    assert fallback.text == "51B1284"  # the glyphs read a valid plate: they win
    # five glyphs and the reader ignored: nothing read
    assert read_plates([_board("51a1234", 0.8)] + _glyphs("51b12"), ReadOptions(reader="off")) == []
    rescued, = read_plates([_board("51a1234", 0.8)] + _glyphs("51b12"), ReadOptions(reader="fallback"))
    assert rescued.text == "51A1234"
    # the group's board read most surely speaks for the plate
    pair = [_board("51a1234", 0.5, score=0.9), _board("51a1239", 0.9, "r_board", score=0.8)]
    best, = read_plates(pair)
    assert (best.text, best.shape) == ("51A1239", "regular")


def _outline(x: float, y: float, w: float, h: float) -> tuple[tuple[float, float], ...]:
    return (x, y), (x + w, y), (x + w, y + h), (x, y + h)


def test_a_read_plate_takes_the_shape_its_boards_outline_shows() -> None:
    def shape(label: str, w: float, h: float) -> str:
        board = Detection(label, 0.9, (10.0, 10.0, 10.0 + w, 10.0 + h), _outline(10, 10, w, h), "51a1234", 0.9)
        reading, = read_plates([board])
        return reading.shape

    assert shape("r_board", 250, 50) == "long"  # one row of seven, whatever the class says
    assert shape("l_board", 120, 80) == "regular"  # two rows
    assert shape("l_board", 145, 50) == "long" and shape("r_board", 145, 50) == "regular"  # 2.9: the class decides


def test_a_board_detected_too_short_is_read_from_its_glyphs() -> None:
    glyphs = _glyphs("51a1234")  # x 20 ... 170
    def read(board_x1: float) -> str:
        board = Detection("l_board", 0.9, (board_x1, 10.0, 190.0, 50.0), None, "31a1234", 0.95)
        reading, = read_plates([board] + glyphs)
        return reading.text

    assert read(30.0) == "51A1234"  # more than half of the first glyph off the board: the reader guessed it
    assert read(24.0) == "31A1234"  # a glyph a little over the edge: the reader saw the whole plate


def test_only_the_glyphs_a_board_cut_off_are_taken_from_the_detectors_glyphs() -> None:
    """The detector misreads a glyph on the board (the last digit) as well: the reader's stands."""
    glyphs = _glyphs("51a1239")  # x 20 ... 170, the last one misread
    def read(reader_text: str) -> str:
        board = Detection("l_board", 0.9, (30.0, 10.0, 190.0, 50.0), None, reader_text, 0.95)
        reading, = read_plates([board] + glyphs)
        assert reading.glyphs[0].label == "5" and reading.glyphs[-1].label == reading.text[-1]
        return reading.text

    assert read("31a1234") == "51A1234"  # the first digit guessed: the glyph's; the last one the reader's
    assert read("51a1234") == "51A1234"  # the cut glyph read alike: the reader's reading


def test_a_wider_board_read_surely_outreads_a_stronger_board_cut_short() -> None:
    cut = Detection("l_board", 0.9, (40.0, 10.0, 190.0, 50.0), None, "11e0461", 0.65)
    def read(wide_confidence: float) -> str:
        wide = Detection("l_board", 0.3, (10.0, 8.0, 192.0, 52.0), None, "91e0461", wide_confidence)
        reading, = read_plates([cut, wide])
        return reading.text

    assert read(0.99) == "91E0461"
    assert read(0.8) == "11E0461"  # not sure enough to overrule the stronger board
    # a board reaching far further holds another plate as well (its text the other plate's)
    beside = Detection("l_board", 0.3, (35.0, 8.0, 400.0, 52.0), None, "91e0461", 0.99)
    assert [r.text for r in read_plates([cut, beside])] == ["11E0461"]
    # and so does one reaching far below it (a box around this plate and one under it, read as that one)
    upper = Detection("l_board", 0.58, (260.0, 198.0, 588.0, 256.0), None, "92a7384", 1.0)
    lower = Detection("l_board", 0.57, (114.0, 323.0, 640.0, 445.0), None, "14d7540", 0.755)
    both = Detection("r_board", 0.26, (114.0, 198.0, 594.0, 467.0), None, "14d7540", 0.995)
    assert sorted(r.text for r in read_plates([upper, lower, both])) == ["14D7540", "92A7384"]


def test_a_reading_has_the_box_of_the_tightest_board_read_surely() -> None:
    loose = Detection("l_board", 0.7, (0.0, 0.0, 300.0, 80.0), None, "83a7401", 0.998)
    def box(tight_confidence: float):
        tight = Detection("l_board", 0.65, (50.0, 10.0, 250.0, 60.0), None, "83a7401", tight_confidence)
        reading, = read_plates([loose, tight])
        assert reading.score == pytest.approx(0.7 * 0.998)  # the surest board speaks for the plate
        return reading.bbox

    assert box(0.999) == (50.0, 10.0, 250.0, 60.0)
    assert box(0.5) == loose.bbox  # a board read unsurely may lack part of the plate


def test_a_reading_has_the_box_of_its_boards_outline() -> None:
    """A board boxed with much of the scene around it but masked tightly: the plate's box is the
    mask's (the box alone matched the true plate with IoU < 0.5). The detection box is still the
    one a glyph reading is compared with: a board cut short whose glyph reading's box is loose
    still takes the glyph it cut off."""
    loose = Detection("l_board", 0.7, (0.0, 0.0, 300.0, 120.0), _outline(40, 30, 200, 50), "83a7401", 0.99)
    reading, = read_plates([loose])
    assert reading.bbox == (40.0, 30.0, 241.0, 81.0)
    cut = Detection("l_board", 0.9, (42.0, 5.0, 190.0, 55.0), _outline(42, 15, 148, 30), "31a1234", 0.95)
    looser = Detection("l_board", 0.4, (10.0, 0.0, 195.0, 62.0))  # the glyphs read on it: 0.65 IoU with
    reading, = read_plates([cut, looser] + _glyphs("51a1234"))  # the cut board's box, 0.4 with its outline's
    assert reading.text == "51A1234"


def test_a_glyph_one_board_cut_off_but_another_reading_alike_holds_is_the_readers() -> None:
    """Two boards read the same text: the tighter one cut the last glyph short, a wider one holds
    it; the detector took that glyph ("7") for a "1". The reader saw it: its "7" stands."""
    glyphs = _glyphs("15d6901")  # x 20 ... 170
    tight = Detection("l_board", 0.6, (10.0, 10.0, 160.0, 50.0), None, "15d6907", 0.999)
    def read(wide_text: str) -> str:
        wide = Detection("l_board", 0.65, (8.0, 8.0, 192.0, 52.0), None, wide_text, 0.8)
        reading, = read_plates([wide, tight] + glyphs)
        return reading.text

    assert read("15d6907") == "15D6907"
    assert read("") == "15D6901"  # no board that read it holds the last glyph: the glyph's


def test_plates_joined_by_a_board_detected_too_large_are_each_read() -> None:
    too_large = Detection("r_board", 0.95, (0.0, 0.0, 200.0, 180.0))
    upper = Detection("l_board", 0.6, (10.0, 10.0, 190.0, 50.0), None, "51a1234", 0.9)
    lower = Detection("l_board", 0.5, (10.0, 120.0, 190.0, 160.0), None, "29b5678", 0.95)
    again = Detection("l_board", 0.3, (12.0, 118.0, 188.0, 161.0), None, "29b5678", 0.9)  # the same plate
    readings = read_plates([too_large, upper, lower, again])
    assert sorted((r.text, r.bbox) for r in readings) == [("29B5678", lower.bbox), ("51A1234", upper.bbox)]
    # without the reader the group is one plate of no readable glyphs
    assert read_plates([too_large, upper, lower, again], ReadOptions(reader="off")) == []
    # the board too large reads one of them surely itself: it still joins two plates
    read_too = Detection("r_board", 0.95, too_large.bbox, None, "51a1234", 0.9)
    readings = read_plates([read_too, upper, lower, again])
    assert sorted((r.text, r.bbox) for r in readings) == [("29B5678", lower.bbox), ("51A1234", upper.bbox)]


def test_a_weak_board_the_reader_reads_surely_is_a_plate() -> None:
    weak = [_board("51a1234", 0.95, score=0.15)]
    assert [r.text for r in read_plates(weak)] == ["51A1234"]
    assert read_plates([_board("51a1234", 0.5, score=0.15)]) == []  # unsure: a weak board stays a fragment
    assert read_plates(weak, ReadOptions(reader_start_confidence=0.99)) == []


def test_synthetic_boards_are_drawn_reproducibly() -> None:
    from alpr.classes import PLATE_TEXT

    params = ReaderParams(synthetic_photos=3, copies=2, seed=4)
    x, texts = synthetic_samples(params, np.random.default_rng(0))
    assert x.shape[1:] == (1, 48, 128) and len(texts) == len(x) >= 6 and all(PLATE_TEXT.fullmatch(t) for t in texts)
    again, texts_again = synthetic_samples(params, np.random.default_rng(0))
    assert texts_again == texts and np.array_equal(again, x)
    # drawn with the generator's options given: here the classic look, three plates a photo
    classic = params.model_copy(update={"synthetic_options": {"look": "classic", "plates_per_image": (3, 3)}})
    x3, texts3 = synthetic_samples(classic, np.random.default_rng(0))
    assert len(texts3) == 3 * 3 * 2 and not np.array_equal(x3[:6], x[:6])


def test_the_reference_model_reads_plates_from_the_view_with_fewer_passes(reference_checkpoint: Path,
                                                                          tmp_path: Path) -> None:
    """The committed model with its plate reader: plates read surely in the finding view need no
    crop; read from crops instead, they read the same."""
    import json

    from alpr.classes import BOARD_CLASSES
    from alpr.model.detector import Detector, read_detected_plates
    from alpr.synth import SynthOptions, generate_dataset

    photos = SynthOptions.classic(image_sizes=[(1280, 720)], plates_per_image=(2, 2), regular_width=(120, 180),
                                  max_rotation_deg=5.0, closeup_fraction=0.0)
    generate_dataset(str(tmp_path), n=2, seed=4242, options=photos, progress=False)
    detector = Detector(str(reference_checkpoint), mask_classes=list(BOARD_CLASSES))
    assert detector.plate_reader is not None and detector.plate_scale.view_read_confidence == 0.9
    assert detector.plate_reader.widenings == (0.0,)  # one view: three read as many plates, slower
    passes = []
    infer = detector.infer
    detector.infer = lambda image: passes.append(image.shape) or infer(image)
    for doc_path in sorted(tmp_path.glob("*.json")):
        doc = json.loads(doc_path.read_text())
        truth = sorted(s["description"] for s in doc["shapes"] if s["label"].endswith("_board"))
        image = cv2.imread(str(tmp_path / doc["imagePath"]))
        counts = []
        for view_read in (0.9, None):
            detector.configure_test(plate_scale={"view_read_confidence": view_read})
            passes.clear()
            read = sorted(f"{p.shape}:{p.text}" for p in read_detected_plates(detector.detect(image)))
            assert read == truth, (doc_path.name, view_read)
            counts.append(len(passes))
        assert counts[0] < counts[1], counts  # the view's reading saved crop passes
        detector.configure_test(read_widenings=VOTING_WIDENINGS, plate_scale={"view_read_confidence": 0.9})
        read = sorted(f"{p.shape}:{p.text}" for p in read_detected_plates(detector.detect(image)))
        assert read == truth, doc_path.name  # boards read from three views that vote
        detector.configure_test(read_widenings=())
        assert detector.plate_reader.widenings == (0.0,)


def test_prelabelling_a_plate_read_by_the_reader_alone_writes_its_board_and_reading() -> None:
    from alpr.prelabel import prelabel_document

    alone = [_board("51a1234", 0.8)]
    with_glyphs = [_board("51a1234", 0.8)] + _glyphs("51b1284")
    for detections, labels in ((alone, ["l_board"]), (with_glyphs, ["l_board", "l_s_n", "l_m_n", *"51a1234"])):
        doc = prelabel_document(read_plates(detections), detections, "car.jpg", 200, 60)
        assert [s["label"] for s in doc["shapes"]] == labels  # the glyphs carry the reader's characters
        assert doc["shapes"][0]["description"] == "long:51A1234"
