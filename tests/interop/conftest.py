"""Fixtures of the interoperability tests: the bundled sample's PRODIGY-2 patients and their ADaM."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from lutetia.analysis.datasets import Dataset
from lutetia.analysis.trial import analyse_trial
from lutetia.protocols import load_protocol
from lutetia.records import PatientRecord
from lutetia.store.interchange import read_source
from lutetia.store.repository import Store

SAMPLE = Path(str(resources.files("lutetia") / "data" / "sample"))


@pytest.fixture(scope="module")
def sample_records(tmp_path_factory: pytest.TempPathFactory) -> list[PatientRecord]:
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('db') / 'sample.db'}")
    store.add(read_source(SAMPLE).all_records(), user="test")
    return list(store.records())


@pytest.fixture(scope="module")
def prodigy_adam(sample_records: list[PatientRecord]) -> tuple[Dataset, ...]:
    return analyse_trial(load_protocol("prodigy-2"), sample_records).datasets
