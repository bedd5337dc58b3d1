"""Request limits of the serving path, in one place: the microservices check the image, the
router checks the request body before reading it. A light module: the router's deployer
imports it without loading the model code."""

from __future__ import annotations

import os

#: a 4K camera frame or a 12 Mpixel phone photo, as JPEG or PNG, is well within both limits
DEFAULT_MAX_IMAGE_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_PIXELS = 4096 * 4096
#: what a request may carry besides the image's base64 text (JSON keys, multipart headers)
REQUEST_OVERHEAD_BYTES = 64 * 1024


def max_image_bytes() -> int:
    """The largest image file a request may carry (``ALPR_MAX_IMAGE_BYTES`` overrides)."""
    return int(os.environ.get("ALPR_MAX_IMAGE_BYTES", DEFAULT_MAX_IMAGE_BYTES))


def max_request_bytes() -> int:
    """The largest request body that can hold an image within the limit, as base64 in JSON."""
    return -(-max_image_bytes() * 4 // 3) + REQUEST_OVERHEAD_BYTES
