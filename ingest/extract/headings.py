"""Keep track of the heading path while walking a document top to bottom."""

from __future__ import annotations


class HeadingTrail:
    """The current heading path; a heading of level n replaces levels n and deeper."""

    def __init__(self) -> None:
        self._levels: list[tuple[int, str]] = []

    def enter(self, level: int, title: str) -> None:
        self._levels = [(lvl, text) for lvl, text in self._levels if lvl < level]
        self._levels.append((level, title))

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(text for _, text in self._levels)
