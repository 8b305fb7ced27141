"""Downloads: one way to name a file in `Content-Disposition` (RFC 6266 with RFC 5987's `filename*`).

A name (a Vietnamese one, a name someone uploaded) never reaches the header as it is: the ASCII fallback
keeps only printable ASCII without `"`, `\\` and `;`, and the UTF-8 name is percent-encoded, so no quote,
line break or parameter in a name can add anything to the header.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi.responses import Response

from kiemchung.text import fold_diacritics

_UNSAFE_ASCII = re.compile(r'[^\x20-\x7e]|["\\;%]')
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def content_disposition(file_name: str, fallback: str = "download") -> str:
    """`attachment; filename="<ascii>"; filename*=UTF-8''<percent-encoded>` for `file_name`."""
    name = _CONTROLS.sub("", file_name).strip() or fallback
    ascii_name = _UNSAFE_ASCII.sub("_", fold_diacritics(name)).strip() or fallback
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='', errors='replace')}"


def attachment(body: bytes | str, media_type: str, file_name: str) -> Response:
    """A download of `body` named `file_name`, never sniffed as something else."""
    headers = {"Content-Disposition": content_disposition(file_name), "X-Content-Type-Options": "nosniff"}
    return Response(body, media_type=media_type, headers=headers)
