"""A full disk is not damage: how to tell them apart in the errors storage raises.

SQLite reports a full disk (or a file-size limit) as SQLITE_FULL, "database or disk is full";
the operating system as ENOSPC, EFBIG or EDQUOT. Treating those as a corrupt store would move a
healthy file aside and lose what it holds; the right advice is to free space and retry, since a
failed write is rolled back and nothing already stored is lost.
"""

from __future__ import annotations

import errno
import sqlite3

SQLITE_FULL = 13
# A write the OS refused: SQLite reports ENOSPC as SQLITE_FULL but EFBIG (a file-size limit) and
# quota errors as a failed write. Neither is damage to what is stored.
SQLITE_IOERR_WRITE = 778
_FULL_ERRNOS = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}

DISK_FULL = (
    "the disk is full (or a file-size limit was reached); nothing stored earlier was lost and the "
    "last change was not written: free some space and try again"
)


def disk_full(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) says the disk or a size limit is full."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _FULL_ERRNOS:
            return True
        if isinstance(current, sqlite3.Error):
            if getattr(current, "sqlite_errorcode", None) in (SQLITE_FULL, SQLITE_IOERR_WRITE):
                return True
            if "disk is full" in str(current) or "disk full" in str(current):
                return True
        current = current.__cause__ or current.__context__
    return False
