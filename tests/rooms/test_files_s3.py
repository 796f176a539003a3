"""Files on S3-compatible object storage: a real S3 wire-protocol server (moto's) on loopback.

django-storages talks to it over HTTP exactly as it would to AWS or MinIO;
the access check runs first, then the browser is redirected to a
short-lived presigned address that serves the bytes with the same headers.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from rooms.actions.messages import check_delete_message
from rooms.jobs import tick
from rooms.models.files import Upload
from tests.conftest import (
    PDF_BYTES,
    Team,
    client_for,
    make_upload,
    png_bytes,
    post_file,
    send_files,
)

KEY_ID, SECRET = "causeway-test", "causeway-test-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    """moto's S3 server in its own process, on a free loopback port."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            assert process.poll() is None, "the S3 server exited"
            assert time.monotonic() < deadline, "the S3 server did not start"
            time.sleep(0.1)
    try:
        yield endpoint
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def bucket(s3_server: str, settings: Any) -> Any:
    """A fresh bucket, and the files storage pointed at it."""
    name = f"causeway-{time.monotonic_ns()}"
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_server,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        region_name="us-east-1",
    )
    s3.create_bucket(Bucket=name)
    settings.STORAGES = {
        **settings.STORAGES,
        "files": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": name,
                "endpoint_url": s3_server,
                "region_name": "us-east-1",
                "access_key": KEY_ID,
                "secret_key": SECRET,
                "addressing_style": "path",
                "signature_version": "s3v4",
                "querystring_auth": True,
                "querystring_expire": 60,
                "file_overwrite": False,
                "default_acl": None,
            },
        },
    }
    s3.bucket_name = name
    return s3


def follow(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            headers = {k.lower(): v for k, v in response.headers.items()}
            return response.status, headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def test_a_file_is_stored_in_the_bucket_and_fetched_through_a_presigned_redirect(
    team: Team, bucket: Any
) -> None:
    client = client_for(team.client_member)
    response = post_file(client, team.shared.id, PDF_BYTES, "Certificate of conformance.pdf")
    assert response.status_code == 201, response.content
    key = response.json()["id"]
    upload = Upload.objects.get(key=key)
    stored = bucket.get_object(Bucket=bucket.bucket_name, Key=upload.blob)
    assert stored["Body"].read() == PDF_BYTES
    assert stored["ContentType"] == "application/pdf"
    send_files(team.client_member, team.shared, [upload], "CoC for lot 9")

    redirect = client_for(team.supplier_member).get(f"/api/files/{key}/")
    assert redirect.status_code == 302
    assert redirect["Cache-Control"] == "private, no-store"
    location = redirect["Location"]
    assert location.startswith(bucket.meta.endpoint_url) and "X-Amz-Expires=60" in location
    status, headers, body = follow(location)
    assert (status, body) == (200, PDF_BYTES)
    assert headers["content-type"] == "application/pdf"
    assert headers["content-disposition"] == (
        'attachment; filename="Certificate of conformance.pdf"'
    )


def test_the_check_comes_first_and_a_hidden_file_is_not_found_without_a_redirect(
    team: Team, bucket: Any
) -> None:
    upload = make_upload(team.supplier_member, team.supplier_internal, png_bytes(), "cost.png")
    send_files(team.supplier_member, team.supplier_internal, [upload], "internal")
    response = client_for(team.client_member).get(f"/api/files/{upload.key}/")
    missing = client_for(team.client_member).get("/api/files/" + "Z" * 32 + "/")
    assert (response.status_code, response.content) == (missing.status_code, missing.content)
    assert response.status_code == 404 and "Location" not in response
    # The object's own address, unsigned, is refused by the bucket.
    status, _, _ = follow(f"{bucket.meta.endpoint_url}/{bucket.bucket_name}/{upload.blob}")
    assert status == 403


def test_thumbnails_live_in_the_bucket_and_deleted_files_leave_it(team: Team, bucket: Any) -> None:
    upload = make_upload(team.client_member, team.shared, png_bytes(900, 900), "part.png")
    message = send_files(team.client_member, team.shared, [upload])
    redirect = client_for(team.supplier_member).get(f"/api/files/{upload.key}/thumbnail/")
    status, headers, body = follow(redirect["Location"])
    assert status == 200 and headers["content-type"] == "image/jpeg"
    assert headers["content-disposition"].startswith("inline")
    assert body[:3] == b"\xff\xd8\xff"

    check_delete_message(team.client_member, room_id=team.shared.id, message_id=message.pk)
    assert client_for(team.supplier_member).get(f"/api/files/{upload.key}/").status_code == 404
    assert tick()["uploads_purged"] == 1
    listed = bucket.list_objects_v2(Bucket=bucket.bucket_name)
    assert listed.get("KeyCount", 0) == 0
