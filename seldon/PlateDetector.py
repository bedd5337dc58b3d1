"""Seldon MODEL microservice: the plate detector (``seldon-core-microservice PlateDetector``).

The checkpoint (one self-describing file, local path or gs:// URI) comes from the
``MODEL_URI`` environment variable or the ``model_uri`` parameter and is loaded once per
worker, in ``load()``.
"""

from __future__ import annotations

import os
import time

from seldon_core.flask_utils import SeldonMicroserviceException
from seldon_core.user_model import SeldonNotImplementedError

from alpr.classes import BOARD_CLASSES
from alpr.model import MODEL_NAME
from alpr.model.detector import Detector
from alpr.serving import (
    BadRequest,
    check_base64_request,
    decode_image,
    detections_response,
    image_bytes_from_request,
)


def mask_classes(choice: str) -> list[str] | None:
    """``ALPR_MASKS``: "boards" (outlines of boards only: what reading needs, and faster) or "all"."""
    if choice not in ("boards", "all"):
        raise RuntimeError(f"ALPR_MASKS={choice!r}: expected 'boards' or 'all'")
    return list(BOARD_CLASSES) if choice == "boards" else None


class PlateDetector:
    def __init__(self, model_uri: str | None = None, model_name: str = MODEL_NAME, model_version: str = ""):
        self.model_uri = model_uri or os.environ.get("MODEL_URI", "")
        self.model_info = {"name": os.environ.get("ALPR_MODEL_NAME", model_name),
                           "version": os.environ.get("ALPR_MODEL_VERSION", model_version)}
        self.detector: Detector | None = None
        self._last = {"inference_ms": 0.0, "detections": 0}

    def load(self) -> None:
        threads = os.environ.get("ALPR_TORCH_THREADS")
        if threads:  # several workers on few cores: one thread pool each, not one per core each
            import torch

            torch.set_num_threads(int(threads))
        if not self.model_uri:
            raise RuntimeError("no model: set MODEL_URI to the checkpoint (path or gs:// URI)")
        threshold = os.environ.get("ALPR_SCORE_THRESHOLD")  # unset: the model's own
        self.detector = Detector(self.model_uri, score_threshold=float(threshold) if threshold else None,
                                 mask_classes=mask_classes(os.environ.get("ALPR_MASKS", "boards")))

    def predict_raw(self, request):
        """Check the request seldon-core is about to decode, then let it go on as usual."""
        try:
            check_base64_request(request)
        except BadRequest as exc:
            raise SeldonMicroserviceException(exc.message, status_code=exc.status, reason=exc.reason) from exc
        raise SeldonNotImplementedError("checked; seldon-core decodes it and calls predict")

    def predict(self, X, features_names=None, meta=None):
        if self.detector is None:
            self.load()
        try:
            image = decode_image(image_bytes_from_request(X))
        except BadRequest as exc:
            raise SeldonMicroserviceException(exc.message, status_code=exc.status, reason=exc.reason) from exc
        started = time.perf_counter()
        objects = self.detector.detect(image)
        self._last = {"inference_ms": (time.perf_counter() - started) * 1000, "detections": len(objects)}
        return detections_response(objects, image, self.model_info)

    def health_status(self):
        if self.detector is None:
            raise SeldonMicroserviceException("model not loaded", status_code=503, reason="NOT_READY")
        return {"status": "ok", "model": self.model_info}

    def metrics(self):
        """Prometheus metrics of the last request, labelled with the model they came from
        (seldon-core's own ``model_name``/``model_version`` labels name the image instead)."""
        tags = {"served_model": self.model_info["name"], "served_model_version": str(self.model_info["version"])}
        return [
            {"type": "COUNTER", "key": "alpr_detector_requests_total", "value": 1, "tags": tags},
            {"type": "TIMER", "key": "alpr_detector_inference_ms", "value": self._last["inference_ms"], "tags": tags},
            {"type": "GAUGE", "key": "alpr_detector_last_detections", "value": self._last["detections"], "tags": tags},
        ]
