"""Route tests with FastAPI's TestClient on SQLite and PostgreSQL: login, sessions, CSRF,
throttling, site scoping, data entry with the grade shown, signing and voiding, overrides."""

from __future__ import annotations

import re

import pytest
from web_helpers import PASSWORD, Web, csrf

from lutetia.store.signatures import load_signatures


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_login_sets_a_strict_httponly_session_and_logout_ends_it(web: Web) -> None:
    c = web.client()
    assert c.get("/patients").status_code == 303  # not logged in: to the login page
    bad = c.post("/login", data={"username": "dr.a", "password": "wrong password!", "csrf_token": csrf(c)})
    assert bad.status_code == 401
    ok = c.post("/login", data={"username": "dr.a", "password": PASSWORD, "csrf_token": csrf(c), "next": "/patients"})
    assert ok.status_code == 303 and ok.headers["location"] == "/patients"
    cookie = ok.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert c.get("/patients").status_code == 200
    assert c.post("/logout", data={"csrf_token": csrf(c, "/patients")}).status_code == 303
    c.cookies.delete("lutetia_session")
    assert c.get("/patients").status_code == 303


def test_post_without_the_csrf_token_is_refused(web: Web) -> None:
    c = web.client("coord.a")
    r = c.post("/patients/SYN-001/ecog", data={"assessed_on": "2025-08-01", "ecog": "1"})
    assert r.status_code == 403 and "CSRF" in r.text
    r = c.post("/patients/SYN-001/ecog", data={"assessed_on": "2025-08-01", "ecog": "1", "csrf_token": "forged"})
    assert r.status_code == 403


def test_login_throttle_locks_the_pair_even_for_the_right_password(web: Web) -> None:
    c = web.client()
    for _ in range(5):  # LOGIN_MAX_FAILURES, project default
        assert c.post("/login", data={"username": "stat", "password": "nope nope nope",
                                      "csrf_token": csrf(c)}).status_code == 401
    r = c.post("/login", data={"username": "stat", "password": PASSWORD, "csrf_token": csrf(c)})
    assert r.status_code == 429 and "Too many failed logins" in r.text


def test_site_a_coordinator_sees_only_site_a(web: Web) -> None:
    c = web.client("coord.a")
    listing = c.get("/patients").text
    assert "SYN-001" in listing and "SYN-004" not in listing
    assert c.get("/patients/SYN-004").status_code == 404
    assert c.get("/patients/NO-SUCH").status_code == 404  # the same answer as another site's patient
    r = c.post("/patients/SYN-004/ecog", data={"assessed_on": "2025-08-01", "ecog": "1",
                                               "csrf_token": csrf(c, "/patients")})
    assert r.status_code == 404


def test_monitor_and_statistician_cannot_write(web: Web) -> None:
    for name in ("monitor", "stat"):
        c = web.client(name)
        r = c.post("/patients/SYN-001/labs", data={
            "analyte": "haemoglobin", "sampled_on": "2025-08-02", "value": "12", "unit": "g/dL",
            "csrf_token": csrf(c, "/patients")})
        assert r.status_code == 403
    assert not any(lab.sampled_on.isoformat() == "2025-08-02" for lab in web.store.record("SYN-001").labs)


def test_lab_entry_shows_the_ctcae_grade_after_saving(web: Web) -> None:
    c = web.client("coord.a")
    r = c.post("/patients/SYN-003/labs", data={
        "analyte": "haemoglobin", "sampled_on": "2025-08-20", "value": "7.5", "unit": "g/dL", "lln": "13.5",
        "uln": "17.5", "csrf_token": csrf(c, "/patients/SYN-003")})
    assert r.status_code == 303
    page = _text(c.get(r.headers["location"]).text)
    # CTCAE v5.0 Anemia: Hgb <8.0 g/dL is grade 3 (NCI CTCAE v5.0, Blood and lymphatic system disorders)
    assert "Anemia: CTCAE grade 3" in page
    audit = web.store.audit("SYN-003")
    assert audit[-1].user == "coord.a" and audit[-1].source == "web"


