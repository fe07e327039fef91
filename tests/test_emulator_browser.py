"""A real Chromium passes the emulator's challenge and completes the self-running login."""

from __future__ import annotations

import time

import pytest

from claude_tray.emulator import Emulator

CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.mark.browser
def test_real_browser_passes_challenge_and_auto_login_lands_on_new() -> None:
    """The challenge script lets fetch() read usage; login_auto and a click-through end on /new."""
    from playwright.sync_api import sync_playwright

    with Emulator("cloudflare") as emu, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        try:
            # 1. Cloudflare: the page's JavaScript sets cf_clearance and reloads.
            context = browser.new_context()
            context.add_cookies(
                [{"name": "sessionKey", "value": emu.session_key, "url": emu.base_url}]
            )
            page = context.new_page()
            first = page.goto(emu.base_url + "/")
            assert first is not None and first.status == 403
            page.wait_for_function("document.title.indexOf('Just a moment') < 0", timeout=30_000)
            result = page.evaluate(
                """async (path) => {
                    const response = await fetch(path, {credentials: "same-origin"});
                    return {status: response.status, type: response.headers.get("content-type"),
                            body: await response.json()};
                }""",
                f"/api/organizations/{emu.chat_org_uuid}/usage",
            )
            assert result["status"] == 200
            assert result["type"] == "application/json"
            assert "five_hour" in result["body"] and "limits" in result["body"]
            cookie_names = {cookie["name"] for cookie in context.cookies()}
            assert "cf_clearance" in cookie_names
            context.close()

            # 2. login_auto: the login page completes itself, the app moves to /new by script.
            emu.set_scenario("login_auto")
            context = browser.new_context()
            page = context.new_page()
            page.goto(emu.base_url + "/login")
            deadline = time.monotonic() + 30
            session = None
            while time.monotonic() < deadline:
                session = next(
                    (c for c in context.cookies() if c["name"] == "sessionKey" and c["value"]),
                    None,
                )
                if session is not None and not page.url.endswith("/login"):
                    break
                time.sleep(0.2)
            assert session is not None
            assert page.url == emu.base_url + "/new"
            assert session["httpOnly"] is True
            assert emu.is_session_key_valid(session["value"])
            assert session["value"] != emu.session_key
            org = next(c for c in context.cookies() if c["name"] == "lastActiveOrg")
            assert org["value"] == emu.chat_org_uuid
            # The app moved to /new with history.pushState: one document, no new navigation.
            assert emu.count("/new") == 0
            context.close()

            # 3. A person clicks through: email, Continue, (code is shown) Verify.
            emu.set_scenario("ok")
            context = browser.new_context()
            page = context.new_page()
            page.goto(emu.base_url + "/login")
            page.fill("#email", "person@example.test")
            page.click("#continue")
            page.wait_for_selector("#code-step:not([hidden])", timeout=10_000)
            assert page.input_value("#code") == page.text_content("#shown-code")
            page.click("#verify")
            page.wait_for_url(emu.base_url + "/new", timeout=10_000)
            assert any(c["name"] == "sessionKey" and c["value"] for c in context.cookies())
            page.goto(emu.base_url + "/login")  # logged in: sent to the app
            assert page.url == emu.base_url + "/new"
            context.close()
        finally:
            browser.close()
