"""Images made safe to store and show: bounded decoding, no metadata, a server-made thumbnail.

The header is read first, and an image over the size limits is refused
before a single pixel is decoded (a decompression bomb is a few KB that
claims gigapixels). What is stored of an image shown inline carries no
EXIF (GPS, camera, time), XMP, IPTC or comments, so a phone photo of a
defect does not say where it was taken:

- JPEG and PNG lose their metadata *without re-encoding*: their segments
  (JPEG) or chunks (PNG) are copied, those that can carry metadata left
  out, so the picture is bit for bit the one uploaded. A JPEG keeps its EXIF
  orientation as the only EXIF it has, so it still shows upright; a PNG with
  an EXIF orientation (rare) is turned upright and re-encoded (PNG is lossless).
- GIF loses its comments and application blocks (XMP) the same way; its
  frames, timing and loop count stay.
- WebP with EXIF or XMP is re-encoded by Pillow (without them); without, kept.
- Image types only ever downloaded (TIFF, BMP, HEIC) are stored as uploaded,
  metadata included; their size is checked if Pillow reads their header.

Every inline image gets a thumbnail from its first frame, upright: a JPEG
(WebP if it has transparency), 480 pixels on its long side. A JPEG upload is
decoded for it at a reduced scale (``draft``), a fraction of the work.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import IO

from PIL import Image, ImageOps

from hub.errors import ActionError, Invalid, TooLarge
from rooms.files.detect import Detected, open_as
from rooms.files.storage import thumbnail_type

THUMBNAIL_SIDE = 480
ORIENTATION = 0x0112

# JPEG application segments kept: APP0 JFIF (without its thumbnail), APP2
# ICC_PROFILE (the colours) and APP14 Adobe (how the colours are coded). Every
# other APPn (EXIF and XMP are APP1, FlashPix and MPF APP2, IPTC APP13) and
# comments (COM) may carry metadata or point at what was cut, and are left out.
_JPEG_APP0, _JPEG_APP2, _JPEG_APP14 = 0xE0, 0xE2, 0xEE
_JPEG_COM = 0xFE
# Fill bytes (runs of 0xFF) before a marker; a marker after any fill bytes.
_FILL = re.compile(rb"\xff*")
_MARKER = re.compile(rb"\xff+([^\xff])")
_JPEG_SOS = 0xDA
_JPEG_EOI = 0xD9
# PNG chunks kept: what the picture and its colours need, and APNG's frames.
# Text (tEXt, zTXt, iTXt), eXIf, tIME and anything unknown are left out.
_PNG_KEPT = {
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP",
    b"sBIT", b"pHYs", b"bKGD", b"cICP", b"mDCv", b"cLLi", b"acTL", b"fcTL", b"fdAT",
}  # fmt: skip
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class PreparedImage:
    # None: a picture Pillow cannot read (HEIC, say), stored as a download.
    width: int | None
    height: int | None
    # The image to store instead of the upload's bytes (None: store them as they are).
    clean: bytes | None
    thumbnail: Thumbnail | None


@dataclass(frozen=True)
class Thumbnail:
    data: bytes
    # "jpg" or "webp" (a picture with transparency).
    extension: str

    @property
    def content_type(self) -> str:
        return thumbnail_type(self.extension)


def prepare_image(
    stream: IO[bytes], detected: Detected, *, max_pixels: int, max_side: int
) -> PreparedImage:
    """Check an image's size from its header; for inline types, strip it and thumbnail it.

    Whatever a crafted file makes Pillow or the strippers raise is ``Invalid``
    (never a server error); a size over the limits is ``TooLarge``.
    """
    if not detected.inline:
        return _downloadable(stream, max_pixels=max_pixels, max_side=max_side)
    formats = open_as(detected.content_type)
    stream.seek(0)
    try:
        with Image.open(stream, formats=formats) as image:
            width, height = image.size
            # WebP states its frame count in its header; GIF's is only known
            # by decoding, and only its first frame is ever decoded here.
            frames = getattr(image, "n_frames", 1) if image.format == "WEBP" else 1
            _check_size(width, height, frames, max_pixels=max_pixels, max_side=max_side)
            fmt = image.format
            has_metadata = bool({"exif", "xmp"} & set(image.info))
            orientation = image.getexif().get(ORIENTATION, 1)
        stream.seek(0)
        data = stream.read()
        if fmt in ("JPEG", "MPO"):
            clean = strip_jpeg(data)
        elif fmt == "PNG" and orientation in (1, None):
            clean = strip_png(data)
        elif fmt == "PNG":
            # An EXIF orientation in a PNG is rare; turned upright (losslessly) instead.
            clean = _reencode_upright_png(data)
        elif fmt == "WEBP" and has_metadata:
            clean = _reencode_webp(data, animated=frames > 1)
        elif fmt == "GIF":
            clean = strip_gif(data)
        else:
            clean = None
        with Image.open(io.BytesIO(clean if clean is not None else data)) as shown:
            if shown.format == "JPEG":
                # Decoded at 1/2, 1/4 or 1/8 scale, as close to the thumbnail as it gets.
                shown.draft("RGB", (THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            shown.load()
            upright = ImageOps.exif_transpose(shown) or shown
            if shown.format == "JPEG":  # decoded smaller: its size is the header's
                w, h = (height, width) if _turned(shown) else (width, height)
            else:
                w, h = upright.size
            return PreparedImage(w, h, clean, _thumbnail(upright))
    except ActionError:
        raise
    except Image.DecompressionBombError:
        # Over Pillow's own limit (above ours): refused before its header is even kept.
        raise _too_large(max_side, max_pixels) from None
    except Exception:  # OSError, ValueError, struct.error, a mistyped EXIF tag's TypeError...
        raise Invalid("That image could not be read; is the file complete?") from None
    finally:
        stream.seek(0)


def _downloadable(stream: IO[bytes], *, max_pixels: int, max_side: int) -> PreparedImage:
    """An image type that is only ever downloaded (TIFF, BMP, HEIC): its size, if
    Pillow can read its header (within the limits); it is never decoded."""
    stream.seek(0)
    try:
        with Image.open(stream) as image:
            width, height = image.size
    except Image.DecompressionBombError:
        raise _too_large(max_side, max_pixels) from None
    except Exception:  # a format Pillow does not read: stored as it is, a download
        return PreparedImage(None, None, None, None)
    finally:
        stream.seek(0)
    _check_size(width, height, 1, max_pixels=max_pixels, max_side=max_side)
    return PreparedImage(width, height, None, None)


def _check_size(width: int, height: int, frames: int, *, max_pixels: int, max_side: int) -> None:
    if not (0 < width <= max_side and 0 < height <= max_side) or (
        width * height * frames > max_pixels
    ):
        raise _too_large(max_side, max_pixels)


def strip_jpeg(data: bytes) -> bytes:
    """The JPEG without its metadata segments (and anything after its end), not re-encoded.

    Its EXIF orientation, if any, is kept in a new EXIF segment that holds
    nothing else. ``ValueError`` if the markers do not parse.
    """
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG")
    kept = [b"\xff\xd8"]
    orientation = 1
    at = 2
    while True:
        if at >= len(data) or data[at] != 0xFF:
            raise ValueError("a JPEG marker was expected")
        at = _FILL.match(data, at).end() - 1  # type: ignore[union-attr]  # past fill bytes
        if at + 4 > len(data):
            raise ValueError("a JPEG segment is cut short")
        marker = data[at + 1]
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        segment = data[at : at + 2 + length]
        if marker == _JPEG_SOS:
            break
        payload = segment[4:]
        if marker == 0xE1 and payload.startswith(b"Exif\x00\x00"):
            orientation = _orientation(payload) or orientation
        elif marker == _JPEG_APP0 and payload.startswith(b"JFIF\x00") and len(payload) >= 14:
            # Its thumbnail (if any) goes: it may show what the picture was before an edit.
            jfif = payload[:12] + b"\x00\x00"
            kept.append(b"\xff\xe0" + (len(jfif) + 2).to_bytes(2, "big") + jfif)
        elif (
            (marker == _JPEG_APP2 and payload.startswith(b"ICC_PROFILE\x00"))
            or (marker == _JPEG_APP14)
            or not (0xE0 <= marker <= 0xEF or marker == _JPEG_COM)
        ):
            kept.append(segment)
        at += 2 + length
    if orientation != 1:
        exif = Image.Exif()
        exif[ORIENTATION] = orientation
        payload = exif.tobytes()
        kept.insert(1, b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload)
    # From the first scan to the end of the image. Entropy-coded data never
    # holds 0xFF but as 0xFF00 or a marker; a progressive JPEG's later scans
    # and tables come as markers, and the first EOI ends the image (what some
    # cameras append after it, a second picture or a maker's trailer, goes).
    end = _jpeg_end(data, at)
    kept.append(data[at:end])
    return b"".join(kept)


def _jpeg_end(data: bytes, at: int) -> int:
    while True:
        found = _MARKER.search(data, at)
        if found is None:
            raise ValueError("the JPEG has no end")
        at = found.start()
        marker = found[1][0]
        if marker == _JPEG_EOI:
            return found.end()
        if marker == 0x00 or 0xD0 <= marker <= 0xD7:  # a stuffed 0xFF, a restart
            at = found.end()
            continue
        at = found.end() - 2  # the marker itself, after any fill bytes
        if 0xE0 <= marker <= 0xEF or marker == _JPEG_COM:
            raise ValueError("metadata between the scans of a JPEG")
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        if length < 2:
            raise ValueError("a JPEG segment with no length")
        at += 2 + length


def _orientation(exif_segment: bytes) -> int | None:
    exif = Image.Exif()
    try:
        exif.load(exif_segment)
    except Exception:  # a damaged EXIF block: no orientation to keep
        return None
    value = exif.get(ORIENTATION)
    return value if isinstance(value, int) and 1 <= value <= 8 else None


def strip_png(data: bytes) -> bytes:
    """The PNG with only the chunks its picture needs (no text, eXIf or time), not re-encoded."""
    if not data.startswith(_PNG_SIGNATURE):
        raise ValueError("not a PNG")
    kept = [_PNG_SIGNATURE]
    at = len(_PNG_SIGNATURE)
    while at + 12 <= len(data):
        length = int.from_bytes(data[at : at + 4], "big")
        kind = data[at + 4 : at + 8]
        chunk = data[at : at + 12 + length]
        if len(chunk) != 12 + length:
            raise ValueError("a PNG chunk is cut short")
        if kind in _PNG_KEPT:
            kept.append(chunk)
        at += 12 + length
        if kind == b"IEND":
            return b"".join(kept)
    raise ValueError("the PNG has no end")


def strip_gif(data: bytes) -> bytes:
    """The GIF without comments and application blocks (XMP), its frames and loop kept."""
    if data[:6] not in (b"GIF87a", b"GIF89a") or len(data) < 13:
        raise ValueError("not a GIF")
    at = 13
    if data[10] & 0x80:  # a global colour table
        at += 3 * 2 ** ((data[10] & 0x07) + 1)
    kept = [data[:at]]
    while at < len(data):
        block = data[at]
        if block == 0x3B:  # the trailer
            kept.append(b"\x3b")
            return b"".join(kept)
        if block == 0x21:  # an extension: label, then sub-blocks
            label = data[at + 1]
            end = _sub_blocks_end(data, at + 2)
            body = data[at + 2 : end]
            if label in (0xF9, 0x01) or (
                label == 0xFF and body[1:12] in (b"NETSCAPE2.0", b"ANIMEXTS1.0")
            ):
                kept.append(data[at:end])  # frame timing, plain text, the loop count
            at = end
        elif block == 0x2C:  # an image: descriptor, local colour table, LZW data
            flags = data[at + 9]
            start = at + 10 + (3 * 2 ** ((flags & 0x07) + 1) if flags & 0x80 else 0)
            end = _sub_blocks_end(data, start + 1)
            kept.append(data[at:end])
            at = end
        else:
            raise ValueError("an unknown GIF block")
    raise ValueError("the GIF has no end")


def _sub_blocks_end(data: bytes, at: int) -> int:
    """Where a chain of GIF sub-blocks (each its length, then its bytes) ends."""
    while True:
        if at >= len(data):
            raise ValueError("a GIF block is cut short")
        size = data[at]
        at += 1 + size
        if size == 0:
            return at


def _reencode_webp(data: bytes, *, animated: bool) -> bytes:
    """A WebP without EXIF or XMP (Pillow writes neither unless asked)."""
    out = io.BytesIO()
    with Image.open(io.BytesIO(data)) as image:
        if animated:
            image.save(out, "WEBP", save_all=True, quality=90)
        else:
            upright = ImageOps.exif_transpose(image) or image
            upright.save(out, "WEBP", quality=90, icc_profile=image.info.get("icc_profile"))
    return out.getvalue()


def _reencode_upright_png(data: bytes) -> bytes:
    out = io.BytesIO()
    with Image.open(io.BytesIO(data)) as image:
        upright = ImageOps.exif_transpose(image) or image
        upright.save(out, "PNG", icc_profile=image.info.get("icc_profile"))
    return out.getvalue()


def _turned(image: Image.Image) -> bool:
    """Whether the image's EXIF orientation turns it a quarter (width and height swap)."""
    return image.getexif().get(ORIENTATION) in (5, 6, 7, 8)


