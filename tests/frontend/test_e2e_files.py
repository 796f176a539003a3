"""Files in real Chromium: a supplier person and a client person side by side.

Drag and drop with a progress bar and Cancel, paste, an image thumbnail and
its viewer, a PDF card, the Files panel, and the share-back confirmation
that lists the file that will cross. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import base64
import io
import re
from typing import Any

from PIL import Image
from playwright.sync_api import expect

from rooms.bridge.mirrors import check_create_mirror
from tests.conftest import PDF_BYTES, Team, make_upload, send_files
from tests.frontend.conftest import (
    BROWSER_JOURNEY,
    DESKTOP,
    PHONE,
    composer,
    message,
    off_loop,
    prepare_for_browser,
    screenshot,
)

pytestmark = BROWSER_JOURNEY


def photo(size: tuple[int, int] = (1200, 800)) -> bytes:
    """A noisy photo-like JPEG (noise does not compress: a few hundred KB)."""
    out = io.BytesIO()
    Image.effect_noise(size, 64).convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


def drop_files(page: Any, target: Any, files: list[tuple[str, str, bytes]]) -> None:
    """Drag files from the desktop and drop them on ``target``, as a person does."""
    payload = [(name, kind, base64.b64encode(data).decode()) for name, kind, data in files]
    transfer = page.evaluate_handle(
        """(files) => {
            const dt = new DataTransfer();
            for (const [name, type, b64] of files) {
                const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
                dt.items.add(new File([bytes], name, { type }));
            }
            return dt;
        }""",
        payload,
    )
    for event in ("dragenter", "dragover", "drop"):
        target.dispatch_event(event, {"dataTransfer": transfer})


def paste_file(page: Any, target: Any, name: str, kind: str, data: bytes) -> None:
    target.evaluate(
        """(box, [name, type, b64]) => {
            const dt = new DataTransfer();
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            dt.items.add(new File([bytes], name, { type }));
            const init = { clipboardData: dt, bubbles: true, cancelable: true };
            box.dispatchEvent(new ClipboardEvent("paste", init));
        }""",
        [name, kind, base64.b64encode(data).decode()],
    )


def slow_uploads(page: Any, bytes_per_second: int | None) -> None:
    """Throttle (or, with None, free) this page's uploads, so progress can be seen."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": bytes_per_second or -1,
        },
    )


