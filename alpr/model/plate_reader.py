"""Read a plate's text from its board at once: a small CNN + GRU trained with CTC.

Why: reading glyph by glyph needs the detector to find all seven glyphs of a plate, and most
plates it misses have a board found and a glyph not found (or a glyph of a style it never
saw). A sequence reader sees the whole board, straightened, and needs no glyph boxes; it is
how ALPR engines read, and it costs ~1 ms per board on a CPU.

The board's outline (the detector's mask, or a label's polygon when training) gives a rotated
rectangle; its side nearest the horizontal is the reading direction. The rectangle and a
margin are resampled to ``size`` (grey, standardised). The network pools the height down to
two rows of features: a regular plate's "NN L" row lies in the upper one, its "NNNN" row in the
lower; a long plate's single row in either. Both rows, upper then lower, form one sequence of
``2 x size[0] / 4`` steps that CTC aligns with the seven characters.

Trained on the training split's boards with their true readings, the outline shifted, scaled
and turned at random as much as detected outlines are off; stored inside the detector's
checkpoint (plain tensors and numbers).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from pydantic import BaseModel, Field
from torch import nn

from alpr.classes import BOARD_CLASSES, GLYPHS, PLATE_TEXT
from alpr.coco import split_annotations
from alpr.model.trained_net import TrainedNet

log = logging.getLogger(__name__)

Points = Sequence[tuple[float, float]]


class ReaderParams(BaseModel):
    """How the plate reader is trained (``TrainParams.reader``)."""

    enabled: bool = True
    size: tuple[int, int] = (128, 48)  # (width, height) a board is resampled to
    widths: tuple[int, int, int] = (32, 64, 96)  # channels of the three conv stages
    hidden: int = Field(64, ge=8)  # GRU units per direction
    #: the board's rectangle and this fraction of its width (height) more on each side
    margin: float = Field(0.08, ge=0.0, le=0.5)
    #: random shift and scale of the true outline (fraction of its size), and turn (degrees):
    #: detected outlines are this far off
    jitter: float = Field(0.06, ge=0.0, le=0.3)
    turn_deg: float = Field(3.0, ge=0.0, le=20.0)
    copies: int = Field(2, ge=1)  # jittered samples per true board
    #: photos drawn by the generator (``alpr.synth``; by default its varied look: 24 faces,
    #: paints, borders, lighting; 640x480 JPEGs) whose boards join the training split's: the
    #: reader learns from more boards, or styles the dataset lacks, for seconds of drawing;
    #: 0: the dataset alone
    synthetic_photos: int = Field(0, ge=0)
    #: the generator's options for those photos (``alpr.synth.SynthOptions`` fields, e.g.
    #: ``{"look": "classic"}``: more boards of the dataset's own look); empty: its defaults
    synthetic_options: dict[str, Any] = Field(default_factory=dict)
    #: CTC first learns to emit only blanks: ~1000 steps of 32 boards pass before any text
    #: reads, ~2500 before 0.9 of the val split does (the default pipeline's data: ~3000 steps
    #: in 15 epochs)
    epochs: int = Field(15, ge=1)
    batch_size: int = Field(32, ge=1)
    lr: float = Field(3e-3, gt=0)
    seed: int = 0


class ReaderNet(nn.Module):
    """(N, 1, h, w) standardised boards -> (N, 2 * w / 4, 1 + len(GLYPHS)) logits; class 0 is
    CTC's blank."""

    def __init__(self, widths: tuple[int, int, int], hidden: int):
        super().__init__()

        def block(cin: int, cout: int, stride: int = 1) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout),
                    nn.ReLU(inplace=True)]

        a, b, c = widths
        # strided first convolutions: on a CPU the full-resolution stages cost the most
        self.features = nn.Sequential(
            *block(1, a, 2), *block(a, b, 2), *block(b, c), nn.MaxPool2d((2, 1)), *block(c, c),
            nn.AdaptiveAvgPool2d((2, None)),
        )
        self.rnn = nn.GRU(c, hidden, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * hidden, 1 + len(GLYPHS))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = self.features(x)  # (N, c, 2, w / 4)
        sequence = torch.cat([rows[:, :, 0], rows[:, :, 1]], dim=2).transpose(1, 2)
        return self.head(self.rnn(sequence)[0])


