"""Opening a file whose name came from outside (an output's name, an input's path) without being
led elsewhere.

The check and the read are one step: the last component is opened without following a symlink
or blocking on a FIFO, and the open file itself (not its name, which can change meanwhile) must be
a regular file with a single link: a hard link placed beside the outputs is a second name for
whatever it points at, the database included.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # absent on Windows: checked by name there instead
_FLAGS = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def open_regular(path: Path, *, single_link: bool = True) -> BinaryIO:
    """``path`` opened for reading, if it is a plain file reached without a symlink at its end.

    Raises:
        FileNotFoundError: missing, a symlink, not a regular file, or (``single_link``) a file
            with more than one name.
    """
    if not _NOFOLLOW and path.is_symlink():
        raise FileNotFoundError(str(path))
    try:
        fd = os.open(path, _FLAGS)
    except OSError:
        raise FileNotFoundError(str(path)) from None
    fh = os.fdopen(fd, "rb")
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or (single_link and info.st_nlink != 1):
        fh.close()
        raise FileNotFoundError(str(path))
    return fh


def inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or under it, both with symlinks resolved."""
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents
