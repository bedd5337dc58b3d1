"""Seldon output transformer: detections in, plate readings out (``alpr.postprocess``).

Started as ``--service-type TRANSFORMER`` (the CLI refuses OUTPUT_TRANSFORMER); it serves
``POST /transform-output``. It accepts the model's jsonData or its whole SeldonMessage.
"""

from __future__ import annotations

from seldon_core.flask_utils import SeldonMicroserviceException

from alpr.serving import BadRequest, plates_response


class PlateReader:
    def __init__(self) -> None:
        self._plates = 0
        self._model: dict = {}

    def transform_output(self, X, features_names=None, meta=None):
        try:
            out = plates_response(X)
        except BadRequest as exc:
            raise SeldonMicroserviceException(exc.message, status_code=exc.status, reason=exc.reason) from exc
        self._plates = len(out["plates"])
        self._model = out["model"]
        return out

    def health_status(self):
        return {"status": "ok"}

    def metrics(self):
        """Prometheus metrics of the last request, labelled with the model that answered it."""
        tags = {"served_model": str(self._model.get("name", "")), "served_model_version": str(self._model.get("version", ""))}
        return [
            {"type": "COUNTER", "key": "alpr_plates_found_total", "value": self._plates, "tags": tags},
            {"type": "COUNTER", "key": "alpr_transform_requests_total", "value": 1, "tags": tags},
        ]
