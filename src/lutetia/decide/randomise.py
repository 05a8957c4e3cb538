"""1:1 (or k-arm) permuted-block randomisation, optionally stratified, reproducible.

Each stratum has its own allocation list: blocks of ``block_size`` holding every arm
equally often (``block_size / len(arms)`` each), shuffled with a generator seeded by
``numpy.random.default_rng([seed, *stratum bytes])`` (a SeedSequence) — so the list depends only on the
seed, the stratum, the arms and the block size, never on global state [1].  The *n*-th
patient of a stratum gets entry *n* (0-based ``sequence_no``).  The store records every
allocation (:func:`lutetia.store.decisions.save_allocation`); a patient is allocated once.

References
----------
1. Schulz KF, Grimes DA. Generation of allocation sequences in randomised trials: chance,
   not choice. Lancet 2002;359:515. doi:10.1016/S0140-6736(02)07683-3
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lutetia.errors import ProtocolError
from lutetia.protocols import Protocol


@dataclass(frozen=True)
class Allocation:
    """One allocation: arm, position in the stratum's list, block and the recipe."""

    protocol_id: str
    stratum: str
    sequence_no: int
    arm: str
    block: int
    seed: int
    block_size: int


def _arms(protocol: Protocol) -> list[str]:
    arms = [a.id for a in protocol.arms]
    ratio = protocol.randomisation
    if ratio is None or len(arms) < 2:
        raise ProtocolError(f"protocol {protocol.id!r} is not randomised (randomisation: {ratio!r}, arms: {arms})")
    parts = ratio.split(":")
    if len(parts) != len(arms) or len(set(parts)) != 1:
        raise ProtocolError(f"protocol {protocol.id!r}: ratio {ratio!r}; accepted: equal allocation over {arms}")
    return arms


def allocation_sequence(arms: Sequence[str], length: int, *, seed: int, block_size: int,
                        stratum: str = "all") -> list[str]:
    """The first ``length`` allocations of ``stratum`` (see the module docstring)."""
    if seed < 0:
        raise ProtocolError(f"seed {seed}; accepted: an integer >= 0")
    if block_size < len(arms) or block_size % len(arms):
        raise ProtocolError(f"block size {block_size}; accepted: a multiple of the {len(arms)} arms")
    rng = np.random.default_rng([seed, *stratum.encode("utf-8")])
    per_block = [arm for arm in arms for _ in range(block_size // len(arms))]
    out: list[str] = []
    while len(out) < length:
        out.extend(str(per_block[i]) for i in rng.permutation(block_size))
    return out[:length]


def allocate(protocol: Protocol, sequence_no: int, *, seed: int, block_size: int = 4,
             stratum: str = "all") -> Allocation:
    """Allocation number ``sequence_no`` (0-based) of ``stratum`` in ``protocol``."""
    if sequence_no < 0:
        raise ProtocolError(f"sequence_no {sequence_no}; accepted: >= 0")
    arms = _arms(protocol)
    arm = allocation_sequence(arms, sequence_no + 1, seed=seed, block_size=block_size, stratum=stratum)[-1]
    return Allocation(protocol.id, stratum, sequence_no, arm, sequence_no // block_size, seed, block_size)


__all__ = ["Allocation", "allocate", "allocation_sequence"]
