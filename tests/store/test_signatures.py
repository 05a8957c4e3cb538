"""Signatures and web accounts in the store: digest, append-only rows, audited writes, argon2."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
import sqlalchemy as sa

from lutetia.errors import ConflictError, RecordError
from lutetia.records import Patient
from lutetia.store.chain import verify
from lutetia.store.repository import Store
from lutetia.store.signatures import digest, load_signatures, sign_decision
from lutetia.store.users import add_user, authenticate


def test_digest_is_sha256_of_the_canonical_json() -> None:
    # by hand: keys sorted, no whitespace, decision_id (bookkeeping) left out
    text = '{"cycle":3,"kind":"administer","on":"2025-03-01"}'
    assert digest({"on": date(2025, 3, 1), "kind": "administer", "cycle": 3, "decision_id": 9}) == \
        hashlib.sha256(text.encode()).hexdigest()


def test_a_signature_is_append_only_and_audited(db_url: str) -> None:
    store = Store.open(db_url)
    store.add([Patient(patient_id="P-1", sex="male", birth_year=1950)], user="t")
    sig = sign_decision(store, patient_id="P-1", protocol_id="pluvicto-label", decided_on=date(2025, 3, 1),
                        payload={"kind": "administer", "cycle": 2, "activity_gbq": 7.4}, meaning="prescribed 7.4 GBq "
                        "for cycle 2", prescribed_gbq=7.4, override_reason=None, signer="dr.a", signer_name="Dr A")
    assert load_signatures(store, "P-1") == [sig]
    with pytest.raises(sa.exc.DatabaseError), store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE signatures SET meaning = 'forged'"))
    with pytest.raises(sa.exc.DatabaseError), store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM signatures"))
    entry = store.audit("P-1")[-1]
    assert (entry.user, entry.action, entry.kind) == ("dr.a", "sign", "signatures")
    assert entry.new_values is not None and entry.new_values["digest"] == sig.digest
    assert verify(store.engine).ok


def test_a_forged_signature_row_breaks_the_chain(db_url: str) -> None:
    # the append-only triggers stop UPDATE and DELETE; a row slipped in beside the store is named by
    # `lutetia audit --verify` because signatures are hash-chained like decisions
    store = Store.open(db_url)
    store.add([Patient(patient_id="P-1", sex="male", birth_year=1950)], user="t")
    sign_decision(store, patient_id="P-1", protocol_id="pluvicto-label", decided_on=date(2025, 3, 1),
                  payload={"kind": "administer", "cycle": 2}, meaning="prescribed 7.4 GBq for cycle 2",
                  prescribed_gbq=7.4, override_reason=None, signer="dr.a", signer_name="Dr A")
    with store.engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO signatures (patient_id, protocol_id, decision_id, decided_on, cycle, recommended, "
            "prescribed_gbq, meaning, signer, signer_name, signed_at, digest, row_hash) VALUES ('P-1', "
            "'pluvicto-label', 1, '2025-03-01', 2, 'administer', 9.9, 'prescribed 9.9 GBq', 'dr.a', 'Dr A', "
            "'2099-01-01T00:00:00+00:00', 'x', 'y')"))
    result = verify(store.engine)
    assert not result.ok and any(p.startswith("signatures row 2: broken link") for p in result.problems)


def test_accounts_hash_passwords_and_refuse_bad_input(db_url: str) -> None:
    store = Store.open(db_url)
    add_user(store.engine, username="dr.a", display_name="Dr A", role="physician", sites=["A"],
             password="long enough pw", actor="admin")
    assert authenticate(store.engine, "dr.a", "long enough pw") is not None
    assert authenticate(store.engine, "dr.a", "wrong") is None
    assert authenticate(store.engine, "nobody", "long enough pw") is None
    with store.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT password_hash FROM users")).scalar_one()
    assert stored.startswith("$argon2id$") and "long enough pw" not in stored
    with pytest.raises(ConflictError):
        add_user(store.engine, username="dr.a", display_name="Again", role="physician", sites=["A"],
                 password="long enough pw", actor="admin")
    with pytest.raises(RecordError, match="role 'surgeon'; accepted"):
        add_user(store.engine, username="x", display_name="X", role="surgeon", sites=["A"], password="long enough pw",
                 actor="admin")
    with pytest.raises(RecordError, match="at least 10"):
        add_user(store.engine, username="y", display_name="Y", role="monitor", sites=["*"], password="short",
                 actor="admin")
    assert [e.action for e in store.audit(kind="users")] == ["insert"]
