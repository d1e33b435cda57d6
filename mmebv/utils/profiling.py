"""Wall time and peak resident memory of a block of code, for the benchmarks and tools."""
import os
import resource
import threading
import time


def current_rss_bytes() -> int:
    """Resident set size of this process now (Linux /proc; elsewhere the lifetime peak)."""
    try:
        with open('/proc/self/statm') as f:
            return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Measure:
    """Context manager: ``seconds`` taken and ``peak_mib``, the largest rise of resident memory
    above its level at entry, sampled every ``interval`` seconds in a background thread.

    Example:
        >>> with Measure() as m:
        ...     work()
        >>> print(m.seconds, m.peak_mib)
    """

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.seconds = self.peak_mib = 0.0

    def __enter__(self) -> 'Measure':
        self._base = self._peak = current_rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        self._start = time.perf_counter()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self._peak = max(self._peak, current_rss_bytes())

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self._start
        self._stop.set()
        self._thread.join()
        self._peak = max(self._peak, current_rss_bytes())
        self.peak_mib = (self._peak - self._base) / 2**20
