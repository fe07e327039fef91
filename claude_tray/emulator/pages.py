"""The emulator's HTML pages: login, the app shell, the usage page, the challenge.

Plain strings with small inline scripts, so a real browser (a person, or
Playwright) can click through them. This module must not hold state or do I/O,
must not put a session key into a page (the key travels only in an HttpOnly
cookie), and must escape every value it inserts.
"""

from __future__ import annotations

import html
import json
from typing import Final

_STYLE: Final = """
body { font-family: system-ui, sans-serif; background: #f5f4ef; color: #29261b; margin: 0; }
main { max-width: 26rem; margin: 4rem auto; background: #fff; padding: 2rem;
       border-radius: 12px; box-shadow: 0 1px 4px rgba(0,0,0,.12); }
h1 { font-size: 1.4rem; margin-top: 0; }
label { display: block; margin: 1rem 0 .3rem; font-weight: 600; }
input { width: 100%; box-sizing: border-box; padding: .6rem; font-size: 1rem; }
button { margin-top: 1rem; padding: .6rem 1.2rem; font-size: 1rem; background: #c96442;
         color: #fff; border: 0; border-radius: 8px; cursor: pointer; }
.note { color: #6b6654; font-size: .9rem; }
#error { color: #b3261e; min-height: 1.2em; }
table { border-collapse: collapse; width: 100%; }
td { padding: .3rem 0; }
"""


def _page(title: str, body: str, *, script: str = "") -> str:
    script_tag = f"<script>{script}</script>" if script else ""
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}{script_tag}</body></html>\n"
    )


_LOGIN_SCRIPT: Final = """
const AUTO = __AUTO__;
const $ = (id) => document.getElementById(id);
let attempt = null;

async function post(path, data) {
  const response = await fetch(path, {
    method: "POST", credentials: "same-origin",
    headers: {"content-type": "application/json"}, body: JSON.stringify(data)});
  let body = {};
  try { body = await response.json(); } catch (e) { body = {}; }
  return [response.status, body];
}

function showError(text) { $("error").textContent = text; }
function messageOf(body, fallback) { return (body.error && body.error.message) || fallback; }

$("email-step").addEventListener("submit", async (event) => {
  event.preventDefault();
  showError("");
  const email = $("email").value.trim();
  if (!email.includes("@")) { showError("Enter a valid email address."); return; }
  const [status, body] = await post("/api/auth/send_code", {email});
  if (status !== 200) { showError(messageOf(body, "Could not send a code.")); return; }
  attempt = body.attempt;
  $("sent-to").textContent = email;
  $("shown-code").textContent = body.code;
  $("code").value = body.code;
  $("email-step").hidden = true;
  $("code-step").hidden = false;
  $("code").focus();
  if (AUTO) setTimeout(() => $("code-step").requestSubmit(), 300);
});

$("code-step").addEventListener("submit", async (event) => {
  event.preventDefault();
  showError("");
  const [status, body] = await post("/api/auth/verify_code", {attempt, code: $("code").value});
  if (status !== 200) { showError(messageOf(body, "That code did not work.")); return; }
  // Like claude.ai (a single-page app): the address changes without a page load.
  history.pushState({}, "", "/new");
  document.title = "New chat · Claude (emulator)";
  $("app").innerHTML = "<h1>How can I help you today?</h1>" +
    "<p class='note'>Logged in to the local claude.ai emulator.</p>" +
    "<p><a href='/settings/usage'>Usage</a></p>";
});

if (AUTO) {
  setTimeout(() => {
    $("email").value = "auto-login@example.test";
    $("email-step").requestSubmit();
  }, 700);
}
"""