def test_files_are_dropped_with_progress_and_seen_on_the_other_side(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.supplier_member, t.client_member)
    sue = sessions(servers[0], t.supplier_member, DESKTOP)
    page = sue.open_room(t.shared)
    slow_uploads(page, 60_000)
    zone = page.locator("#composer-slot form.composer")
    big = photo((1600, 1200))
    drop_files(
        page,
        zone,
        [
            ("flange 7 crack.jpg", "image/jpeg", photo()),
            ("8D report lot 7.pdf", "application/pdf", PDF_BYTES),
            ("wrong file.jpg", "image/jpeg", big),
        ],
    )
    tray = page.locator("#composer-slot .file-tray")
    expect(tray.locator(".file-chip")).to_have_count(3)
    expect(tray.locator(".file-chip.uploading progress").first).to_be_visible()
    # The bar moves as the bytes go (the upload is throttled to watch it).
    page.wait_for_function(
        "() => [...document.querySelectorAll('.file-chip.uploading progress')]"
        ".some((p) => p.value >= 15)"
    )
    screenshot(page, "files-uploading")
    # Cancel the one dropped by mistake while it is still on its way.
    tray.get_by_role("button", name="Cancel wrong file.jpg").click()
    expect(tray.locator(".file-chip")).to_have_count(2)
    box = composer(page)
    box.fill("Crack on flange 7, and our 8D report")
    box.press("Enter")
    # The message waits for its files; it is sent once they are stored.
    expect(page.locator("#composer-slot button.send")).to_have_text("Sending when uploaded…")
    slow_uploads(page, None)
    sent = message(page, "Crack on flange 7")
    expect(sent).to_have_attribute("data-id", re.compile(r"^\d+$"), timeout=30_000)
    expect(sent.locator(".file-thumb img")).to_have_attribute("alt", "flange 7 crack.jpg")
    expect(sent.locator(".file-card")).to_contain_text("8D report lot 7.pdf")
    expect(tray).to_be_hidden()

    # The client, on a phone, on the other server.
    cleo = sessions(servers[1], t.client_member, PHONE)
    phone = cleo.open_room(t.shared)
    theirs = message(phone, "Crack on flange 7")
    expect(theirs.locator(".file-card")).to_contain_text("PDF · ")
    thumb = theirs.locator(".file-thumb img")
    expect(thumb).to_be_visible()
    expect(thumb).to_have_js_property("complete", True)
    assert thumb.evaluate("img => img.naturalWidth") > 0  # loaded, through the access check
    screenshot(phone, "files-in-a-message-phone")
    theirs.get_by_role("button", name="View flange 7 crack.jpg").click()
    viewer = phone.locator("dialog.viewer")
    expect(viewer).to_be_visible()
    expect(viewer.locator(".viewer-image")).to_have_attribute("alt", "flange 7 crack.jpg")
    expect(viewer.get_by_role("link", name="Download flange 7 crack.jpg")).to_be_visible()
    screenshot(phone, "files-viewer-phone")
    phone.keyboard.press("Escape")
    expect(viewer).to_have_count(0)

    # The PDF downloads, with the headers that keep it from running as a page.
    href = theirs.locator(".file-card a.file-name").get_attribute("href")
    assert href is not None
    response = phone.request.get(cleo.url(href))
    assert response.status == 200 and response.body() == PDF_BYTES
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.headers["x-content-type-options"] == "nosniff"

    # Cleo pastes a photo of her own into the composer and sends it.
    paste_file(phone, composer(phone), "incoming inspection.jpg", "image/jpeg", photo((640, 480)))
    expect(phone.locator("#composer-slot .file-chip.stored")).to_have_count(1)
    composer(phone).press("Enter")
    mine = phone.locator("#messages .msg", has=phone.locator("img[alt='incoming inspection.jpg']"))
    expect(mine).to_have_attribute("data-id", re.compile(r"^\d+$"))
    expect(page.locator("#messages img[alt='incoming inspection.jpg']")).to_be_visible()

    # Sue's Files panel: newest first, with who and when; a name finds a file.
    page.get_by_role("button", name="Files", exact=True).click()
    panel = page.locator("#panel .files-panel")
    rows = panel.locator(".files-row")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("incoming inspection.jpg")
    expect(rows.nth(0)).to_contain_text("Cleo Client")
    screenshot(page, "files-panel")
    panel.get_by_role("searchbox", name="Find a file by name").fill("8D")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("8D report lot 7.pdf")