def board_rectangle(outline: Points) -> np.ndarray:
    """Corners (top-left, top-right, bottom-right, bottom-left) of the outline's smallest
    rotated rectangle, its top side the one nearest the horizontal, pointing right."""
    corners = cv2.boxPoints(cv2.minAreaRect(np.asarray(outline, np.float32)))
    x, y = corners[:, 0], corners[:, 1]
    if np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)) < 0:  # make it go round as tl, tr, br, bl do
        corners = corners[::-1]
    edges = np.roll(corners, -1, axis=0) - corners
    # going round that way, the edge pointing most to the right is the top one
    start = int(np.argmax(edges[:, 0] / (np.hypot(edges[:, 0], edges[:, 1]) + 1e-6)))
    return np.roll(corners, -start, axis=0).astype(np.float32)


def board_patch(gray: np.ndarray, corners: np.ndarray, size: tuple[int, int], margin: float) -> np.ndarray:
    """The rectangle (``board_rectangle`` corners) and ``margin`` around it, resampled to
    ``size`` (w, h) and standardised: colour schemes and exposure vary, strokes do not."""
    tl, tr, _, bl = corners.astype(np.float64)
    across, down = tr - tl, bl - tl
    tl = tl - margin * (across + down)
    tr, bl = tl + (1 + 2 * margin) * across, tl + (1 + 2 * margin) * down
    w, h = size
    shrink = min(1.0, 2.0 * w / max(np.hypot(*(tr - tl)), 1.0), 2.0 * h / max(np.hypot(*(bl - tl)), 1.0))
    source = gray
    if shrink < 1.0:  # a large board: average its pixels down first (a warp alone would alias)
        quad = np.array([tl, tr, tr + bl - tl, bl])
        x0, y0 = np.floor(quad.min(0)).astype(int).clip(0)
        x1, y1 = np.ceil(quad.max(0)).astype(int) + 1
        region = gray[y0:max(y1, y0 + 1), x0:max(x1, x0 + 1)]
        if region.size:
            small = (max(1, round(region.shape[1] * shrink)), max(1, round(region.shape[0] * shrink)))
            source = cv2.resize(region, small, interpolation=cv2.INTER_AREA)
            fx, fy = small[0] / region.shape[1], small[1] / region.shape[0]
            tl, tr, bl = [np.array([(p[0] - x0) * fx, (p[1] - y0) * fy]) for p in (tl, tr, bl)]
    m = cv2.getAffineTransform(np.float32([tl, tr, bl]), np.float32([[0, 0], [w, 0], [0, h]]))
    out = cv2.warpAffine(source, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    return (out - out.mean()) / (out.std() + 1.0)


def jittered(corners: np.ndarray, params: ReaderParams, rng: np.random.Generator) -> np.ndarray:
    """The rectangle shifted and scaled (``params.jitter`` of its size) and turned
    (``params.turn_deg``) at random, as far as detected outlines are off the true ones."""
    centre = corners.mean(0)
    across, down = corners[1] - corners[0], corners[3] - corners[0]
    j = params.jitter
    centre = centre + rng.uniform(-j, j) * across + rng.uniform(-j, j) * down
    across, down = across * rng.uniform(1 - j, 1 + j), down * rng.uniform(1 - j, 1 + j)
    turn = np.deg2rad(rng.uniform(-params.turn_deg, params.turn_deg))
    rot = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    across, down = rot @ across, rot @ down
    tl = centre - (across + down) / 2
    return np.float32([tl, tl + across, tl + across + down, tl + down])


def true_boards(dataset_dir: Path, split: str) -> Iterator[tuple[np.ndarray, list[tuple[list[tuple[float, float]], str]]]]:
    """Each image of a COCO split that has read boards: its grey pixels and (outline, text) of
    every board whose plate has a true reading."""
    doc, boards = split_annotations(dataset_dir, split, BOARD_CLASSES)
    for image in doc["images"]:
        texts = {p["group_id"]: p["text"].lower() for p in image.get("plates", []) if p.get("text")}
        read = [(np.reshape(a["segmentation"][0], (-1, 2)).tolist(), texts[a["group_id"]])
                for a in boards.get(image["id"], []) if a.get("group_id") in texts]
        if not read:
            continue
        pixels = cv2.imread(str(dataset_dir / image["file_name"]), cv2.IMREAD_GRAYSCALE)
        if pixels is None:
            raise FileNotFoundError(f"{dataset_dir / image['file_name']}: missing or unreadable image")
        yield pixels, read


def board_samples(dataset_dir: Path, split: str, params: ReaderParams, copies: int, jitter: bool,
                  rng: np.random.Generator) -> tuple[np.ndarray, list[str]]:
    """Patches (N, 1, h, w) float32 and texts of every read board of a COCO split."""
    patches, texts = [], []
    for pixels, read in true_boards(dataset_dir, split):
        for outline, text in read:
            corners = board_rectangle(outline)
            for _ in range(copies):
                patches.append(board_patch(pixels, jittered(corners, params, rng) if jitter else corners,
                                           params.size, params.margin))
                texts.append(text)
    if not patches:
        raise ValueError(f"{dataset_dir}: the {split} split has no boards with a reading (labelme "
                         "descriptions such as 'regular:51A1234') to train the plate reader on")
    return np.stack(patches)[:, None], texts


def synthetic_samples(params: ReaderParams, rng: np.random.Generator) -> tuple[np.ndarray, list[str]]:
    """Patches and texts of the boards of ``params.synthetic_photos`` generated photos, drawn in
    one process per core (photo ``i`` depends only on ``params.seed`` and ``i``)."""
    import os
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    tasks = [(params, i) for i in range(params.synthetic_photos)]
    workers = min(os.cpu_count() or 1, max(len(tasks) // 32, 1))
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        drawn = list(pool.map(_drawn_boards, tasks, chunksize=16))
    patches = [patch for boards, _ in drawn for patch in boards]
    texts = [text for _, read in drawn for text in read]
    order = rng.permutation(len(texts))
    return np.stack(patches)[order][:, None], [texts[i] for i in order]


def _drawn_boards(task: tuple[ReaderParams, int]) -> tuple[list[np.ndarray], list[str]]:
    from alpr.synth import SynthOptions
    from alpr.synth.generate import image_rng
    from alpr.synth.scene import render_scene

    params, i = task
    rng = image_rng(params.seed, i)
    options = SynthOptions(**params.synthetic_options)
    scene = render_scene(rng, options)
    quality = int(rng.integers(options.jpeg_quality[0], options.jpeg_quality[1] + 1))
    jpeg = cv2.imencode(".jpg", scene.image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1]
    gray = cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE)
    patches, texts = [], []
    for plate in scene.plates:
        corners = board_rectangle(plate.quad.tolist())
        for _ in range(params.copies):
            patches.append(board_patch(gray, jittered(corners, params, rng), params.size, params.margin))
            texts.append(plate.text.text.lower())
    return patches, texts


def _targets(texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    codes = [[GLYPHS.index(ch) + 1 for ch in t] for t in texts]
    return torch.tensor([c for code in codes for c in code]), torch.tensor([len(c) for c in codes])


def train_plate_reader(dataset_dir: Path, params: ReaderParams) -> TrainedNet:
    """Train on the train split's boards; exact-text accuracy on the val split's (true outlines
    and jittered ones)."""
    started = time.perf_counter()
    rng = np.random.default_rng(params.seed)
    torch.manual_seed(params.seed)
    x, texts = board_samples(dataset_dir, "train", params, params.copies, True, rng)
    if params.synthetic_photos:
        sx, stexts = synthetic_samples(params, rng)
        x, texts = np.concatenate([x, sx]), texts + stexts
    net = ReaderNet(params.widths, params.hidden)
    steps = params.epochs * int(np.ceil(len(texts) / params.batch_size))
    optimizer = torch.optim.AdamW(net.parameters(), lr=params.lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=params.lr, total_steps=steps, pct_start=0.15)
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    xs = torch.from_numpy(x)
    net.train()
    for _ in range(params.epochs):
        order = rng.permutation(len(texts))
        for i in range(0, len(texts), params.batch_size):
            idx = order[i:i + params.batch_size]
            log_probs = net(xs[idx]).log_softmax(2).transpose(0, 1)  # (T, N, C)
            targets, lengths = _targets([texts[k] for k in idx])
            loss = ctc(log_probs, targets, torch.full((len(idx),), log_probs.shape[0], dtype=torch.long), lengths)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
    net.eval()
    metrics = {"train_boards": float(len(texts) // params.copies)}  # the synthetic ones included
    for name, jitter in (("val_exact", False), ("val_exact_jittered", True)):
        try:
            vx, vtexts = board_samples(dataset_dir, "val", params, 1, jitter, np.random.default_rng(params.seed + 1))
        except ValueError:  # no read boards in the val split: nothing to report
            break
        read = [text for text, _ in decode(_log_probs(net, vx))]
        metrics[name] = float(np.mean([r == t for r, t in zip(read, vtexts)]))
    metrics["train_wall_time_s"] = time.perf_counter() - started
    log.info("plate reader: %s", metrics)
    return TrainedNet(net.state_dict(), params.model_dump(mode="json"), metrics)


def _log_probs(net: nn.Module, patches: np.ndarray, batch: int = 256) -> np.ndarray:
    with torch.inference_mode():
        return np.concatenate([net(torch.from_numpy(patches[i:i + batch])).log_softmax(2).numpy()
                               for i in range(0, len(patches), batch)])


def decode(log_probs: np.ndarray) -> list[tuple[str, float]]:
    """CTC best path of each (T, C) row: the text ("" unless it reads NN L NNNN) and its
    confidence, the least probability among the steps that emitted its characters."""
    out = []
    for steps in log_probs:
        best = steps.argmax(1)
        chars, confidence = [], 1.0
        for t, c in enumerate(best):
            if c != 0 and (t == 0 or c != best[t - 1]):
                chars.append(GLYPHS[c - 1])
                confidence = min(confidence, float(np.exp(steps[t, c])))
        text = "".join(chars)
        out.append((text, confidence) if PLATE_TEXT.fullmatch(text) else ("", 0.0))
    return out


def widened(corners: np.ndarray, fraction: float) -> np.ndarray:
    """The rectangle (``board_rectangle`` corners) longer by ``fraction`` of its width at each
    end, along its reading direction."""
    reach = fraction * (corners[1] - corners[0])
    return np.float32([corners[0] - reach, corners[1] + reach, corners[2] + reach, corners[3] - reach])


#: every board is read from its outline's rectangle and from it widened by these fractions of its
#: width at each end; a text most of the views read wins (``vote``). A mask cut short through
#: the first glyph shows an "8" as a "3", and the reader reads that surely (0.995): views widened
#: by 5 % and 10 % read the "8" (0.9997 each). Yet on photos the views were not chosen on, three
#: views read as many plates as one, at 1.2-1.3x the time per photo: more precisely the
#: generator's (2322 plates: 4 wrong instead of 8), less so the foreign set's (380 plates: 6 fewer
#: read, 3 more wrong). One view by default; ``Detector.configure_test`` lever (docs/results.md).
READ_WIDENINGS: tuple[float, ...] = (0.0,)
#: the views measured against one (docs/results.md)
VOTING_WIDENINGS: tuple[float, ...] = (0.0, 0.05, 0.1)


def vote(readings: Sequence[tuple[str, float]]) -> tuple[str, float]:
    """One board's reading from its views' (text, confidence): the text more than half of them
    read, its confidence the mean over all views (a view reading otherwise counts 0); else
    ("", 0.0). A board read surely only once widened is not sure, and a text one view alone
    reads is none: taking the surest view's text and confidence boxed plates by boards cut
    short that then read surely, and let weak single readings overrule the detector's glyphs
    (of 762 plates in 1080p and 1440p photos, 11 missed instead of 5)."""
    total: dict[str, float] = {}
    count: dict[str, int] = {}
    for text, confidence in readings:
        if text:
            total[text] = total.get(text, 0.0) + confidence
            count[text] = count.get(text, 0) + 1
    text = max(total, key=total.__getitem__, default="")
    if not text or 2 * count[text] <= len(readings):
        return "", 0.0
    return text, total[text] / len(readings)


class PlateReader:
    """Inference: the text of boards in one image, from their outlines."""

    def __init__(self, model: TrainedNet, widenings: Sequence[float] = READ_WIDENINGS):
        self.params = ReaderParams(**model.params)
        self.net = ReaderNet(self.params.widths, self.params.hidden)
        self.net.load_state_dict(model.state_dict)
        self.net.eval()
        self.widenings = tuple(widenings) or (0.0,)

    def read(self, image_bgr: np.ndarray, outlines: list[Points]) -> list[tuple[str, float]]:
        """(text, confidence) per outline, voted over its views (``widenings``): text "" when
        it reads no plate."""
        if not outlines:
            return []
        gray = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
        p, views = self.params, len(self.widenings)
        patches = np.stack([board_patch(gray, widened(board_rectangle(o), w), p.size, p.margin)
                            for o in outlines for w in self.widenings])[:, None]
        read = decode(_log_probs(self.net, patches))
        return [vote(read[i:i + views]) for i in range(0, len(read), views)]
