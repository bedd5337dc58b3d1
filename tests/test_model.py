"""Real mmdet training on tiny data, checkpoint round trip in a fresh process, evaluation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from alpr.model.checkpoint import CheckpointError, load_checkpoint
from alpr.model.training_config import TrainParams
from alpr.project import PROJECT_ROOT


def test_training_writes_checkpoint_and_tensorboard(trained) -> None:
    assert trained.checkpoint.is_file()
    assert trained.tensorboard_dir is not None
    assert list(trained.tensorboard_dir.glob("events.out.tfevents.*"))
    # mmdet's CocoMetric reports nothing when a barely trained model detects nothing; ours always does
    assert {"alpr/eir", "alpr/dv_mAP", "alpr/char_accuracy", "alpr/bbox_mAP", "alpr/segm_mAP"} <= set(trained.val_metrics)
    assert trained.wall_time_s > 0 and trained.peak_rss_mb > 100


def test_checkpoint_is_plain_and_self_describing(trained) -> None:
    payload = torch.load(trained.checkpoint, weights_only=True)  # never unpickles objects
    assert payload["format"] == "alpr-detector/1"
    assert payload["classes"][:3] == ["0", "1", "2"] and len(payload["classes"]) == 21
    assert "SwinTransformer" in payload["config"] and "optimizer" not in payload
    assert payload["params"]["embed_dims"] == 16
    assert set(payload["versions"]) == {"torch", "mmcv", "mmdet", "mmengine"}
    ckpt = load_checkpoint(str(trained.checkpoint))
    assert ckpt.metrics["val"] == trained.val_metrics
    glyphs = payload["glyphs"]  # the second-look glyph classifier travels in the same file
    assert glyphs["classes"] == list("0123456789abcde") and glyphs["params"]["size"] == [24, 32]
    assert all(isinstance(v, torch.Tensor) for v in glyphs["state_dict"].values())
    assert ckpt.glyphs is not None and 0.0 <= ckpt.glyphs.metrics["val_accuracy"] <= 1.0
    assert trained.val_metrics["glyphs/val_accuracy"] == ckpt.glyphs.metrics["val_accuracy"]
    reader = payload["reader"]  # and the plate reader
    assert reader["classes"] == glyphs["classes"] and reader["params"]["size"] == [128, 48]
    assert ckpt.reader is not None and trained.val_metrics["reader/val_exact"] == ckpt.reader.metrics["val_exact"]


def test_checkpoint_loads_in_fresh_process(trained, tiny_dataset: Path) -> None:
    image = next((tiny_dataset / "images").glob("*.jpg"))
    code = (
        "import json, sys, cv2\n"
        "from alpr.model.detector import Detector\n"
        "d = Detector(sys.argv[1], score_threshold=0.0)\n"
        "objs = d.detect(cv2.imread(sys.argv[2]))\n"
        "print(json.dumps({'n': len(objs), 'classes': len(d.classes), 'mask': list(objs[0].image_mask(640, 480).shape) if objs else None}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(trained.checkpoint), str(image)], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["classes"] == 21
    assert out["n"] > 0 and out["mask"] == [480, 640]  # at threshold 0 an untrained model detects; photo pixels


def test_same_seed_same_weights(trained, tiny_dataset: Path, tiny_params, tmp_path: Path) -> None:
    from alpr.model.train import train_detector

    again = train_detector(tiny_params, tiny_dataset, tmp_path)
    a = load_checkpoint(str(trained.checkpoint)).state_dict
    b = load_checkpoint(str(again.checkpoint)).state_dict
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_evaluate_reports_all_metrics(trained, tiny_dataset: Path) -> None:
    from alpr.model.detector import Detector
    from alpr.model.evaluate import evaluate_detector

    report = evaluate_detector(Detector(str(trained.checkpoint)), tiny_dataset, "test", progress=False)
    test_images = json.loads((tiny_dataset / "annotations" / "test.json").read_text())["images"]
    assert report.images == len(test_images) > 0
    assert report.true_plates == sum(len(i["plates"]) for i in test_images)
    for value in (report.bbox_mAP, report.segm_mAP, report.dv_mAP, report.eir, report.char_accuracy):
        assert 0.0 <= value <= 1.0
    assert report.latency_p50_ms > 0


def test_not_a_checkpoint_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "x.pth"
    torch.save({"weights": torch.zeros(1)}, bad)
    with pytest.raises(CheckpointError, match="not an alpr-detector/1 checkpoint"):
        load_checkpoint(str(bad))
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(str(tmp_path / "missing.pth"))


def test_checkpoint_with_foreign_glyph_classes_is_rejected(trained, tmp_path: Path) -> None:
    payload = torch.load(trained.checkpoint, weights_only=True)
    payload["glyphs"]["classes"] = list("0123456789")
    torch.save(payload, tmp_path / "x.pth")
    with pytest.raises(CheckpointError, match="x.pth: unusable glyph classifier .*differ"):
        load_checkpoint(str(tmp_path / "x.pth"))
    payload = torch.load(trained.checkpoint, weights_only=True)
    del payload["reader"]["state_dict"]
    torch.save(payload, tmp_path / "y.pth")
    with pytest.raises(CheckpointError, match="y.pth: unusable plate reader .*state_dict"):
        load_checkpoint(str(tmp_path / "y.pth"))


def test_params_validation() -> None:
    with pytest.raises(ValueError, match="4 stage depths"):
        TrainParams(depths=[2, 2])


def test_config_points_each_split_at_its_own_file(tiny_dataset: Path, tiny_params, tmp_path: Path) -> None:
    from alpr.model.training_config import build_config

    cfg, _ = build_config(tiny_params, str(tiny_dataset), str(tmp_path))
    files = {name: cfg[f"{name}_dataloader"].dataset.ann_file for name in ("train", "val", "test")}
    assert files == {"train": "annotations/train.json", "val": "annotations/val.json", "test": "annotations/test.json"}
    assert {m.type for m in cfg.val_evaluator} == {"CocoMetric", "PlateReadingMetric"}
    assert all(m.ann_file.endswith("/annotations/val.json") for m in cfg.val_evaluator)
    assert all(m.ann_file.endswith("/annotations/test.json") for m in cfg.test_evaluator)
    assert cfg.model.backbone.embed_dims == 16 and cfg.model.neck.in_channels == [16, 32, 64, 128]
    assert all(t.type != "RandomFlip" for t in cfg.train_dataloader.dataset.pipeline)  # flips mirror text


def test_model_configs_mean_what_they_say(tmp_path: Path) -> None:
    """Settings left None come from the model config; set ones override every place they apply."""
    from alpr.model.training_config import build_config

    _, full = build_config(TrainParams(model="full"), str(tmp_path), str(tmp_path))
    assert (full.batch_size, full.image_size, full.train_crop) == (8, (384, 288), (240, 192))
    assert (full.embed_dims, full.depths) == (96, [2, 2, 6, 2])
    cfg, default = build_config(TrainParams(), str(tmp_path), str(tmp_path))
    assert (default.image_size, default.train_crop, default.lr) == ((384, 288), (240, 192), 2e-3)
    assert (default.max_iters, default.warmup_iters, default.batch_size) == (4800, 100, 2)
    resizes = [t.scale for loader in ("train", "val", "test") for t in cfg[f"{loader}_dataloader"].dataset.pipeline
               if t.type == "Resize"]
    assert resizes == [(384, 288)] * 2  # val and test; training resizes by plate scale
    cfg, params = build_config(TrainParams(image_size=(320, 240), max_iters=7, lr=1e-3), str(tmp_path), str(tmp_path))
    resizes = [t.scale for loader in ("train", "val", "test") for t in cfg[f"{loader}_dataloader"].dataset.pipeline
               if t.type == "Resize"]
    assert resizes == [(320, 240)] * 2 and params.image_size == (320, 240)
    assert [t.fit_size for t in cfg.train_dataloader.dataset.pipeline if t.type == "PlateScaleResize"] == [(320, 240)]
    assert cfg.train_cfg.max_iters == 7 and cfg.param_scheduler[-1].end == 7 and cfg.optim_wrapper.optimizer.lr == 1e-3


def test_outline_follows_the_mask() -> None:
    import numpy as np

    from alpr.model.detector import DetectedObject

    mask = np.zeros((480, 640), bool)
    mask[100:150, 200:300] = True
    board = DetectedObject.from_image_mask("l_board", 0.9, (200.0, 100.0, 300.0, 150.0), mask)
    assert board.mask.shape == (53, 103) and board.mask_origin == (199, 99)  # the box region only
    assert np.array_equal(board.image_mask(640, 480), mask)
    outline = board.outline()
    xs, ys = [p[0] for p in outline], [p[1] for p in outline]
    assert (min(xs), max(xs), min(ys), max(ys)) == (200.0, 299.0, 100.0, 149.0)
    empty = DetectedObject.from_image_mask("0", 0.9, (10.0, 10.0, 20.0, 20.0), np.zeros((480, 640), bool))
    assert empty.outline() is None


def test_detections_map_between_image_scales() -> None:
    import numpy as np

    from alpr.model.detector import DetectedObject

    mask = np.zeros((100, 200), bool)
    mask[20:40, 50:150] = True  # a 100x20 board in a 200x100 view
    view = DetectedObject.from_image_mask("l_board", 0.9, (50.0, 20.0, 150.0, 40.0), mask)
    photo = view.mapped((4.0, 4.0), (0.0, 0.0), (800, 400))  # the photo is 4x the view
    assert photo.bbox == (200.0, 80.0, 600.0, 160.0)
    ys, xs = np.nonzero(photo.image_mask(800, 400))
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (200, 599, 80, 159)
    moved = view.mapped((0.5, 0.5), (300.0, 10.0), (800, 400))  # a crop at half scale, placed at (300, 10)
    ys, xs = np.nonzero(moved.image_mask(800, 400))
    assert moved.bbox == (325.0, 20.0, 375.0, 30.0) and (xs.min(), xs.max(), ys.min(), ys.max()) == (325, 374, 20, 29)


def test_detector_takes_its_threshold_from_the_model_and_test_levers_apply(trained, tiny_dataset: Path) -> None:
    import cv2

    from alpr.model.detector import Detector

    detector = Detector(str(trained.checkpoint), second_look=False)  # the detector's own output
    assert detector.score_threshold == detector.model.test_cfg.rcnn.score_thr == 0.1  # configs/model/default.py
    detector.configure_test(score_threshold=0.0, rpn_proposals=40, max_detections=5, size=(256, 192))
    cfg = detector.model.test_cfg
    assert (cfg.rpn.max_per_img, cfg.rcnn.max_per_img, cfg.rcnn.score_thr) == (40, 5, 0.0)
    image = cv2.imread(str(next((tiny_dataset / "images").glob("*.jpg"))))
    objects = detector.detect(image)
    assert 0 < len(objects) <= 5 * (1 + 8)  # an untrained model with threshold 0 keeps the cap (per view)
    for o in objects:  # back in the photo's own pixels, masks the size of their boxes
        x0, y0 = o.mask_origin
        assert 0 <= x0 <= o.bbox[0] + 1 and 0 <= y0 <= o.bbox[1] + 1 and o.mask.shape[0] <= o.bbox[3] - o.bbox[1] + 5
        assert o.bbox[2] <= image.shape[1] + 1 and o.bbox[3] <= image.shape[0] + 1
    assert detector.input_size == (256, 192)
    assert detector.plate_scale.find_scale((640, 480), detector.input_size) == 0.4  # the finding view is 256x192
    assert detector.pipeline()({"img": image, "img_id": 0})["inputs"].shape[-2:] == (480, 640)  # run as given
    detector.configure_test(size=(160, 120), rpn_nms_pre=77, roi_sampling_ratio=2)
    assert detector.plate_scale.find_scale((640, 480), detector.input_size) == 0.3  # never below the finding scale
    assert cfg.rpn.nms_pre == 77
    extractors = (detector.model.roi_head.bbox_roi_extractor, detector.model.roi_head.mask_roi_extractor)
    assert {layer.sampling_ratio for e in extractors for layer in e.roi_layers} == {2}
    assert {layer.use_torchvision for e in extractors for layer in e.roi_layers} == {True}  # the faster kernels
    detector.configure_test(roi_align="mmcv")
    assert {layer.use_torchvision for e in extractors for layer in e.roi_layers} == {False}
    with pytest.raises(ValueError, match="roi_align='fast'"):
        detector.configure_test(roi_align="fast")
    assert len(detector.detect(image)) > 0


def test_masks_for_chosen_classes_only_keep_the_detections(trained, tiny_dataset: Path) -> None:
    import cv2
    import numpy as np

    from alpr.model.detector import Detector

    image = cv2.imread(str(next((tiny_dataset / "images").glob("*.jpg"))))
    every = Detector(str(trained.checkpoint), second_look=False)  # masks follow the detector's own classes
    every.configure_test(score_threshold=0.0, max_detections=30)
    all_masks = every.detect(image)
    chosen = {o.label for o in all_masks[::2]}  # classes of every other detection
    some = Detector(str(trained.checkpoint), mask_classes=chosen, second_look=False)
    some.configure_test(score_threshold=0.0, max_detections=30)
    partial = some.detect(image)
    assert [(o.label, o.bbox) for o in partial] == [(o.label, o.bbox) for o in all_masks]
    for full, part in zip(all_masks, partial):
        assert np.array_equal(part.mask, full.mask) if full.label in chosen else not part.mask.any()
    with pytest.raises(ValueError, match="not classes of this model"):
        Detector(str(trained.checkpoint), mask_classes={"x_board"})


def test_glyph_classifier_learns_the_glyphs_it_is_shown(tiny_dataset: Path) -> None:
    import numpy as np

    from alpr.classes import GLYPHS
    from alpr.model.glyph_classifier import (GlyphClassifier, GlyphParams, _predict, glyph_crops,
                                             train_glyph_classifier)

    params = GlyphParams(epochs=15, copies=4, batch_size=32, seed=1)
    model = train_glyph_classifier(tiny_dataset, params)
    assert model.metrics["train_glyphs"] > 100 and "val_accuracy" in model.metrics
    # the training split's glyphs, untouched boxes: a working classifier has learnt them
    x, y = glyph_crops(tiny_dataset, "train", params.size, 1, 0.0, np.random.default_rng(0))
    classifier = GlyphClassifier(model)
    accuracy = (_predict(classifier.net, x).argmax(1) == y).mean()
    assert accuracy > 0.9
    probs = classifier.probabilities(np.zeros((48, 64, 3), np.uint8), [(1.0, 2.0, 11.0, 22.0), (40.0, 40.0, 80.0, 90.0)])
    assert probs.shape == (2, len(GLYPHS)) and np.allclose(probs.sum(1), 1.0, atol=1e-5)


def test_second_look_gives_each_glyph_the_classifier_classes() -> None:
    import numpy as np

    from alpr.classes import GLYPHS
    from alpr.model.detector import DetectedObject, second_look

    mask = np.zeros((20, 20), bool)
    objects = [
        DetectedObject("6", 0.5, (0.0, 0.0, 10.0, 20.0), mask),  # one glyph the detector saw as 6 and 8
        DetectedObject("8", 0.4, (0.5, 0.0, 10.5, 20.0), mask),
        DetectedObject("1", 0.3, (30.0, 0.0, 40.0, 20.0), mask),
        DetectedObject("r_board", 0.9, (0.0, 0.0, 60.0, 30.0), mask),
    ]
    seen = []

    def probabilities(boxes):
        seen.append(boxes)
        p = np.zeros((len(boxes), len(GLYPHS)))
        p[0, GLYPHS.index("8")], p[0, GLYPHS.index("b")], p[0, GLYPHS.index("3")] = 0.8, 0.15, 0.05
        p[1, GLYPHS.index("7")] = 1.0
        return p

    out = second_look(objects, probabilities, score_threshold=0.1)
    assert seen == [[(0.0, 0.0, 10.0, 20.0), (30.0, 0.0, 40.0, 20.0)]]  # one crop per glyph, the strongest box
    got = [(o.label, round(o.score, 3), o.bbox) for o in out]
    assert got == [
        ("r_board", 0.9, (0.0, 0.0, 60.0, 30.0)),
        ("8", 0.72, (0.0, 0.0, 10.0, 20.0)),  # strength 0.5 + 0.4 = 0.9, x 0.8
        ("7", 0.3, (30.0, 0.0, 40.0, 20.0)),
        ("b", 0.135, (0.0, 0.0, 10.0, 20.0)),  # a second class above the threshold stays (grammar)
    ]  # "3" (0.045) is below the threshold
    assert second_look([objects[3]], probabilities) == [objects[3]]


def test_detector_looks_again_at_every_plate_at_the_reading_scale(trained) -> None:
    """Every plate found gets a second look, at the reading width of its shape; a plate whose
    group holds a strong board of the other shape may be read again led by that board."""
    from dataclasses import replace

    import numpy as np

    from alpr.model.detector import DetectedObject, Detector

    detector = Detector(str(trained.checkpoint))
    empty = np.zeros((0, 0), bool)
    found = [
        DetectedObject("r_board", 0.9, (100.0, 100.0, 130.0, 122.0), empty),  # 30 px: too small
        DetectedObject("r_board", 0.8, (400.0, 100.0, 500.0, 175.0), empty),  # 100 px: about right
        DetectedObject("l_board", 0.7, (0.0, 300.0, 600.0, 400.0), empty),  # 600 px long: too large
        DetectedObject("r_board", 0.09, (700.0, 100.0, 710.0, 108.0), empty),  # too weak: below 0.1
    ]
    crops = detector._crops(found, (1000, 500))
    assert len(crops) == 3
    (region, own, factor, other), (_, _, factor2, _), (region3, _, factor3, _) = crops
    assert factor == 96.0 / 30.0 and region == (85, 89, 145, 133) and own == (92.5, 94.5, 137.5, 127.5)
    assert factor2 == 96.0 / 100.0
    assert factor3 == 180.0 / 600.0 and region3 == (0, 250, 900, 450)  # clipped to the photo
    assert other is None  # no board of the other shape in its group

    # a regular board around two stacked long plates: the strongest long board's crop is the fallback
    stacked = [
        DetectedObject("r_board", 0.95, (100.0, 100.0, 400.0, 300.0), empty),
        DetectedObject("l_board", 0.6, (120.0, 180.0, 380.0, 230.0), empty),
        DetectedObject("l_board", 0.2, (120.0, 240.0, 380.0, 290.0), empty),
    ]
    (_, _, factor, other), = detector._crops(stacked, (1000, 500))
    # both long boards box it (``_plate_box``): 260 x 110 px, and half of that around
    assert factor == 96.0 / 300.0 and other == ((0, 125, 510, 345), 180.0 / 260.0)
    stacked[1] = replace(stacked[1], score=0.25)  # too weak to lead a crop of its own
    assert detector._crops(stacked, (1000, 500))[0][3] is None


def test_a_plate_is_cropped_by_its_strongest_board_widened_by_boards_cut_short() -> None:
    """A weak board boxing a plate with much of the scene around it does not set the crop's
    scale (the plate would be read far below the reading width); two halves of a plate cut
    short do, joined."""
    from alpr.model.detector import _plate_box
    from alpr.postprocess import Detection

    plate = Detection("r_board", 0.93, (92.0, 128.0, 173.0, 188.0))
    scene = Detection("r_board", 0.11, (61.0, 76.0, 493.0, 312.0))
    assert _plate_box([plate, scene]) == plate.bbox
    left = Detection("l_board", 0.56, (1512.0, 428.0, 2130.0, 612.0))
    right = Detection("l_board", 0.55, (1204.0, 405.0, 1737.0, 634.0))
    loose = Detection("l_board", 0.36, (900.0, 380.0, 2550.0, 740.0))  # 2.7 times the strongest board's width
    assert _plate_box([left, right, loose]) == (1204.0, 405.0, 2130.0, 634.0)
    assert _plate_box([left, loose, right]) == (1204.0, 405.0, 2130.0, 634.0)


def test_detector_finds_on_a_reduced_view_and_reads_crops_at_full_resolution(trained, tiny_dataset: Path) -> None:
    """The cascade's plumbing with the real model: an untrained model finds no boards, so the
    finding view gets one added (a 40 px board there: 133 px in the photo, too small to read);
    its crop then goes through the real model and comes back in photo pixels."""
    import cv2
    import numpy as np

    from alpr.model.detector import DetectedObject, Detector

    detector = Detector(str(trained.checkpoint), score_threshold=0.0)
    small = cv2.imread(str(next((tiny_dataset / "images").glob("*.jpg"))))
    photo = cv2.resize(small, (1920, 1440))
    seen = []
    infer = detector.infer

    def infer_with_a_board(image):
        seen.append(image.shape[:2])
        out = infer(image)
        if len(seen) == 1:
            mask = np.ones((22, 42), bool)
            out.append(DetectedObject("r_board", 0.9, (100.0, 200.0, 140.0, 220.0), mask, (99, 199)))
        return out

    detector.infer = infer_with_a_board
    detector.plate_scale.retry_scales = ()  # read each crop once
    objects = detector.detect(photo)
    assert seen[0] == (432, 576)  # the finding view: 1920x1440 at the finding scale 0.3
    # the board is 133.3 px wide in the photo; the crop (board + half its size around) at 96 / 133.3
    assert len(seen) == 2 and abs(seen[1][1] - round(2 * 133.3 * 0.72)) <= 3
    region = (333.3 - 33.3, 666.7 - 16.7, 466.7 + 33.3, 733.3 + 16.7)  # the board's own region, photo pixels
    inside = [o for o in objects if region[0] <= (o.bbox[0] + o.bbox[2]) / 2 <= region[2]
              and region[1] <= (o.bbox[1] + o.bbox[3]) / 2 <= region[3]]
    assert inside and not any(o.label == "r_board" and o.score == 0.9 for o in objects)  # replaced by the crop's
    assert all(0 <= o.bbox[0] and o.bbox[2] <= 1921 and o.bbox[3] <= 1441 for o in objects)
    assert max(o.mask.size for o in objects) < 1920 * 1440 / 4  # masks of boxes, not of the photo

    # an untrained model reads no valid plate from the crop: it is read again at each retry scale
    seen.clear()
    detector.plate_scale.retry_scales = (1.25, 0.8)
    detector.detect(photo)
    assert len(seen) == 4
    assert [round(w / seen[1][1], 2) for _, w in seen[2:]] == [1.25, 0.8]


def test_boards_are_also_looked_for_on_coarser_views(trained) -> None:
    """``extra_find_scales``: after the finding view, a view at half its scale (boards too wide
    for the finding view come back to a trained size there); crops follow as usual."""
    from alpr.model.detector import Detector

    detector = Detector(str(trained.checkpoint), second_look=False)
    assert detector.plate_scale.extra_find_scales == ()
    detector.configure_test(extra_find_scales=(0.5,))
    seen, infer = [], detector.infer
    detector.infer = lambda image: seen.append(image.shape[:2]) or infer(image)
    detector.detect(np.zeros((480, 640, 3), np.uint8))
    assert seen[:2] == [(240, 320), (120, 160)]  # the tiny model finds at 320x240


def test_a_large_photo_is_also_looked_at_fitted_into_the_models_input() -> None:
    """``fitted_view_from``: where ``find_min_scale`` holds the finding view at 1.9 times the
    fitted scale or more (2560x1440 and 4K photos, landscape or portrait, into 384x288), boards
    are also looked for on the photo fitted (its close-ups' boards come back to a size the
    model finds); smaller photos, and a model that turns it off, get no extra view."""
    from alpr.model.plate_scale import PlateScale
    from alpr.postprocess import Detection

    scale, fit = PlateScale(), (384, 288)
    assert [scale.find_scale(size, fit) for size in ((640, 480), (1920, 1080), (3840, 2160))] == [0.6, 0.3, 0.3]
    assert scale.coarse_scales((640, 480), fit) == scale.coarse_scales((1920, 1080), fit) == []
    assert scale.coarse_scales((2560, 1440), fit) == [pytest.approx(0.15)]
    assert scale.coarse_scales((3840, 2160), fit) == scale.coarse_scales((2160, 3840), fit) == [pytest.approx(0.1)]
    both = PlateScale(extra_find_scales=(0.5,))
    assert both.coarse_scales((3840, 2160), fit) == [pytest.approx(0.15), pytest.approx(0.1)]
    assert PlateScale(fitted_view_from=None).coarse_scales((3840, 2160), fit) == []
    halves = PlateScale(fitted_view_scales=(1.0, 0.5))  # also at half the fitted scale
    assert halves.coarse_scales((2560, 1440), fit) == [pytest.approx(0.15), pytest.approx(0.075)]
    assert halves.coarse_scales((1920, 1080), fit) == []
    # only boards wider in the finding view (scale 0.3) than the model learnt to read (regular
    # up to 135 px, long 250 px) come from a coarser view: the others the finding view boxes closer
    assert scale.too_wide_to_find(Detection("r_board", 0.9, (100, 100, 600, 400)), 0.3)  # 150 px
    assert not scale.too_wide_to_find(Detection("r_board", 0.9, (100, 100, 500, 400)), 0.3)  # 120 px
    assert not scale.too_wide_to_find(Detection("l_board", 0.9, (100, 100, 900, 200)), 0.3)  # 240 px


def test_the_detector_looks_at_a_4k_photo_fitted_after_its_finding_view(trained) -> None:
    from alpr.model.detector import Detector

    detector = Detector(str(trained.checkpoint), second_look=False)
    seen, infer = [], detector.infer
    detector.infer = lambda image: seen.append(image.shape[:2]) or infer(image)
    detector.detect(np.zeros((2160, 3840, 3), np.uint8))
    assert seen[:2] == [(648, 1152), (180, 320)]  # the finding view at 0.3, then fitted into 320x240
