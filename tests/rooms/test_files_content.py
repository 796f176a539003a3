"""What a file is (from its bytes) and how images are made safe (``rooms.files``)."""

from __future__ import annotations

import gzip
import io
import struct
import zipfile
import zlib
from typing import Any

import pytest
from PIL import Image, ImageOps
from PIL.TiffImagePlugin import IFDRational

from hub.errors import Invalid, TooLarge
from rooms.files.detect import Detected, detect
from rooms.files.images import prepare_image
from tests.conftest import PDF_BYTES, Team, make_upload, png_bytes


def image_bytes(fmt: str, size: tuple[int, int] = (40, 30), **save: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "orange").save(out, fmt, **save)
    return out.getvalue()


def zipped(*names: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>" if name != "mimetype" else "")
    return out.getvalue()


def odt() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<x/>")
    return out.getvalue()


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (image_bytes("PNG"), Detected("image/png", "image")),
        (image_bytes("JPEG"), Detected("image/jpeg", "image")),
        (image_bytes("GIF"), Detected("image/gif", "image")),
        (image_bytes("WEBP"), Detected("image/webp", "image")),
        (image_bytes("TIFF"), Detected("image/tiff", "image")),
        (PDF_BYTES, Detected("application/pdf", "pdf")),
        (zipped("[Content_Types].xml", "word/document.xml"), Detected(DOCX, "document")),
        (zipped("[Content_Types].xml", "xl/workbook.xml"), Detected(XLSX, "document")),
        (odt(), Detected("application/vnd.oasis.opendocument.text", "document")),
        (zipped("drawings/a.step", "readme.txt"), Detected("application/zip", "archive")),
        # mtime=0: the same bytes (and test id) in every process; parallel
        # workers must collect identical tests.
        (gzip.compress(b"log lines", mtime=0), Detected("application/gzip", "archive")),
        (b"part,qty\nA-1,3\n", Detected("text/plain", "text")),
        ("Prüfbericht für Los 7 ✓\n".encode(), Detected("text/plain", "text")),
        # Markup is text: it is never served as a page, whatever it holds.
        (b"<html><script>alert(1)</script></html>", Detected("text/plain", "text")),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>',
            Detected("text/plain", "text"),
        ),
        (b"MZ\x90\x00" + bytes(200), Detected("application/octet-stream", "other")),
        (bytes(range(256)) * 8, Detected("application/octet-stream", "other")),
    ],
    ids=lambda v: v.content_type if isinstance(v, Detected) else None,
)
def test_the_type_is_read_from_the_content(data: bytes, expected: Detected) -> None:
    assert detect(io.BytesIO(data)) == expected


