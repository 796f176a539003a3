"""What a file is, from its bytes: never from its name or the type the browser claims.

Pillow identifies images (it reads their headers, no more), puremagic the
other signatures; a ZIP container is opened to tell an Office or
OpenDocument file from a plain archive, and anything else that is UTF-8
text is text. The rest is ``application/octet-stream``.
"""

from __future__ import annotations

import codecs
import zipfile
from dataclasses import dataclass
from typing import IO

import puremagic
from PIL import Image

# The kinds an organization's file policy speaks of (``Upload.Kind``).
IMAGE, PDF, DOCUMENT, TEXT, ARCHIVE, OTHER = "image", "pdf", "document", "text", "archive", "other"
KINDS = (IMAGE, PDF, DOCUMENT, TEXT, ARCHIVE, OTHER)
# How each kind is said: a file's label on its card, many of them in a
# sentence (a policy, its errors), one of them. The web client gets this
# table from here (``FILE_KINDS`` in wire.gen.js).
KIND_WORDS: dict[str, dict[str, str]] = {
    IMAGE: {"label": "Image", "many": "images", "one": "an image"},
    PDF: {"label": "PDF", "many": "PDFs", "one": "a PDF"},
    DOCUMENT: {"label": "Document", "many": "Office documents", "one": "an Office document"},
    TEXT: {"label": "Text", "many": "text files", "one": "a text file"},
    ARCHIVE: {"label": "Archive", "many": "archives", "one": "an archive"},
    OTHER: {"label": "File", "many": "other files", "one": "a file of another kind"},
}

# Shown inline (and thumbnailed); every other type is served as a download.
INLINE_IMAGES = {
    "JPEG": "image/jpeg",
    # A JPEG with more pictures after it (MPF: depth maps, HDR gain maps):
    # phones write these; the first picture is what is shown and kept. Pillow
    # opens them with its JPEG plugin and names them MPO.
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "WEBP": "image/webp",
}
_OTHER_IMAGES = {"TIFF": "image/tiff", "BMP": "image/bmp"}

_DOCUMENTS = {
    ".doc": "application/msword",
    ".rtf": "application/rtf",
}
_ARCHIVES = {
    ".gz": "application/gzip",
    ".tar": "application/x-tar",
    ".7z": "application/x-7z-compressed",
    ".rar": "application/vnd.rar",
    ".xz": "application/x-xz",
    ".bz2": "application/x-bzip2",
    ".zst": "application/zstd",
}
_OOXML = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
# Pillow's format name -> type, for every image type Causeway knows.
_IMAGES = {**INLINE_IMAGES, **_OTHER_IMAGES}
_INLINE_TYPES = frozenset(INLINE_IMAGES.values())
HEAD_BYTES = 64 * 1024

# Every Pillow plugin registered now: ``Image.open(formats=...)`` only looks up
# the ones loaded so far (WebP, say, only after ``init``).
Image.init()


def open_as(*content_types: str) -> list[str]:
    """The Pillow plugins that open images of these types (MPO comes through JPEG)."""
    return [fmt for fmt, mime in _IMAGES.items() if mime in content_types and fmt in Image.OPEN]


def shown_inline(content_type: str) -> bool:
    """Safe to show in the page (an image type browsers only ever render as an image);
    every other type is served as a download. The one rule for both."""
    return content_type in _INLINE_TYPES


@dataclass(frozen=True)
class Detected:
    content_type: str
    kind: str

    @property
    def inline(self) -> bool:
        return shown_inline(self.content_type)


def detect(stream: IO[bytes]) -> Detected:
    """The type of the file in ``stream`` (read from the start; left at the start)."""
    stream.seek(0)
    head = stream.read(HEAD_BYTES)
    stream.seek(0)
    if not head:
        return Detected("application/octet-stream", OTHER)
    image = _image_format(stream)
    if image is not None:
        return image
    if head.startswith(b"PK\x03\x04"):
        return _zip(stream)
    extension, mime = _signature(head)
    if extension == ".pdf":
        return Detected("application/pdf", PDF)
    if extension in _DOCUMENTS:
        return Detected(_DOCUMENTS[extension], DOCUMENT)
    if extension in _ARCHIVES:
        return Detected(_ARCHIVES[extension], ARCHIVE)
    if mime.startswith(("image/heic", "image/heif")):
        return Detected(mime, IMAGE)
    if mime.startswith(("video/", "audio/")):
        return Detected(mime, OTHER)
    if _is_text(head):
        # HTML, SVG and XML too: as text they are never run, whatever they say.
        return Detected("text/plain", TEXT)
    return Detected("application/octet-stream", OTHER)


def _image_format(stream: IO[bytes]) -> Detected | None:
    try:
        with Image.open(stream, formats=open_as(*_IMAGES.values())) as image:
            fmt = image.format or ""
    except Image.DecompressionBombError:
        # An image claiming more pixels than Pillow will open: its signature
        # says which, and ``prepare_image`` refuses it.
        stream.seek(0)
        _, mime = _signature(stream.read(HEAD_BYTES))
        return Detected(mime, IMAGE) if mime in _IMAGES.values() else None
    except Exception:  # UnidentifiedImageError, or a crafted header Pillow trips over
        return None
    finally:
        stream.seek(0)
    return Detected(_IMAGES[fmt], IMAGE) if fmt in _IMAGES else None


def _signature(head: bytes) -> tuple[str, str]:
    """puremagic's most confident match: (extension, mime type), or ("", "")."""
    try:
        match = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return "", ""
    if not match:
        return "", ""
    return match[0].extension.lower(), (match[0].mime_type or "").lower()


def _zip(stream: IO[bytes]) -> Detected:
    """An Office Open XML or OpenDocument file, or a plain ZIP archive, by what it holds."""
    try:
        with zipfile.ZipFile(stream) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                # At most 100 bytes inflated: the entry may be a zip bomb.
                with archive.open("mimetype") as entry:
                    declared = entry.read(100).decode("ascii", "replace").strip()
                if declared.startswith("application/vnd.oasis.opendocument."):
                    return Detected(declared, DOCUMENT)
            if "[Content_Types].xml" in names:
                for folder, mime in _OOXML.items():
                    if any(name.startswith(folder) for name in names):
                        return Detected(mime, DOCUMENT)
        return Detected("application/zip", ARCHIVE)
    except Exception:  # damaged, encrypted, truncated: an archive we cannot tell apart
        return Detected("application/octet-stream", OTHER)
    finally:
        stream.seek(0)


def _is_text(head: bytes) -> bool:
    """UTF-8 without NUL bytes (a sequence cut off by the sample's end is fine)."""
    if b"\x00" in head:
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True
