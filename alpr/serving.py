"""Serving contract, independent of Seldon: decode image requests, shape responses.

Request (Seldon REST): ``{"binData": "<base64 JPEG/PNG>"}`` or ``{"jsonData": {"image": "<base64>"}}``
(the Seldon wrapper hands us the decoded bytes or the dict). Model response: detections;
output-transformer response: plate readings. Bad input raises ``BadRequest`` with the HTTP
status and a message that says what is wrong.
"""

from __future__ import annotations

import base64
import binascii
import io
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from alpr.classes import PLATE_TEXT
from alpr.limits import DEFAULT_MAX_PIXELS, max_image_bytes
from alpr.postprocess import Detection, ReadOptions, read_plates

if TYPE_CHECKING:  # the transformer reads plates without loading the model's libraries
    from alpr.model.detector import DetectedObject



class BadRequest(ValueError):
    def __init__(self, message: str, status: int = 400, reason: str = "BAD_REQUEST"):
        super().__init__(message)
        self.message = message
        self.status = status
        self.reason = reason


def image_bytes_from_request(payload: Any) -> bytes:
    """The raw image bytes of a request as the Seldon wrapper passes it (bytes, str or dict)."""
    if isinstance(payload, (bytes, bytearray)):
        data = bytes(payload)
    elif isinstance(payload, dict):
        image = payload.get("image")
        if not isinstance(image, str):
            keys = ", ".join(sorted(payload)) or "none"
            raise BadRequest(f"jsonData must be {{\"image\": \"<base64 JPEG or PNG>\"}}; got keys: {keys}")
        data = _b64(image, "jsonData.image")
    elif isinstance(payload, str):
        data = _b64(payload, "strData")
    elif payload is None:
        raise BadRequest("empty request: send {\"binData\": \"<base64 JPEG or PNG>\"}")
    else:
        raise BadRequest(
            f"unsupported request data ({type(payload).__name__}): send binData or jsonData.image"
        )
    if not data:
        raise BadRequest("empty image: binData holds no bytes")
    if len(data) > max_image_bytes():
        raise BadRequest(f"image is {len(data)} bytes, over the limit of {max_image_bytes()}", 413, "TOO_LARGE")
    return data


def decode_image(data: bytes, what: str = "binData") -> np.ndarray:
    """BGR pixels of a complete JPEG or PNG (``what`` names it in errors), upright as its EXIF
    orientation says (as OpenCV, which decodes every training and evaluation photo, shows it);
    truncated or foreign files are rejected, and so is a header that claims more pixels than
    the limit, before decoding. A phone's multi-picture JPEG (MPO) gives its first picture."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format not in ("JPEG", "PNG", "MPO"):
                raise BadRequest(f"image format {img.format} is not supported (JPEG or PNG)")
            if img.width * img.height > DEFAULT_MAX_PIXELS:
                raise BadRequest(f"image is {img.width}x{img.height} pixels, over the limit", 413, "TOO_LARGE")
            img.load()  # raises on truncated data
            upright = ImageOps.exif_transpose(img)
            rgb = np.asarray(upright if upright.mode == "RGB" else upright.convert("RGB"))
    except BadRequest:
        raise
    except Image.DecompressionBombError as exc:  # a header beyond even PIL's own limit
        raise BadRequest(f"image header claims too many pixels: {exc}", 413, "TOO_LARGE") from exc
    except UnidentifiedImageError as exc:
        raise BadRequest(f"{what} is not a JPEG or PNG image") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadRequest(f"image data is corrupt or truncated: {exc}") from exc
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def detections_response(objects: list[DetectedObject], image: np.ndarray, model: dict) -> dict:
    """The model microservice's answer: every detection with its outline polygon."""
    detections = []
    for obj in objects:
        outline = obj.outline()
        detection = {
            "label": obj.label,
            "score": round(obj.score, 4),
            "bbox": [round(v, 1) for v in obj.bbox],
            "polygon": [[round(x, 1), round(y, 1)] for x, y in outline] if outline else None,
        }
        if obj.text:
            detection.update(text=obj.text, text_score=round(obj.text_score, 4))
        detections.append(detection)
    h, w = image.shape[:2]
    return {"detections": detections, "image": {"width": w, "height": h}, "model": model}


def _plate_text(text: Any) -> str:
    """A detection's plate text, checked: the transformer trusts no field it reads."""
    if text and not (isinstance(text, str) and PLATE_TEXT.fullmatch(text)):
        raise ValueError(f"text {text!r} is no plate text (NN L NNNN)")
    return text or ""


def plates_response(model_output: Any, options: ReadOptions = ReadOptions()) -> dict:
    """The output transformer's answer: plate readings from the model's detections."""
    if isinstance(model_output, dict) and "jsonData" in model_output:  # a whole SeldonMessage
        model_output = model_output["jsonData"]
    if not isinstance(model_output, dict) or not isinstance(model_output.get("detections"), list):
        raise BadRequest("expected the model's output: {\"detections\": [...], \"model\": {...}}")
    try:
        dets = [
            Detection(d["label"], float(d["score"]), tuple(float(v) for v in d["bbox"]),
                      tuple(tuple(p) for p in d["polygon"]) if d.get("polygon") else None,
                      _plate_text(d.get("text", "")), float(d.get("text_score", 0.0)))
            for d in model_output["detections"]
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise BadRequest(f"malformed detection in model output: {exc}") from exc
    plates = [r.as_dict() for r in read_plates(dets, options)]
    return {"plates": plates, "model": model_output.get("model", {})}


def check_base64_request(request: Any) -> None:
    """Reject a REST request whose ``binData`` is not base64 with a 400 naming the field;
    seldon-core would decode it with no check of its own and answer 500."""
    if not isinstance(request, dict) or "binData" not in request:
        return
    if not isinstance(request["binData"], (str, bytes)):
        raise BadRequest(f"binData must be a base64 string, not {type(request['binData']).__name__}")
    _b64(request["binData"], "binData")


def _b64(text: str | bytes, field: str) -> bytes:
    """Standard base64; line breaks and spaces (as ``base64`` tools wrap it) are allowed."""
    if isinstance(text, str):
        text = text.encode("ascii", errors="replace")  # a non-ASCII character becomes an invalid '?'
    try:
        return base64.b64decode(b"".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest(f"{field} is not valid base64: {exc}") from exc
