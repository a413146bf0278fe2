"""A cache folder (the converted model, its ONNX export) is made once, whole, however many
callers want it at the same time."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from index.made_once import made_once


def test_callers_arriving_together_wait_for_one_make_and_all_get_it(tmp_path: Path):
    makes = []
    both_started = threading.Barrier(2)

    def make(staging: Path) -> None:
        makes.append(staging)
        time.sleep(0.3)  # long enough that the second caller arrives while this one works
        (staging / "weights.bin").write_bytes(b"w")
        (staging / "done.json").write_text("{}")

    def want(_: int) -> Path:
        both_started.wait()
        return made_once(tmp_path / "model", "done.json", make)

    with ThreadPoolExecutor(2) as pool:
        got = list(pool.map(want, range(2)))

    assert len(makes) == 1
    assert got == [tmp_path / "model"] * 2
    assert (tmp_path / "model" / "weights.bin").read_bytes() == b"w"


def test_a_finished_folder_is_used_as_it_is(tmp_path: Path):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "done.json").write_text("{}")

    def make(staging: Path) -> None:
        raise AssertionError("made again although the folder was complete")

    assert made_once(tmp_path / "model", "done.json", make) == tmp_path / "model"


def test_a_failed_make_leaves_nothing_behind_and_the_next_caller_makes_it(tmp_path: Path):
    def failing(staging: Path) -> None:
        (staging / "half.bin").write_bytes(b"h")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        made_once(tmp_path / "model", "done.json", failing)
    assert not (tmp_path / "model").exists()
    assert not list(tmp_path.glob(".making-*"))

    made_once(tmp_path / "model", "done.json", lambda staging: (staging / "done.json").touch())
    assert (tmp_path / "model" / "done.json").is_file()
