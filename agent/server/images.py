"""Images sent in requests (data URLs or base64): decoded into the server's upload folder under a
name the server chooses, checked like any image (size, declared pixels) before a reader sees it.
No request can name a file on the server's disk."""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tools.base import ToolInputError
from tools.vision.settings import VisionSettings
from tools.vision.tools import check_image

_DATA_URL = re.compile(r"^data:image/(png|jpeg|jpg|gif|tiff|webp|bmp);base64,", re.IGNORECASE)
_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "png",
    b"\xff\xd8\xff": "jpg",
    b"GIF87a": "gif",
    b"GIF89a": "gif",
    b"II*\x00": "tif",
    b"MM\x00*": "tif",
    b"BM": "bmp",
}


class ImageError(ValueError):
    """An image in the request cannot be used; the message says why."""


def decode_image(source: str, max_bytes: int) -> tuple[bytes, str]:
    """The image's bytes and file suffix from a data URL or bare base64."""
    text = source.strip()
    if text.startswith(("http://", "https://", "file:", "/", "~", ".")):
        raise ImageError(
            "images must be sent in the request as a data URL (data:image/png;base64,...); "
            "the server fetches no URLs and reads no paths"
        )
    m = _DATA_URL.match(text)
    payload = text[m.end() :] if m else text
    if len(payload) > max_bytes * 4 // 3 + 8:
        raise ImageError(f"the image is larger than {max_bytes / 1e6:g} MB (vision.max_image_mb)")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ImageError(
            "the image is not valid base64 (expected data:image/png;base64,...)"
        ) from None
    for magic, suffix in _MAGIC.items():
        if data.startswith(magic):
            return data, suffix
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return data, "webp"
    raise ImageError("the data is not a PNG, JPEG, GIF, TIFF, BMP or WebP image")


@contextmanager
def saved_images(
    sources: list[str], folder: Path, settings: VisionSettings, max_images: int = 4
) -> Iterator[list[str]]:
    """Write the request's images to fresh files for the question, checked, and remove them
    afterwards; raises `ImageError` before anything runs when one is unusable."""
    if len(sources) > max_images:
        raise ImageError(f"{len(sources)} images; send at most {max_images} with one question")
    max_bytes = int(settings.max_image_mb * 1e6)
    decoded = [decode_image(s, max_bytes) for s in sources]
    paths: list[Path] = []
    # A fresh folder per question, so the answer can call them "image-1.png" (names the user
    # can follow) without two questions' files meeting.
    here = folder / uuid.uuid4().hex
    try:
        here.mkdir(parents=True)
        for n, (data, suffix) in enumerate(decoded, start=1):
            path = here / f"image-{n}.{suffix}"
            path.write_bytes(data)
            paths.append(path)
            try:
                check_image(path, f"image {n}", settings)
            except ToolInputError as exc:
                raise ImageError(str(exc).replace(path.name, f"image {n}")) from None
        yield [str(p) for p in paths]
    finally:
        for p in paths:
            p.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            here.rmdir()