def test_a_wrong_unit_is_refused_with_what_is_accepted(web: Web) -> None:
    c = web.client("coord.a")
    r = c.post("/patients/SYN-003/labs", data={
        "analyte": "platelets", "sampled_on": "2025-08-21", "value": "150", "unit": "mg", "csrf_token":
        csrf(c, "/patients/SYN-003")})
    assert r.status_code == 422 and "unit" in r.text


def test_signature_needs_the_password_binds_the_inputs_and_is_voided_by_a_later_change(web: Web) -> None:
    dr, coord = web.client("dr.a"), web.client("coord.a")
    page = _text(dr.get("/patients/SYN-002/decision?on=2025-08-04").text)
    assert "WITHHOLD cycle 5" in page and "label.mod.myelo-g2" in page
    token = csrf(dr, "/patients/SYN-002/decision?on=2025-08-04")
    wrong = dr.post("/patients/SYN-002/decision/sign", data={"on": "2025-08-04", "password": "not my password",
                                                            "csrf_token": token})
    assert wrong.status_code == 403 and load_signatures(web.store, "SYN-002") == []
    ok = dr.post("/patients/SYN-002/decision/sign", data={"on": "2025-08-04", "password": PASSWORD,
                                                         "csrf_token": token})
    assert ok.status_code == 303
    (sig,) = load_signatures(web.store, "SYN-002")
    assert sig.meaning == "decided withhold for cycle 5" and sig.signer_name == "Test dr.a" and not sig.override
    page = _text(dr.get("/patients/SYN-002/decision?on=2025-08-04").text)
    assert "SIGNED" in page and "VOID" not in page
    # a haemoglobin recorded later for a date before the decision changes its inputs: the signature is void
    r = coord.post("/patients/SYN-002/labs", data={"analyte": "haemoglobin", "sampled_on": "2025-08-03",
                                                    "value": "12.9", "unit": "g/dL", "lln": "13.5", "uln": "17.5",
                                                    "csrf_token": csrf(coord, "/patients")})
    assert r.status_code == 303
    page = _text(dr.get("/patients/SYN-002/decision?on=2025-08-04").text)
    assert "VOID" in page
    assert "VOID" in dr.get(f"/patients/SYN-002/signatures/{sig.id}").text


def test_an_override_needs_a_reason_and_is_shown_as_override(web: Web) -> None:
    dr = web.client("dr.a")
    path = "/patients/SYN-001/decision?on=2025-07-14"
    assert "WITHHOLD" in _text(dr.get(path).text)
    token = csrf(dr, path)
    r = dr.post("/patients/SYN-001/decision/sign", data={"on": "2025-07-14", "password": PASSWORD,
                                                        "prescribed_gbq": "6.0", "csrf_token": token})
    assert r.status_code == 422 and "reason" in r.text
    r = dr.post("/patients/SYN-001/decision/sign", data={
        "on": "2025-07-14", "password": PASSWORD, "prescribed_gbq": "6.0", "override_reason": "tumour board",
        "csrf_token": token})
    assert r.status_code == 303
    sig = load_signatures(web.store, "SYN-001")[-1]
    assert sig.override_reason == "tumour board" and sig.prescribed_gbq == 6.0
    assert sig.meaning == "prescribed 6 GBq for cycle 5"
    printable = _text(dr.get(f"/patients/SYN-001/signatures/{sig.id}").text)
    assert "OVERRIDE" in printable and "prescribed 6 GBq for cycle 5" in printable and "Test dr.a" in printable


HOSTILE = "<script>alert('x')</script>'; DROP TABLE patients; -- \u202e \"&"


def test_hostile_text_is_stored_verbatim_and_rendered_escaped(web: Web) -> None:
    c = web.client("coord.a")
    r = c.post("/patients/SYN-001/adverse-events", data={
        "ae_id": "AE-hostile", "term": HOSTILE, "grade": "1", "onset_date": "2025-07-01", "notes": HOSTILE,
        "csrf_token": csrf(c, "/patients")})
    assert r.status_code == 303
    (ae,) = [a for a in web.store.record("SYN-001").adverse_events if a.ae_id == "AE-hostile"]
    assert ae.term == HOSTILE.strip() and ae.notes == HOSTILE.strip()
    html = c.get("/patients/SYN-001").text
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert web.store.patient_ids()  # the patients table is still there