def login_page(*, auto: bool) -> str:
    """The email → code → logged-in flow; with `auto` it clicks through by itself."""
    body = """
<main id="app">
  <h1>Log in to Claude</h1>
  <p class="note">Local claude.ai emulator: no real account, no email is sent.</p>
  <form id="email-step">
    <label for="email">Email</label>
    <input id="email" name="email" type="email" autocomplete="email" placeholder="you@example.com">
    <button id="continue" type="submit">Continue</button>
  </form>
  <form id="code-step" hidden>
    <p>We sent a code to <b id="sent-to"></b>.</p>
    <label for="code">Verification code</label>
    <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code">
    <p class="note">Emulator: your code is <b id="shown-code"></b>.</p>
    <button id="verify" type="submit">Verify</button>
  </form>
  <p id="error" role="alert"></p>
</main>"""
    script = _LOGIN_SCRIPT.replace("__AUTO__", "true" if auto else "false")
    return _page("Log in · Claude (emulator)", body, script=script)


def app_page(*, logged_in: bool) -> str:
    """The app shell served for `/`, `/new`, `/chats`, `/recents`."""
    if logged_in:
        inner = (
            "<h1>How can I help you today?</h1>"
            "<p class='note'>Logged in to the local claude.ai emulator.</p>"
            "<p><a href='/settings/usage'>Usage</a></p>"
        )
    else:
        inner = (
            "<h1>Claude (emulator)</h1>"
            "<p class='note'>You are not logged in.</p>"
            "<p><a href='/login'>Log in</a></p>"
        )
    return _page("Claude (emulator)", f'<main id="app">{inner}</main>')


def usage_page(rows: list[tuple[str, str]] | None) -> str:
    """`/settings/usage`: the numbers as a small table, or a login link."""
    if rows is None:
        inner = "<h1>Usage</h1><p>You are not logged in. <a href='/login'>Log in</a></p>"
    else:
        cells = "".join(
            f"<tr><td>{html.escape(label)}</td><td>{html.escape(value)}</td></tr>"
            for label, value in rows
        )
        inner = f"<h1>Usage</h1><table>{cells}</table>"
    return _page("Usage · Claude (emulator)", f'<main id="app">{inner}</main>')


def challenge_page(*, clearance_head: str, factor_a: int, factor_b: int, ray: str) -> str:
    """Cloudflare's "Just a moment…" interstitial.

    The clearance value is only complete after the script computes its tail
    (`factor_a * factor_b` in base 36), so a client that does not run JavaScript
    cannot pass, just as with the real challenge.
    """
    ray_text = html.escape(ray)
    body = f"""
<main>
  <h1>Just a moment…</h1>
  <p>Checking if the site connection is secure. Enable JavaScript and cookies to continue.</p>
  <p class="note">Ray ID: {ray_text} · emulated challenge</p>
  <noscript>JavaScript is required.</noscript>
</main>
<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1?ray={ray_text}"></script>"""
    script = (
        "(function () {"
        f"  var head = {json.dumps(clearance_head)};"
        f"  var tail = ({factor_a} * {factor_b}).toString(36);"
        '  document.cookie = "cf_clearance=" + head + "." + tail +'
        '    "; path=/; max-age=31536000; SameSite=Lax";'
        "  setTimeout(function () { location.reload(); }, 400);"
        "})();"
    )
    return _page("Just a moment...", body, script=script)


CHALLENGE_PLATFORM_SCRIPT: Final = "/* emulated challenge platform: nothing to do */\n"


def html_instead_of_json_page() -> str:
    """What the `html` scenario serves where JSON belongs (e.g. a maintenance page)."""
    return _page(
        "Claude",
        "<main><h1>Claude will return soon</h1>"
        "<p>Claude.ai is currently experiencing a temporary service disruption.</p></main>",
    )


def not_found_page() -> str:
    return _page("Not found · Claude (emulator)", "<main><h1>Page not found</h1></main>")


def tail36(factor_a: int, factor_b: int) -> str:
    """What the challenge script computes: `(a * b).toString(36)`."""
    value = factor_a * factor_b
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        value, rest = divmod(value, 36)
        out = digits[rest] + out
        if value == 0:
            return out
