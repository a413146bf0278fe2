"""`refark ingest` that SIGKILLs itself at one named moment, for the crash-safety tests.

Usage: python -m tests.kill_ingest MODULE:ATTR before|after N -- <refark ingest arguments>

The N-th call of MODULE:ATTR (a function, or a method as Class.method) is wrapped so the
process kills itself just before or just after it: a breakpoint that stops a real ingest at
an exact moment, the way a power cut or the OOM killer would. Nothing else is replaced."""

from __future__ import annotations

import importlib
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

from service.cli import main


def kill_at(target: str, when: str, nth: int) -> None:
    module_name, _, attribute = target.partition(":")
    owner: Any = importlib.import_module(module_name)
    *parents, name = attribute.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    original: Callable = getattr(owner, name)
    calls = 0

    def stop_here(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == nth and when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        result = original(*args, **kwargs)
        if calls == nth and when == "after":
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(owner, name, stop_here)


if __name__ == "__main__":
    target, when, nth, separator, *ingest_args = sys.argv[1:]
    assert separator == "--" and when in ("before", "after")
    kill_at(target, when, int(nth))
    sys.exit(main(["ingest", *ingest_args]))
