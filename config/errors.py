"""What a request answers when an exception escapes every view and middleware.

``hub.http.api`` turns a database failure inside an API view into the
documented 503 JSON. A failure can also happen outside it: a middleware that
reads the session (allauth's ``AccountMiddleware`` does, after every
response), a page view, or the session load of a request the decorator never
saw. Django then calls ``handler500`` (config/urls.py) from inside its
``except`` block, so ``sys.exc_info()`` is still the exception.
"""

from __future__ import annotations

import logging
import sys
import uuid

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.views import defaults

from hub.http import error_response, unavailable_response

logger = logging.getLogger("causeway.http")

UNAVAILABLE_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Causeway is unavailable</title></head>
<body>
  <h1>Causeway is temporarily unavailable</h1>
  <p>Its database cannot be reached right now. Nothing you did was lost; try again in a
  moment.</p>
</body>
</html>
"""


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: JSON under /api/ (never an HTML 500), and 503 for a database outage.

    Renders nothing that could touch the database again (no context
    processors, no ``request.user``).
    """
    database_down = isinstance(sys.exc_info()[1], DatabaseError)
    if request.path_info.startswith("/api/"):
        if database_down:
            return unavailable_response()
        # Django has logged the traceback; the ref ties the answer to a log line.
        ref = uuid.uuid4().hex[:12]
        logger.error("internal error on %s (ref %s)", request.path, ref)
        return error_response("internal", f"Something went wrong (ref {ref}).", 500)
    if database_down:
        return HttpResponse(UNAVAILABLE_PAGE, status=503)
    return defaults.server_error(request)