def test_a_ten_megabyte_field_is_refused_with_413(web: Web) -> None:
    c = web.client("coord.a")
    r = c.post("/patients/SYN-001/adverse-events", data={
        "ae_id": "AE-big", "term": "Fatigue", "grade": "1", "onset_date": "2025-07-01", "notes": "x" * 10_000_000,
        "csrf_token": csrf(c, "/patients")})
    assert r.status_code == 413 and "1000000 bytes" in r.text
    assert not any(a.ae_id == "AE-big" for a in web.store.record("SYN-001").adverse_events)


@pytest.mark.parametrize("field", ["term", "notes"])
def test_a_field_over_the_record_limit_is_refused_naming_field_and_limit(web_sqlite: Web, field: str) -> None:
    c = web_sqlite.client("coord.a")
    data = {"ae_id": f"AE-long-{field}", "term": "Fatigue", "grade": "1", "onset_date": "2025-07-01",
            "csrf_token": csrf(c, "/patients")}
    data[field] = "y" * 4000 + "z" * 90  # beyond ShortText (200) / LongText (4000), below the body limit
    r = c.post("/patients/SYN-001/adverse-events", data=data)
    assert r.status_code == 422 and field in r.text


def test_screening_shows_every_criterion_and_enrolment_needs_a_reason_when_not_eligible(web_sqlite: Web) -> None:
    c = web_sqlite.client("coord.a")
    page = c.get("/patients/SYN-001/screening?protocol=pluvicto-label&on=2025-01-10")
    assert page.status_code == 200
    verdict = re.search(r'id="verdict">([^<]+)<', page.text)
    assert verdict is not None
    token = csrf(c, "/patients")
    data = {"protocol": "pluvicto-label", "on": "2025-01-10", "arm": "standard", "csrf_token": token}
    if verdict.group(1) != "ELIGIBLE":
        refused = c.post("/patients/SYN-001/enrol", data=data)
        assert refused.status_code == 422 and "override reason" in refused.text
        data["override_reason"] = "investigator's decision, documented"
    assert c.post("/patients/SYN-001/enrol", data=data).status_code == 303
    enrolments = [e for e in web_sqlite.store.record("SYN-001").enrolments if e.protocol_id == "pluvicto-label"]
    assert [e.arm for e in enrolments] == ["standard"]
    assert web_sqlite.store.audit("SYN-001")[-1].user == "coord.a"


def test_physicist_confirms_a_cycle_with_a_reason_and_the_review_is_audited(web_sqlite: Web) -> None:
    c = web_sqlite.client("phys.a")
    assert "Cumulative kidney dose" in c.get("/patients/SYN-001/dosimetry").text
    token = csrf(c, "/patients")
    assert c.post("/patients/SYN-001/dosimetry/review", data={
        "cycle": "1", "verdict": "confirmed", "reason": "", "csrf_token": token}).status_code == 422
    assert c.post("/patients/SYN-001/dosimetry/review", data={
        "cycle": "1", "verdict": "confirmed", "reason": "ROIs checked on the day-3 SPECT/CT",
        "csrf_token": token}).status_code == 303
    page = c.get("/patients/SYN-001/dosimetry").text
    assert "confirmed" in page and "ROIs checked" in page and "VOID" not in page
    entry = web_sqlite.store.audit("SYN-001")[-1]
    assert (entry.user, entry.action, entry.reason) == ("phys.a", "review", "ROIs checked on the day-3 SPECT/CT")


def test_lab_units_are_shown_as_clinicians_write_them(web_sqlite: Web) -> None:
    c = web_sqlite.client("coord.a")
    r = c.post("/patients/SYN-003/labs", data={
        "analyte": "platelets", "sampled_on": "2025-08-21", "value": "40", "unit": "10^9/L",
        "csrf_token": csrf(c, "/patients/SYN-003")})
    assert r.status_code == 303
    page = c.get("/patients/SYN-003").text
    # the stored canonical unit name (giga_per_L) is an internal spelling; the page shows 10⁹/L
    assert "10⁹/L" in page and "giga_per_L" not in page
