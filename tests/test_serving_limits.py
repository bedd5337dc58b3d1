"""Request limits admit real camera frames and phone photos, and refuse what is above them."""

from __future__ import annotations

import base64
import io

import cv2
import numpy as np
import pytest
from PIL import ExifTags, Image

from alpr.serving import BadRequest, check_base64_request, decode_image, image_bytes_from_request


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


@pytest.mark.parametrize("payload", [{"binData": "abc"}, {"binData": "not base64!"}, {"binData": 5},
                                     {"binData": "AAAA\u00e9"}], ids=["padding", "characters", "number", "non-ascii"])
def test_invalid_base64_is_400_naming_the_field(payload: dict) -> None:
    with pytest.raises(BadRequest) as err:
        check_base64_request(payload)
    assert err.value.status == 400 and "binData" in err.value.message


def test_base64_wrapped_in_lines_is_accepted() -> None:
    data = _jpeg(64, 48)
    wrapped = base64.encodebytes(data).decode()  # 76 characters a line, as base64 tools write it
    assert "\n" in wrapped
    check_base64_request({"binData": wrapped})
    assert image_bytes_from_request(wrapped) == data


def test_a_png_whose_header_claims_a_decompression_bomb_is_413() -> None:
    buffer = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buffer, format="PNG")  # 400 Mpixel in a few kB
    with pytest.raises(BadRequest) as err:
        decode_image(buffer.getvalue())
    assert err.value.status == 413


def test_a_multi_picture_jpeg_gives_its_first_picture() -> None:
    first, second = (Image.new("RGB", (64, 48), colour) for colour in ((200, 30, 30), (30, 30, 200)))
    buffer = io.BytesIO()
    first.save(buffer, format="MPO", save_all=True, append_images=[second])
    with Image.open(io.BytesIO(buffer.getvalue())) as check:
        assert check.format == "MPO" and check.n_frames == 2
    bgr = decode_image(buffer.getvalue())
    assert bgr.shape == (48, 64, 3) and bgr[..., 2].mean() > 150  # red: the first picture


def _rotated_jpeg(orientation: int) -> tuple[bytes, np.ndarray]:
    """A 64x48 JPEG whose EXIF says to turn it, and its stored pixels (BGR)."""
    pixels = np.zeros((48, 64, 3), np.uint8)
    pixels[:, :32] = (255, 255, 255)  # left half white
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=95, exif=exif)
    return buffer.getvalue(), pixels


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_exif_orientation_decodes_as_opencv_does(orientation: int, tmp_path) -> None:
    """Serving shows a phone photo as training and evaluation (OpenCV) see it, and the
    training loader reads the same size from the header."""
    from alpr.model.transforms import LoadPhotoSize

    data, _ = _rotated_jpeg(orientation)
    served = decode_image(data)
    trained = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert served.shape == trained.shape == ((64, 48, 3) if orientation in (6, 8) else (48, 64, 3))
    assert np.abs(served.astype(int) - trained.astype(int)).mean() < 3
    path = tmp_path / "photo.jpg"
    path.write_bytes(data)
    assert LoadPhotoSize().transform({"img_path": str(path)})["img_shape"] == trained.shape[:2]
