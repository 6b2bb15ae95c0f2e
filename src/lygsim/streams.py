"""Named random streams for common random numbers.

Replication ``r`` of an experiment with seed ``s`` starts from ``SeedSequence([s, r])``; every
purpose (an arrival stream, a ship class's attributes, a berth group's handling, the
weather, an outage) gets its own child stream keyed by its name. Two scenarios run with the
same ``(s, r)`` therefore see the same ships, whatever else differs between them.
"""

from __future__ import annotations

import zlib

import numpy as np


class Streams:
    """Factory of independent, reproducible generators keyed by name.

    Args:
        seed: The experiment's seed (a non-negative integer).
        replication: The replication number (a non-negative integer).
    """

    def __init__(self, seed: int, replication: int = 0):
        if seed < 0 or replication < 0:
            raise ValueError("seed and replication must be >= 0")
        self.seed = int(seed)
        self.replication = int(replication)
        self._root = np.random.SeedSequence([self.seed, self.replication])

    def seed_sequence(self, name: str) -> np.random.SeedSequence:
        """The child seed sequence of stream ``name`` (stable across runs and machines)."""
        key = zlib.crc32(name.encode("utf-8"))
        return np.random.SeedSequence(self._root.entropy, spawn_key=(key,))

    def rng(self, name: str) -> np.random.Generator:
        """A fresh generator for stream ``name``; the same name always gives the same draws."""
        return np.random.Generator(np.random.PCG64(self.seed_sequence(name)))