def _too_large(max_side: int, max_pixels: int) -> TooLarge:
    return TooLarge(
        f"Images are limited to {max_side} pixels a side and {max_pixels / 1_000_000:g} megapixels."
    )


def _thumbnail(image: Image.Image) -> Thumbnail:
    """JPEG (a millisecond to encode), or WebP where the picture has transparency."""
    thumb = image.copy()
    thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    out = io.BytesIO()
    if thumb.mode in ("RGBA", "LA", "PA") or "transparency" in thumb.info:
        thumb.convert("RGBA").save(out, "WEBP", quality=80, method=0)
        return Thumbnail(out.getvalue(), "webp")
    thumb.convert("RGB").save(out, "JPEG", quality=80)
    return Thumbnail(out.getvalue(), "jpg")


AVATAR_SIDE = 256
# What an avatar may be uploaded as: the pictures a browser shows.
AVATAR_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")


def make_avatar(data: bytes, *, max_pixels: int, max_side: int) -> bytes:
    """A person's picture: upright, the centre square, ``AVATAR_SIDE`` pixels, re-encoded as
    a JPEG, so nothing of the upload but its pixels is kept (no EXIF, GPS, XMP or
    comments; a GIF's first frame). Its size is checked from the header before any
    pixel is decoded; a crafted or broken file is ``Invalid``, never a server error."""
    try:
        with Image.open(io.BytesIO(data), formats=AVATAR_FORMATS) as image:
            _check_size(*image.size, 1, max_pixels=max_pixels, max_side=max_side)
            if image.format == "JPEG":
                image.draft("RGB", (AVATAR_SIDE * 2, AVATAR_SIDE * 2))
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            rgba = upright.convert("RGBA")
            # Transparency over white, as the page's background shows it.
            flat = Image.new("RGB", rgba.size, "white")
            flat.paste(rgba, mask=rgba.getchannel("A"))
            square = ImageOps.fit(flat, (AVATAR_SIDE, AVATAR_SIDE), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            square.save(out, "JPEG", quality=85)
            return out.getvalue()
    except ActionError:
        raise
    except Image.DecompressionBombError:
        raise _too_large(max_side, max_pixels) from None
    except Exception:  # not an image, or a broken one: whatever Pillow raises
        raise Invalid("A picture must be a JPEG, PNG, GIF or WebP image.") from None
