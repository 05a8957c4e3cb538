"""Permuted-block randomisation: balance within every block, reproducibility, strata."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lutetia.decide import allocate, allocation_sequence
from lutetia.errors import ProtocolError
from lutetia.protocols import load_protocol

ARMS = ["control", "flexible"]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), block=st.sampled_from([2, 4, 6, 8]), stratum=st.text(max_size=8))
def test_every_block_is_balanced(seed: int, block: int, stratum: str) -> None:
    seq = allocation_sequence(ARMS, block * 5, seed=seed, block_size=block, stratum=stratum)
    for k in range(5):
        counts = Counter(seq[k * block:(k + 1) * block])
        assert counts == {"control": block // 2, "flexible": block // 2}


def test_reproducible_from_the_seed_and_different_across_seeds_and_strata() -> None:
    a = allocation_sequence(ARMS, 40, seed=2025, block_size=4)
    assert a == allocation_sequence(ARMS, 40, seed=2025, block_size=4)
    assert a[:10] == allocation_sequence(ARMS, 10, seed=2025, block_size=4)   # prefix-stable
    assert a != allocation_sequence(ARMS, 40, seed=2026, block_size=4)
    assert a != allocation_sequence(ARMS, 40, seed=2025, block_size=4, stratum="ECOG 2")


def test_allocate_uses_the_protocol_arms_and_sequence_number() -> None:
    protocol = load_protocol("flex-mrt")
    seq = allocation_sequence(ARMS, 8, seed=7, block_size=4)
    got = [allocate(protocol, n, seed=7, block_size=4).arm for n in range(8)]
    assert got == seq
    assert allocate(protocol, 5, seed=7, block_size=4).block == 1


def test_bad_block_size_and_unrandomised_protocol_are_refused() -> None:
    with pytest.raises(ProtocolError, match="multiple of the 2 arms"):
        allocation_sequence(ARMS, 4, seed=1, block_size=3)
    with pytest.raises(ProtocolError, match="not randomised"):
        allocate(load_protocol("realup"), 0, seed=1)
