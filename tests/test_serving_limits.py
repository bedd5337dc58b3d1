"""Request limits admit real camera frames and phone photos, and refuse what is above them."""

from __future__ import annotations

import base64
import io

import cv2
import numpy as np
import pytest
from PIL import Image

from alpr.serving import BadRequest, decode_image, image_bytes_from_request


def _jpeg(width: int, height: int) -> bytes:
    noise = np.random.default_rng(1).integers(0, 256, (height // 8, width // 8, 3), dtype=np.uint8)
    image = cv2.resize(noise, (width, height), interpolation=cv2.INTER_CUBIC)  # photo-like, not pure noise
    return cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()


@pytest.mark.parametrize("size", [(3840, 2160), (4000, 3000)], ids=["4K", "12Mpixel"])
def test_a_4k_frame_and_a_12_megapixel_photo_are_admitted(size: tuple[int, int]) -> None:
    data = _jpeg(*size)
    payload = base64.b64encode(data).decode()
    assert image_bytes_from_request(payload) == data  # within the default byte limit
    assert decode_image(data).shape == (size[1], size[0], 3)


def test_above_the_pixel_limit_is_413_before_decoding() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (5000, 4000)).save(buffer, format="PNG")  # 20 Mpixel
    with pytest.raises(BadRequest) as err:
        decode_image(buffer.getvalue())
    assert err.value.status == 413 and "5000x4000 pixels, over the limit" in err.value.message


def test_above_the_byte_limit_is_413(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPR_MAX_IMAGE_BYTES", "1000")
    with pytest.raises(BadRequest) as err:
        image_bytes_from_request(b"x" * 1001)
    assert err.value.status == 413 and "over the limit of 1000" in err.value.message
