"""Where files' bytes live: Django's storage API, under the ``files`` alias (settings).

A local folder on the embedded default, S3-compatible object storage through
django-storages in production. Names are ``<random key>/<part>``: never the
file's own name, which is only ever shown and put in Content-Disposition.
"""

from __future__ import annotations

from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage, storages
from django.utils.http import content_disposition_header

ORIGINAL = "original"


def thumbnail_part(extension: str) -> str:
    return f"thumbnail.{extension}"


def extension(name: str) -> str:
    """What a stored name ends with after its last dot ("jpg" of "key/thumbnail.jpg")."""
    return name.rsplit(".", 1)[-1]


def thumbnail_type(name: str) -> str:
    """A thumbnail's type, from its extension or the name it is stored under."""
    return "image/webp" if extension(name) == "webp" else "image/jpeg"


def files_storage() -> Storage:
    return storages["files"]


def is_object_storage() -> bool:
    """True when files are served by redirecting to a presigned address (S3)."""
    return hasattr(files_storage(), "bucket_name")


def blob_name(key: str, part: str) -> str:
    return f"{key}/{part}"


def save(name: str, content: bytes | File[bytes], content_type: str) -> str:
    """Store ``content`` as ``name`` (with its type, for object storage); returns the name."""
    file = ContentFile(content, name=name) if isinstance(content, bytes) else content
    # django-storages' S3 backend stores this as the object's Content-Type.
    file.content_type = content_type  # type: ignore[attr-defined]
    stored = files_storage().save(name, file)
    if stored != name:
        # Keys are random: a name taken means two uploads drew the same key.
        files_storage().delete(stored)
        raise FileExistsError(name)
    return stored


def copy(source: str, target: str, content_type: str) -> str:
    """Store a second copy of ``source`` as ``target`` (streamed, not read into memory)."""
    with files_storage().open(source, "rb") as handle:
        return save(target, File(handle), content_type)


def delete(name: str) -> None:
    if name:
        files_storage().delete(name)


def presigned_url(name: str, *, filename: str, content_type: str, inline: bool) -> str:
    """A short-lived address of ``name`` in object storage, with the headers it is served with."""
    disposition = content_disposition_header(not inline, filename)
    return str(
        files_storage().url(  # type: ignore[call-arg]
            name,
            parameters={
                "ResponseContentType": content_type,
                "ResponseContentDisposition": disposition,
                "ResponseCacheControl": "private, no-store",
            },
        )
    )
