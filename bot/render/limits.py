"""Discord's limits on the parts of an embed, in characters."""

from __future__ import annotations

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
AUTHOR_NAME_LIMIT = 256
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
URL_LIMIT = 2048
