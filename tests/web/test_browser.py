"""Browser tests: Playwright driving the system Chromium (Debian package, never a downloaded
browser) against ``lutetia serve`` on loopback.  Screenshots go to $LUTETIA_SCREENSHOTS
(default: a temporary folder).  Skipped, with the reason, when no Chromium is installed."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from web_helpers import ACCOUNTS, PASSWORD, Web

CHROMIUM = os.environ.get("LUTETIA_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason=f"no Chromium at {CHROMIUM}: browser tests skipped (.ci/run installs the "
                                       "Debian package 'chromium')")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def base_url(web_sqlite: Web) -> Iterator[str]:
    import uvicorn

    from lutetia.web import create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(web_sqlite.config, store=web_sqlite.store), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "lutetia serve did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots() -> Path:
    folder = Path(os.environ.get("LUTETIA_SCREENSHOTS") or tempfile.mkdtemp(prefix="lutetia-shots-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _login(browser: object, base_url: str, username: str) -> object:
    page = browser.new_context().new_page()  # type: ignore[attr-defined]
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def test_each_role_logs_in_and_sees_its_name(browser: object, base_url: str, shots: Path) -> None:
    page = browser.new_context().new_page()  # type: ignore[attr-defined]
    for name, (role, _) in ACCOUNTS.items():
        page.goto(f"{base_url}/login")
        page.fill("input[name=username]", name)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        assert f"Test {name} — {role}" in page.inner_text("header")
        if name in ("coord.a", "monitor"):
            page.screenshot(path=str(shots / f"landing-{name}.png"), full_page=False)
        page.click("header button[type=submit]")  # log out
        page.wait_for_load_state()
        assert "Log in" in page.inner_text("h1")
    page.context.close()


def test_coordinator_enters_a_lab_and_sees_its_grade(browser: object, base_url: str, shots: Path) -> None:
    page = _login(browser, base_url, "coord.a")
    page.goto(f"{base_url}/patients/SYN-003")  # type: ignore[attr-defined]
    form = page.locator("#lab-form")  # type: ignore[attr-defined]
    form.locator("select[name=analyte]").select_option("platelets")
    form.locator("input[name=sampled_on]").fill("2025-08-29")
    form.locator("input[name=value]").fill("40")
    form.locator("input[name=unit]").fill("10^9/L")
    form.locator("input[name=lln]").fill("150")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()  # type: ignore[attr-defined]
    page.screenshot(path=str(shots / "lab-saved.png"), full_page=False)  # type: ignore[attr-defined]
    # CTCAE v5.0 Platelet count decreased: <50 - 25 x 10^9/L is grade 3
    assert "Platelet count decreased: CTCAE grade 3" in page.inner_text("#saved-grade")  # type: ignore[attr-defined]
    page.screenshot(path=str(shots / "lab-grade.png"), full_page=False)  # type: ignore[attr-defined]
    page.context.close()  # type: ignore[attr-defined]


def test_physician_gets_the_decision_and_signs_it(browser: object, base_url: str, shots: Path) -> None:
    page = _login(browser, base_url, "dr.a")
    page.goto(f"{base_url}/patients/SYN-002/decision?on=2025-08-04")  # type: ignore[attr-defined]
    assert page.inner_text("#decision-kind") == "WITHHOLD"  # type: ignore[attr-defined]
    page.fill("#sign-form textarea[name=override_reason]", "")  # type: ignore[attr-defined]
    page.fill("#sign-form input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    page.click("#sign-form button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_load_state()  # type: ignore[attr-defined]
    text = page.inner_text("#signatures")  # type: ignore[attr-defined]
    assert "decided withhold for cycle 5" in text and "Test dr.a" in text
    page.screenshot(path=str(shots / "decision-signed.png"), full_page=True)  # type: ignore[attr-defined]
    page.context.close()  # type: ignore[attr-defined]


def test_site_a_coordinator_gets_404_for_a_site_b_patient(browser: object, base_url: str, shots: Path) -> None:
    page = _login(browser, base_url, "coord.a")
    response = page.goto(f"{base_url}/patients/SYN-004")  # type: ignore[attr-defined]
    assert response.status == 404
    page.screenshot(path=str(shots / "site-b-404.png"))  # type: ignore[attr-defined]
    page.context.close()  # type: ignore[attr-defined]


def test_monitor_cannot_write(browser: object, base_url: str, shots: Path) -> None:
    page = _login(browser, base_url, "monitor")
    page.goto(f"{base_url}/patients/SYN-001")  # type: ignore[attr-defined]
    assert page.locator("#lab-form").count() == 0  # type: ignore[attr-defined]
    token = page.locator("header input[name=csrf_token]").get_attribute("value")  # type: ignore[attr-defined]
    r = page.request.post(f"{base_url}/patients/SYN-001/ecog",  # type: ignore[attr-defined]
                          form={"assessed_on": "2025-08-01", "ecog": "1", "csrf_token": token})
    assert r.status == 403
    page.screenshot(path=str(shots / "monitor-patient.png"))  # type: ignore[attr-defined]
    page.context.close()  # type: ignore[attr-defined]
