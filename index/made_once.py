"""A folder in the model cache that is made once (the converted model, its ONNX export): never
seen half made, and made by one process while the others that want it wait for it."""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def made_once(target: Path, complete_marker: str, make: Callable[[Path], None]) -> Path:
    """`target`, made by `make(staging)` into a staging folder that is renamed into place
    unless a folder holding `complete_marker` (written last by `make`) is there already.

    Callers that arrive while another process makes it wait on a lock beside it and then find
    it made (two test workers or server workers on a fresh machine would otherwise each spend
    half a minute converting the same model). Where the lock cannot hold, say on a network
    share, each makes its own and the first rename wins."""
    if (target / complete_marker).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / complete_marker).is_file():  # made while this caller waited
            return target
        staging = Path(tempfile.mkdtemp(prefix=f".making-{target.name}-", dir=target.parent))
        try:
            make(staging)
            try:
                os.rename(staging, target)
            except OSError:  # another process finished first
                if not (target / complete_marker).is_file():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target
