"""The Flask recipe's agent page in headless Chromium (docs/agent-page.md).

The page's script fetches the token, shows the worker and its policies
(decoded in the browser), connects to the event-bridge stand-in
(examples/event_bridge.py), which accepts or refuses the real token, and
fetches a new token before the old one expires.  Run with ``pytest
--browser`` (Debian's chromium and chromium-driver; .ci/browser.sh).  The
screenshot in docs/ is the one test_connected_page_shows_the_worker_and_its_policies
writes to $TRCAP_SCREENSHOT_DIR.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from test_recipes import ALICE, AUTH_TOKEN, ENV, EXAMPLES, WORKER_CHANNEL

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT = 30  # seconds: the longest a page is waited for to show a state
#: The longest the refresh tests wait for a count of refreshes: generous, so
#: that a loaded machine slows them down instead of failing them.
REFRESH_WAIT = 120


class TokenRequests:
    """WSGI middleware of the tests: counts the requests for /token and
    answers 503 to those whose number (1 = the first) is in `fail`."""

    def __init__(self, app: Any, fail: Iterable[int] = ()) -> None:
        self.app, self.fail, self.count = app, set(fail), 0
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") == "/token":
            with self.lock:
                self.count += 1
                number = self.count
            if number in self.fail:
                start_response("503 Service Unavailable",
                               [("Content-Type", "text/plain"), ("Cache-Control", "no-store")])
                return [b"failing on purpose"]
        return self.app(environ, start_response)


@pytest.fixture(scope="module")
def bridge() -> Iterator[str]:
    sys.path.insert(0, str(EXAMPLES))
    try:
        event_bridge = importlib.import_module("event_bridge")
    finally:
        sys.path.remove(str(EXAMPLES))
    server, thread = event_bridge.start(AUTH_TOKEN)
    try:
        yield f"ws://127.0.0.1:{server.socket.getsockname()[1]}/v1/wschannels"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def serve(bridge: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., str]]:
    """Starts the Flask recipe (werkzeug's threaded server, in this
    process) with the given settings; returns its base URL."""
    from werkzeug.serving import make_server

    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.syspath_prepend(str(EXAMPLES / "flask_agent"))
    monkeypatch.delitem(sys.modules, "app", raising=False)
    create_app = importlib.import_module("app").create_app
    servers: list[Any] = []

    def start(requests: TokenRequests | None = None, **config: Any) -> str:
        app = create_app(EVENT_BRIDGE_URL=bridge, **config)
        if requests is not None:
            requests.app = app.wsgi_app
            app.wsgi_app = requests  # type: ignore[method-assign]
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    try:
        yield start
    finally:
        for server in servers:
            server.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (os.access(path, os.X_OK) or shutil.which(Path(path).name)):
            pytest.fail(
                f"--browser needs {path} (Debian package {package}): "
                "run `bash .ci/browser.sh` or `apt-get install chromium chromium-driver`",
                pytrace=False,
            )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1200,900"):
        options.add_argument(argument)
    # The driver given by path: Selenium Manager would try to download one.
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def sign_in(driver: Any, base: str, username: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()
    driver.get(base + "/login")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def text(driver: Any, css: str) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.CSS_SELECTOR, css).text)


def wait_for(driver: Any, condition: Callable[[], bool], what: str, seconds: float = WAIT) -> None:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(driver, seconds, poll_frequency=0.2).until(lambda _: condition())
    except TimeoutException:
        raise AssertionError(
            f"the page did not show {what} within {seconds} s; it shows:\n"
            + text(driver, "body")
        ) from None


def policy_rows(driver: Any) -> list[list[str]]:
    from selenium.webdriver.common.by import By

    rows = driver.find_elements(By.CSS_SELECTOR, "#policies tbody tr")
    return [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")] for row in rows]


def test_connected_page_shows_the_worker_and_its_policies(
    serve: Callable[..., str], browser: Any, tmp_path: Path
) -> None:
    sign_in(browser, serve(), "alice", "alice-password")
    wait_for(browser, lambda: text(browser, "#connection").startswith("connected"), "a connection")
    assert text(browser, "#connection") == f"connected to {ALICE}"
    assert text(browser, "#worker") == ALICE
    assert text(browser, "#token-count") == "1"
    rows = policy_rows(browser)
    assert ["allow", "GET", WORKER_CHANNEL.format(ALICE), ""] in rows
    worker_url = f"https://taskrouter.twilio.com/v1/Workspaces/{ENV['TWILIO_WORKSPACE_SID']}/Workers/{ALICE}"
    assert ["allow", "POST", worker_url, "post: ActivitySid"] in rows
    shots = Path(os.environ.get("TRCAP_SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(shots / "agent-page.png"))
    assert (shots / "agent-page.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def connected(driver: Any) -> bool:
    return text(driver, "#connection").startswith("connected")


def test_page_fetches_a_new_token_before_expiry(serve: Callable[..., str], browser: Any) -> None:
    # A 30-second token: refreshed 10 s before expiry (at two thirds of its
    # life), so each refresh has 10 s to succeed on a slow machine.
    sign_in(browser, serve(TOKEN_TTL=30), "alice", "alice-password")
    wait_for(browser, lambda: connected(browser), "a connection")
    first_expiry = text(browser, "#expires")
    wait_for(browser, lambda: text(browser, "#events").count("token.updated") >= 2,
             "two token updates accepted by the bridge", REFRESH_WAIT)
    assert int(text(browser, "#token-count")) >= 3
    assert text(browser, "#expires") != first_expiry
    assert "token.expired" not in text(browser, "#events")
    assert text(browser, "#connection") == f"connected to {ALICE}"


# Date.now() of the page, 2 hours ahead of the server's clock.
CLOCK_AHEAD = """(() => {
  const ahead = 2 * 3600 * 1000, now = Date.now;
  Date.now = () => now() + ahead;
})();"""


def test_a_clock_ahead_of_the_server_does_not_refresh_in_a_loop(
    serve: Callable[..., str], browser: Any
) -> None:
    requests = TokenRequests(None)
    added = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CLOCK_AHEAD})
    try:
        sign_in(browser, serve(requests, TOKEN_TTL=15), "alice", "alice-password")
        wait_for(browser, lambda: connected(browser), "a connection")
        assert browser.execute_script("return Date.now() - new Date().getTime()") >= 3600 * 1000
        # The refresh is due 10 s into the token's 15 s life, whatever the clocks say.
        wait_for(browser, lambda: int(text(browser, "#token-count")) >= 2, "token #2", REFRESH_WAIT)
        assert requests.count <= 3, f"{requests.count} token requests for 2 tokens"
        assert text(browser, "#events").count("token.updated") >= 1
    finally:
        browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", added)


def test_a_token_without_lifetime_is_not_refreshed_in_a_loop(
    serve: Callable[..., str], browser: Any
) -> None:
    requests = TokenRequests(None)
    sign_in(browser, serve(requests, TOKEN_TTL=0), "alice", "alice-password")
    wait_for(browser, lambda: text(browser, "#connection").startswith("closed"), "a refusal")
    assert "expired" in text(browser, "#connection")
    seen = requests.count
    time.sleep(6)  # longer than the 5 s floor on the refresh delay
    # Refreshing stops with the connection; before it closed, at most the
    # first token and one refresh (5 s floor) can have been fetched.
    assert seen <= 2 and requests.count == seen, (seen, requests.count)


def test_a_failed_refresh_is_retried(serve: Callable[..., str], browser: Any) -> None:
    requests = TokenRequests(None, fail={2})  # the first refresh fails, the retry works
    sign_in(browser, serve(requests, TOKEN_TTL=30), "alice", "alice-password")
    wait_for(browser, lambda: connected(browser), "a connection")
    wait_for(browser, lambda: "token.updated" in text(browser, "#events"),
             "a token update after a failed refresh", REFRESH_WAIT)
    events = text(browser, "#events")
    assert "token refresh failed: token endpoint answered 503; retrying in 1.0 s" in events
    assert events.index("token refresh failed") < events.index("token #2 fetched")
    assert requests.count >= 3
    assert "token.expired" not in events
    assert text(browser, "#connection") == f"connected to {ALICE}"


def test_bridge_refuses_a_token_without_the_channel_policy(serve: Callable[..., str], browser: Any) -> None:
    base = serve(TOKEN_OPTIONS={"allow_web_sockets": False})
    sign_in(browser, base, "alice", "alice-password")
    wait_for(browser, lambda: text(browser, "#connection").startswith("closed"), "a refusal")
    shown = text(browser, "#connection")
    assert shown == f"closed (4403): token refused: no policy allows GET on channel {ALICE}"
    assert all(row[2] != WORKER_CHANNEL.format(ALICE) for row in policy_rows(browser))
    assert text(browser, "#worker") == ALICE  # the page still shows whose token it is


def test_bridge_refuses_a_token_signed_with_another_key(serve: Callable[..., str], browser: Any) -> None:
    sign_in(browser, serve(TWILIO_AUTH_TOKEN="another-account-auth-token-32chr"), "alice", "alice-password")
    wait_for(browser, lambda: text(browser, "#connection").startswith("closed"), "a refusal")
    assert "token refused: " in text(browser, "#connection")
    assert "signature" in text(browser, "#connection")


MARKUP = '<img src=x onerror="document.title=\'owned\'">'


def no_markup_ran(driver: Any) -> bool:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, "img") == [] and driver.title == "Agent"


def test_a_worker_sid_holding_markup_gets_no_token(
    serve: Callable[..., str], browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The sid rule (docs/security.md) refuses it: the endpoint fails closed.
    users = {"mallory": {"password": "pw", "worker_sid": "WK" + MARKUP}}
    monkeypatch.setenv("AGENT_USERS", json.dumps(users))
    sign_in(browser, serve(), "mallory", "pw")
    wait_for(browser, lambda: text(browser, "#connection").startswith("no token"), "no token")
    assert text(browser, "#connection") == "no token: token endpoint answered 500"
    assert text(browser, "#worker") == "…"
    assert no_markup_ran(browser)


def test_token_data_is_shown_as_text_never_markup(
    serve: Callable[..., str], browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Policy URLs and filter names are free text in a token: the test's
    # capability adds one holding markup, which the page must show as text.
    app_module = sys.modules["app"]

    class WithMarkup(app_module.WorkerCapabilityToken):  # type: ignore[name-defined, misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.add_policy("https://example.test/" + MARKUP, "GET", True,
                            query_filter={MARKUP: {"required": True}})

    monkeypatch.setattr(app_module, "WorkerCapabilityToken", WithMarkup)
    sign_in(browser, serve(), "alice", "alice-password")
    wait_for(browser, lambda: connected(browser), "a connection")
    assert ["allow", "GET", "https://example.test/" + MARKUP, "query: " + MARKUP] in policy_rows(browser)
    assert no_markup_ran(browser)
