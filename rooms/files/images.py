"""Images made safe to store and show: bounded decoding, no metadata, a server-made thumbnail.

The header is read first and an image over the size limits is refused
before a single pixel is decoded (a decompression bomb is a few KB that
claims gigapixels). An image shown inline (JPEG, PNG, static WebP) is
stored as Pillow re-encodes it: turned upright, with its ICC colour profile
and without EXIF, GPS, XMP or comments, so a phone photo of a defect does
not carry where it was taken. GIF has no EXIF and keeps its bytes (and its
animation). Every inline image gets a WebP thumbnail, from its first frame.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import IO

from PIL import Image, ImageOps

from hub.errors import Invalid, TooLarge
from rooms.files.detect import INLINE_IMAGES, Detected

THUMBNAIL_SIDE = 480


@dataclass(frozen=True)
class PreparedImage:
    width: int
    height: int
    # The image to store instead of the upload's bytes (None: store them as they are).
    clean: bytes | None
    thumbnail: bytes | None


def prepare_image(
    stream: IO[bytes], detected: Detected, *, max_pixels: int, max_side: int
) -> PreparedImage:
    """Check an image's size from its header, then (inline types only) decode it once."""
    formats = [fmt for fmt, mime in INLINE_IMAGES.items() if mime == detected.content_type]
    stream.seek(0)
    try:
        with Image.open(stream, formats=formats or None) as image:
            width, height = image.size
            # WebP states its frame count in its header; GIF's is only known
            # by decoding, and only its first frame is ever decoded here.
            frames = getattr(image, "n_frames", 1) if image.format == "WEBP" else 1
            if not (0 < width <= max_side and 0 < height <= max_side) or (
                width * height * frames > max_pixels
            ):
                raise _too_large(max_side, max_pixels)
            if not detected.inline:
                return PreparedImage(width, height, None, None)
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            clean = None
            if image.format in ("JPEG", "PNG") or (image.format == "WEBP" and frames == 1):
                clean = _reencode(upright, image.format, image.info.get("icc_profile"))
            return PreparedImage(upright.width, upright.height, clean, _thumbnail(upright))
    except Image.DecompressionBombError:
        # Over Pillow's own limit (above ours): refused before its header is even kept.
        raise _too_large(max_side, max_pixels) from None
    except (OSError, ValueError, SyntaxError, EOFError):
        raise Invalid("That image could not be read; is the file complete?") from None
    finally:
        stream.seek(0)


def _too_large(max_side: int, max_pixels: int) -> TooLarge:
    return TooLarge(
        f"Images are limited to {max_side} pixels a side and {max_pixels / 1_000_000:g} megapixels."
    )


def _reencode(image: Image.Image, fmt: str, icc: bytes | None) -> bytes:
    out = io.BytesIO()
    options: dict[str, object] = {}
    if icc:
        options["icc_profile"] = icc
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
        # An empty comment: Pillow would otherwise copy the original's.
        image.save(out, "JPEG", quality=90, comment=b"", **options)
    elif fmt == "PNG":
        image.save(out, "PNG", **options)
    else:
        image.save(out, "WEBP", quality=90, **options)
    return out.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    thumb = image.copy()
    thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    has_alpha = thumb.mode in ("RGBA", "LA", "PA") or "transparency" in thumb.info
    thumb = thumb.convert("RGBA" if has_alpha else "RGB")
    out = io.BytesIO()
    thumb.save(out, "WEBP", quality=80)
    return out.getvalue()
