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

    def transform_output(self, X, features_names=None, meta=None):
        try:
            out = plates_response(X)
        except BadRequest as exc:
            raise SeldonMicroserviceException(exc.message, status_code=exc.status, reason=exc.reason) from exc
        self._plates = len(out["plates"])
        return out

    def health_status(self):
        return {"status": "ok"}

    def metrics(self):
        return [
            {"type": "COUNTER", "key": "alpr_plates_found_total", "value": self._plates},
            {"type": "COUNTER", "key": "alpr_transform_requests_total", "value": 1},
        ]
