"""Progress of a command on stderr: a `keras.utils.Progbar` of sequences."""

from __future__ import annotations

import contextlib
import sys

import keras


class Progress:
    """A `keras.utils.Progbar` of sequences on stderr, or nothing if quiet.

    Args:
        target: Expected number of sequences, or `None` if unknown.
        quiet: Show nothing.

    Example:

    >>> with Progress(10_000, quiet=False) as progress:
    ...     progress.add(256)
    """

    def __init__(self, target: int | None, quiet: bool = False):
        self.seen = 0
        self._bar = None
        if not quiet:
            self._bar = keras.utils.Progbar(target, unit_name="sequence")

    def add(self, count: int) -> None:
        """Advances the bar by `count` sequences."""
        self.seen += count
        if self._bar is not None:
            with contextlib.redirect_stdout(sys.stderr):
                self._bar.update(self.seen)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self._bar is None:
            return
        if exc_info[0] is None:
            if self._bar.target is None or self.seen < self._bar.target:
                # Known only now: the total; the bar ends on "seen/seen".
                self._bar.target = self.seen
                with contextlib.redirect_stdout(sys.stderr):
                    self._bar.update(self.seen, finalize=True)
        elif self.seen and (
            self._bar.target is None or self.seen < self._bar.target
        ):
            print(file=sys.stderr)  # end the bar's line before the error
