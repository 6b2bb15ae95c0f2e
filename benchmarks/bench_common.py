"""What the benchmarks share: the baseline scenario, and a peak-memory probe for child scripts."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "lianyungang_2023.yaml"

PEAK_SOURCE = r"""
import resource


def peak():
    # VmHWM is this process image's own high-water mark; ru_maxrss can carry the peak of
    # the process that started it across fork and exec
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""
"""Defines ``peak()``: megabytes at the process's high-water mark (Linux; else ru_maxrss)."""
