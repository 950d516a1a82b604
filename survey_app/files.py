"""Files that hold row-level data or secrets: 0600, in 0700 directories.

The SQLite database (SQLite gives its `-wal` and `-shm` files the database's mode), the
session store, the development secret key and the results cache hold answers or keys;
nobody but the service's user may read them, whatever the umask.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_DIRECTORY = 0o700
PRIVATE_FILE = 0o600


def private_directory(path: Path, *, tighten: bool = True) -> Path:
    """Create `path` (and missing parents) 0700; `tighten` makes an existing one 0700
    too (for directories that are the service's own, such as `var/sessions`)."""
    missing = [parent for parent in (path, *path.parents) if not parent.exists()]
    path.mkdir(mode=PRIVATE_DIRECTORY, parents=True, exist_ok=True)
    for created in missing:
        created.chmod(PRIVATE_DIRECTORY)
    if tighten and path not in missing:
        path.chmod(PRIVATE_DIRECTORY)
    return path


def create_private_file(path: Path) -> bool:
    """Create `path` empty with mode 0600 unless it exists; True if it was created."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return False
    os.close(descriptor)
    return True


def write_private_file(path: Path, text: str) -> None:
    """Write `text` to a new file that is 0600 from its first byte."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