def test_sharing_back_a_note_lists_the_file_that_will_cross(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team

    def world() -> tuple[Any, Any, Any]:
        root = send_files(t.client_member, t.shared, [], "Please send the 3.1 certificate")
        mirror = check_create_mirror(
            t.supplier_admin,
            source_room_id=t.shared.id,
            root_id=root.pk,
            target_room_id=t.supplier_internal.id,
        )
        cert = make_upload(t.supplier_member, t.supplier_internal, PDF_BYTES, "3.1 cert lot 9.pdf")
        note = send_files(
            t.supplier_member,
            t.supplier_internal,
            [cert],
            "Certificate attached",
            thread=mirror.root_copy_id,
        )
        return mirror, note, cert

    mirror, _note, cert = off_loop(world)
    prepare_for_browser(t.supplier_admin, t.client_member)
    cleo = sessions(servers[1], t.client_member, DESKTOP)
    cleo_page = cleo.open_room(t.shared)
    url = cleo.url(f"/api/files/{cert.key}/")
    assert cleo_page.request.get(url).status == 404  # internal: not there, as far as she can tell

    sam = sessions(servers[0], t.supplier_admin, DESKTOP)
    page = sam.open_room(t.supplier_internal, f"?thread={mirror.root_copy_id}")
    note_li = page.locator("#panel .msg", has_text="Certificate attached")
    expect(note_li.locator(".file-card")).to_contain_text("3.1 cert lot 9.pdf")
    note_li.hover()
    note_li.get_by_role("button", name=re.compile("Share this note with")).click()
    dialog = page.locator("dialog.confirm-dialog")
    expect(dialog).to_be_visible()
    files = dialog.get_by_role("list", name="Files that will be shared")
    expect(files).to_contain_text("3.1 cert lot 9.pdf")
    expect(dialog).to_contain_text("1 file will cross")
    # Nothing is preselected: Cancel has the focus, not the button that shares.
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    screenshot(page, "share-back-lists-the-file")
    assert cleo_page.request.get(url).status == 404
    dialog.get_by_role("button", name=re.compile("^Share with")).click()
    expect(dialog).to_have_count(0)

    reply = cleo_page.locator("#messages .msg", has_text="Please send the 3.1 certificate")
    reply.get_by_role("button", name=re.compile("1 reply")).click()
    shared = cleo_page.locator("#panel .msg", has_text="Certificate attached")
    expect(shared.locator(".file-card")).to_contain_text("3.1 cert lot 9.pdf")
    # What crossed is a copy, made at the share: its own address; the note's stays internal.
    href = shared.locator(".file-card a.file-name").get_attribute("href")
    assert href is not None and href != f"/api/files/{cert.key}/"
    copy = cleo_page.request.get(cleo.url(href))
    assert copy.status == 200 and copy.body() == PDF_BYTES
    assert cleo_page.request.get(url).status == 404


def test_an_admin_limits_uploads_into_shared_rooms_and_the_composer_says_why(
    live_team: Team, servers: Any, sessions: Any
) -> None:
    t = live_team
    prepare_for_browser(t.client_admin, t.client_member, t.supplier_member)
    cal = sessions(servers[1], t.client_admin, DESKTOP)
    home = cal.page
    card = home.locator("#file-policy")
    expect(card.get_by_label("Allow uploads into shared rooms")).to_be_checked()
    for kind in ("Office documents", "Text files", "Archives", "Other files"):
        card.get_by_label(kind).uncheck()
    card.get_by_label(re.compile("Largest file, MB")).fill("5")
    card.get_by_role("button", name="Save policy").click()
    expect(card.get_by_role("status")).to_contain_text(
        "Saved. In shared rooms, Client's people may upload images, PDFs, up to 5 MB each."
    )
    screenshot(home, "file-policy-admin")

    # A member sees the rule on the home page, and is refused in the shared room.
    cleo = sessions(servers[1], t.client_member, PHONE)
    expect(cleo.page.locator("#file-policy")).to_contain_text("up to 5 MB each")
    expect(cleo.page.locator("#file-policy form")).to_have_count(0)
    page = cleo.open_room(t.shared)
    page.locator("#composer-slot input[type=file]").set_input_files(
        files=[{"name": "parts.csv", "mimeType": "text/csv", "buffer": b"part,qty\n1,2\n"}]
    )
    chip = page.locator("#composer-slot .file-chip.failed")
    expect(chip).to_contain_text("Your organization allows only images, PDFs in shared rooms")
    screenshot(page, "file-policy-refused-phone")
    composer(page).fill("the list")
    composer(page).press("Enter")
    expect(page.locator("#composer-slot .composer-problem")).to_contain_text(
        "could not be uploaded"
    )
    chip.get_by_role("button", name="Remove parts.csv").click()
    composer(page).press("Enter")
    expect(message(page, "the list")).to_have_attribute("data-id", re.compile(r"^\d+$"))

    # The partner's policy governs nothing of the supplier's people.
    sue = sessions(servers[0], t.supplier_member, DESKTOP)
    sue_page = sue.open_room(t.shared)
    sue_page.locator("#composer-slot input[type=file]").set_input_files(
        files=[{"name": "parts.csv", "mimeType": "text/csv", "buffer": b"part,qty\n1,2\n"}]
    )
    expect(sue_page.locator("#composer-slot .file-chip.stored")).to_have_count(1)