def test_the_name_and_the_browsers_type_change_nothing(team: Team) -> None:
    from django.test import Client

    client = Client()
    client.force_login(team.client_member)
    page = b"<html><script>alert(document.cookie)</script></html>"
    response = client.post(
        f"/api/rooms/{team.shared.id}/files/?name=photo.png", page, content_type="image/png"
    )
    assert response.status_code == 201
    data = response.json()
    assert (data["type"], data["kind"], data["inline"], data["thumbnail"]) == (
        "text/plain",
        "text",
        False,
        None,
    )
    served = client.get(data["url"])
    assert served["Content-Type"] == "text/plain; charset=utf-8"
    assert served["Content-Disposition"] == 'attachment; filename="photo.png"'
    assert served["X-Content-Type-Options"] == "nosniff"


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` (a decompression bomb's shape)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_is_refused_from_its_header(team: Team) -> None:
    bomb = png_claiming(100_000, 100_000)
    assert len(bomb) < 200
    with pytest.raises(TooLarge, match="20000 pixels a side and 50 megapixels"):
        make_upload(team.client_member, team.shared, bomb, "bomb.png")


def test_an_image_over_the_pixel_limit_is_refused(team: Team, settings: Any) -> None:
    settings.CAUSEWAY_IMAGE_MAX_PIXELS = 100 * 100
    make_upload(team.client_member, team.shared, png_bytes(100, 100), "ok.png")
    with pytest.raises(TooLarge):
        make_upload(team.client_member, team.shared, png_bytes(101, 100), "big.png")


def test_a_truncated_image_is_a_clear_error(team: Team) -> None:
    out = io.BytesIO()
    Image.effect_noise((400, 400), 60).convert("RGB").save(out, "JPEG")
    cut = out.getvalue()[: len(out.getvalue()) // 2]
    with pytest.raises(Invalid, match="could not be read"):
        make_upload(team.client_member, team.shared, cut, "cut.jpg")


def photo_with_location() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotated 90 degrees
    exif[0x8825] = {  # GPS
        1: "N",
        2: (IFDRational(48), IFDRational(8), IFDRational(0)),
        3: "E",
        4: (IFDRational(11), IFDRational(34), IFDRational(0)),
    }
    return image_bytes(
        "JPEG",
        (300, 200),
        exif=exif,
        xmp=b"<x:xmpmeta>plant 4, line 3</x:xmpmeta>",
        comment=b"plant 4",
    )


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_location_and_other_metadata_are_stripped_and_the_photo_is_upright(fmt: str) -> None:
    if fmt == "JPEG":
        data = photo_with_location()
    else:
        with Image.open(io.BytesIO(photo_with_location())) as source:
            data = image_bytes(fmt, (300, 200), exif=source.getexif())
    assert b"PhoneMaker" in data
    detected = detect(io.BytesIO(data))
    prepared = prepare_image(io.BytesIO(data), detected, max_pixels=10**8, max_side=10**4)
    assert prepared.clean is not None and prepared.thumbnail is not None
    assert (prepared.width, prepared.height) == (200, 300)
    for stored in (prepared.clean, prepared.thumbnail.data):
        assert b"PhoneMaker" not in stored and b"plant 4" not in stored
        with Image.open(io.BytesIO(stored)) as image:
            # Nothing but, in a JPEG, the orientation: what shows the photo upright.
            assert set(image.getexif()) <= ({0x0112} if image.format == "JPEG" else set())
            assert "xmp" not in image.info and "comment" not in image.info
            upright = ImageOps.exif_transpose(image) or image
            assert upright.width < upright.height


def test_a_jpeg_keeps_its_picture_bit_for_bit() -> None:
    """Stripping leaves the coded picture alone: no re-encoding, no quality lost."""
    data = photo_with_location()
    prepared = prepare_image(
        io.BytesIO(data), detect(io.BytesIO(data)), max_pixels=10**8, max_side=10**4
    )
    assert prepared.clean is not None
    start = data.index(b"\xff\xda")  # the first scan, to the end of the image
    assert prepared.clean.endswith(data[start:])
    with Image.open(io.BytesIO(data)) as a, Image.open(io.BytesIO(prepared.clean)) as b:
        assert a.tobytes() == b.tobytes()


def test_a_png_loses_its_text_chunks_and_keeps_its_pixels() -> None:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Location", "plant 4, line 3")
    info.add_itxt("Author", "Ines Holm")
    out = io.BytesIO()
    Image.new("RGBA", (64, 32), (10, 20, 30, 128)).save(out, "PNG", pnginfo=info)
    data = out.getvalue()
    prepared = prepare_image(
        io.BytesIO(data), detect(io.BytesIO(data)), max_pixels=10**8, max_side=10**4
    )
    assert prepared.clean is not None
    assert b"plant 4" not in prepared.clean and b"Ines" not in prepared.clean
    with Image.open(io.BytesIO(data)) as a, Image.open(io.BytesIO(prepared.clean)) as b:
        assert a.tobytes() == b.tobytes() and not b.text


def test_a_gif_keeps_its_bytes_and_gets_a_thumbnail(team: Team) -> None:
    frames = [Image.new("P", (50, 50), color) for color in (1, 2, 3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100)
    upload = make_upload(team.client_member, team.shared, out.getvalue(), "spin.gif")
    from django.core.files.storage import storages

    with storages["files"].open(upload.blob) as stored:
        assert stored.read() == out.getvalue()
    assert upload.thumbnail


def test_file_names_are_cleaned_for_display_and_download(team: Team) -> None:
    upload = make_upload(team.client_member, team.shared, b"text", "../../etc/\x07pass\nwd.txt")
    assert upload.name == "passwd.txt"
    long = make_upload(team.client_member, team.shared, b"text", "x" * 300 + ".pdf")
    assert len(long.name) == 200 and long.name.endswith(".pdf")
    assert make_upload(team.client_member, team.shared, b"text", "...").name == "file"


def gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (IFDRational(48), IFDRational(8), IFDRational(0))}
    return exif


def test_a_multi_picture_jpeg_is_an_image_and_keeps_only_its_first_picture() -> None:
    """Phones write depth maps and HDR gain maps after the photo (MPF), each with EXIF."""
    out = io.BytesIO()
    first, second = Image.new("RGB", (64, 48), "red"), Image.new("RGB", (64, 48), "blue")
    first.save(out, "MPO", save_all=True, append_images=[second], exif=gps_exif())
    data = out.getvalue()
    with Image.open(io.BytesIO(data)) as probe:
        assert probe.format == "MPO"
    detected = detect(io.BytesIO(data))
    assert detected == Detected("image/jpeg", "image")
    prepared = prepare_image(io.BytesIO(data), detected, max_pixels=10**8, max_side=10**4)
    assert prepared.clean is not None and b"PhoneMaker" not in prepared.clean
    assert prepared.clean.count(b"\xff\xd8") == 1  # one picture
    with Image.open(io.BytesIO(prepared.clean)) as image:
        assert image.format == "JPEG" and not image.getexif()


def test_a_jfif_thumbnail_and_comments_are_dropped_and_fill_bytes_are_passed_over() -> None:
    data = image_bytes("JPEG", (64, 48))
    # A JFIF thumbnail (a stale 1x1 preview), then a long run of fill bytes before a marker.
    jfif = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x01\x01" + b"\xaa\xbb\xcc"
    app0 = b"\xff\xe0" + (len(jfif) + 2).to_bytes(2, "big") + jfif
    end_of_app0 = 4 + int.from_bytes(data[4:6], "big")
    crafted = data[:2] + app0 + b"\xff" * 200_000 + data[end_of_app0:]
    with Image.open(io.BytesIO(crafted)) as image:
        image.load()
    prepared = prepare_image(
        io.BytesIO(crafted), detect(io.BytesIO(crafted)), max_pixels=10**8, max_side=10**4
    )
    assert prepared.clean is not None
    assert b"\xaa\xbb\xcc" not in prepared.clean and b"\xff" * 100 not in prepared.clean
    with Image.open(io.BytesIO(prepared.clean)) as a, Image.open(io.BytesIO(data)) as b:
        assert a.tobytes() == b.tobytes()


def test_a_gif_loses_comments_and_xmp_and_keeps_its_frames() -> None:
    frames = [Image.new("RGB", (20, 20), color) for color in ("red", "green", "blue")]
    out = io.BytesIO()
    frames[0].save(
        out, "GIF", save_all=True, append_images=frames[1:], duration=80, loop=0,
        comment=b"taken at plant 4",
    )  # fmt: skip
    data = out.getvalue()
    # An XMP application block after the header, as editors write it.
    xmp = b"\x21\xff\x0bXMP DataXMP" + b"\x0cplant 4 xmp!" + b"\x00"
    table_end = 13 + 3 * 2 ** ((data[10] & 7) + 1)
    data = data[:table_end] + xmp + data[table_end:]
    assert data.count(b"plant 4") == 2
    prepared = prepare_image(
        io.BytesIO(data), detect(io.BytesIO(data)), max_pixels=10**8, max_side=10**4
    )
    assert prepared.clean is not None and b"plant 4" not in prepared.clean
    with Image.open(io.BytesIO(prepared.clean)) as image:
        assert image.n_frames == 3 and image.info.get("loop") == 0


def test_a_zip_bomb_is_told_apart_without_inflating_it() -> None:
    import tracemalloc

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", b"\x00" * 200_000_000)
    assert len(out.getvalue()) < 1_000_000
    tracemalloc.start()
    detected = detect(io.BytesIO(out.getvalue()))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert detected == Detected("application/zip", "archive")
    assert peak < 20_000_000


def test_damaged_and_crafted_files_are_refused_or_stored_never_a_server_error(
    team: Team,
) -> None:
    import struct

    # A damaged ODF-like zip: detected as something, never an exception.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text" * 20)
    damaged = bytearray(out.getvalue())
    for i in range(38, 50):
        damaged[i] ^= 0x5A
    assert detect(io.BytesIO(bytes(damaged))).kind in ("archive", "other")
    # EXIF whose XResolution is text: Pillow's exif_transpose trips over it.
    entries = [(0x0112, 3, 1, struct.pack(">HH", 6, 0)), (0x011A, 2, 3, b"ab\x00\x00")]
    ifd = (
        struct.pack(">H", len(entries))
        + b"".join(
            struct.pack(">HHI", tag, kind, count) + value for tag, kind, count, value in entries
        )
        + b"\x00\x00\x00\x00"
    )
    exif = b"Exif\x00\x00MM\x00*" + struct.pack(">I", 8) + ifd
    for fmt in ("WEBP", "PNG"):
        out = io.BytesIO()
        Image.new("RGB", (40, 30), "red").save(out, fmt, exif=exif)
        with pytest.raises(Invalid, match="could not be read"):
            make_upload(team.client_member, team.shared, out.getvalue(), f"x.{fmt.lower()}")


def test_an_image_pillow_cannot_read_is_kept_as_a_download(team: Team) -> None:
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(500)
    upload = make_upload(team.client_member, team.shared, heic, "IMG_0042.HEIC")
    assert (upload.content_type, upload.kind) == ("image/heif", "image")
    assert (upload.width, upload.height, upload.thumbnail) == (None, None, "")


def test_a_name_cannot_hide_its_real_extension() -> None:
    from rooms.actions.files import clean_file_name

    assert clean_file_name("invoice\u202efdp.exe") == "invoicefdp.exe"
    assert clean_file_name("report\u200b.pdf") == "report.pdf"
