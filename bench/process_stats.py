"""What the processes of a `refark serve` use, read from /proc (psutil when installed): its
process tree, uvicorn's workers, RSS, PSS, CPU time, and which index generation each has
mapped. Used by `load_test.py`."""

from __future__ import annotations

import asyncio
import os
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

try:  # optional: without it the same figures are read from /proc
    import psutil
except ImportError:
    psutil = None


def process_tree(root: int) -> list[int]:
    """The server process (uvicorn's supervisor when it has workers) and its descendants
    (the workers and multiprocessing's resource tracker)."""
    if psutil is not None:
        try:
            return [root, *(p.pid for p in psutil.Process(root).children(recursive=True))]
        except psutil.Error:
            return []
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError, IndexError, ValueError):
                # The command name may hold spaces and parentheses; the fields after it do not.
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def worker_pids(root: int) -> list[int]:
    """uvicorn's worker processes (multiprocessing spawn children); the server itself when it
    runs in one process."""
    workers = []
    for pid in process_tree(root)[1:]:
        with suppress(OSError):
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                workers.append(pid)
    return workers or [root]


def rss_bytes(pid: int) -> int:
    if psutil is not None:
        try:
            return psutil.Process(pid).memory_info().rss
        except psutil.Error:
            return 0
    return _proc_kilobytes(Path(f"/proc/{pid}/status"), "VmRSS:") * 1024


def pss_bytes(pid: int) -> int:
    """Proportional set size: each shared page (libraries, memory-mapped index files) divided
    among the processes that map it, so a sum over processes counts it once."""
    return _proc_kilobytes(Path(f"/proc/{pid}/smaps_rollup"), "Pss:") * 1024


def _proc_kilobytes(path: Path, key: str) -> int:
    with suppress(OSError):
        for line in path.read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of the process (all its threads)."""
    with suppress(OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def maps_generation(pid: int, generation_dir: Path) -> bool:
    """Whether the process has a file of that generation memory-mapped (the sentence spans and
    the lexical arrays are), i.e. has opened it."""
    prefix = f"{generation_dir.resolve()}/"
    with suppress(OSError):
        return prefix in Path(f"/proc/{pid}/maps").read_text()
    return False


@dataclass
class Memory:
    peak_rss: int = 0  # bytes, summed over the process tree at the sample with most
    peak_pss: int = 0

    def sample(self, root: int) -> None:
        tree = process_tree(root)
        self.peak_rss = max(self.peak_rss, sum(rss_bytes(pid) for pid in tree))
        self.peak_pss = max(self.peak_pss, sum(pss_bytes(pid) for pid in tree))


async def watch_memory(root: int, memory: Memory, stop: asyncio.Event) -> None:
    while not stop.is_set():
        await asyncio.to_thread(memory.sample, root)  # /proc reads stay off the event loop
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)
