"""Peak resident memory of this process over a block of code.

``ru_maxrss`` is exact but is a high-water mark for the whole process, so it only says
something about the block if the block set a new maximum; a sampling thread covers the other
case. Workers load libraries, model and data before the block, so the growth is the
quantizer's own working memory and the peak is what a fresh process needing that quantizer
occupies.
"""

from __future__ import annotations

import os
import resource
import threading
import time

PAGE = os.sysconf("SC_PAGE_SIZE")


def current_rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def max_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class PeakRss:
    """``with PeakRss() as m: ...`` then ``m.before``, ``m.peak`` (bytes)."""

    def __init__(self, interval: float = 0.002) -> None:
        self.interval = interval
        self.before = self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakRss:
        self.before = current_rss()
        self._max_before = max_rss()
        self.peak = self.before
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        high_water = max_rss()
        if high_water > self._max_before:
            self.peak = max(self.peak, high_water)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, current_rss())
            time.sleep(self.interval)
