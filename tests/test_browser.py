"""In a real browser: a student's report and the class dashboard, rendered by headless
Chromium (Debian's `chromium`, installed by .ci/run), have content and raise no JavaScript
error and log no console error; the dashboard's table sorts on a click. Chromium is driven
through its DevTools protocol on a pipe (--remote-debugging-pipe): exceptions, console
calls and log entries arrive as events, with their level.

    python tests/test_browser.py docs/     # the README's screenshots: report.png, dashboard.png
"""
from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from classroom import PACK, PACKS, student  # noqa: E402

GRADE = Path(sys.executable).parent / "grade"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--hide-scrollbars", "--remote-debugging-pipe"]
SECONDS = 60


class Browser:
    """One headless Chromium, spoken to in DevTools messages (JSON, each ended by NUL) on
    the pipes its --remote-debugging-pipe reads (fd 3) and writes (fd 4)."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="grade-chromium-")
        to_browser, self._send = os.pipe()
        self._receive, from_browser = os.pipe()
        script = f'exec "$0" "$@" 3<&{to_browser} 4>&{from_browser}'
        self.process = subprocess.Popen(
            ["bash", "-c", script, CHROMIUM, *FLAGS, f"--user-data-dir={self.profile}",
             "about:blank"], pass_fds=(to_browser, from_browser),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser)
        os.close(from_browser)
        self._buffer, self._next, self.events = b"", 0, []

    def call(self, method: str, session: str | None = None, **params) -> dict:
        self._next += 1
        message = {"id": self._next, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._send, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def wait_for(self, method: str) -> dict:
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._read()
            self.events.append(event)
            if event.get("method") == method:
                return event

    def _read(self) -> dict:
        deadline = time.monotonic() + SECONDS
        while b"\0" not in self._buffer:
            if not select.select([self._receive], [], [], max(0, deadline - time.monotonic()))[0]:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self._receive, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed its pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def open(self, path: Path, width: int = 1200) -> "Page":
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session)
        self.call("Emulation.setDeviceMetricsOverride", session, width=width, height=900,
                  deviceScaleFactor=1, mobile=False)
        self.events.clear()
        self.call("Page.navigate", session, url=path.resolve().as_uri())
        self.wait_for("Page.loadEventFired")
        return Page(self, session)

    def close(self) -> None:
        os.close(self._send)
        os.close(self._receive)
        self.process.kill()
        self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    def __init__(self, browser: Browser, session: str):
        self.browser, self.session = browser, session

    def evaluate(self, expression: str):
        result = self.browser.call("Runtime.evaluate", self.session, expression=expression,
                                   returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"]["text"])
        return result["result"].get("value")

    def errors(self) -> list[str]:
        """Uncaught exceptions, console.error/assert calls and error log entries so far."""
        found = []
        for event in self.browser.events:
            if event.get("sessionId") != self.session:
                continue
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                found.append(details.get("exception", {}).get("description")
                             or details["text"])
            elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
                found.append(" ".join(str(a.get("value", a.get("description")))
                                      for a in params["args"]))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(params["entry"]["text"])
        return found

    def text(self) -> str:
        return self.evaluate("document.body ? document.body.innerText : ''")

    def screenshot(self, path: Path) -> None:
        height = self.evaluate("document.documentElement.scrollHeight")
        width = self.evaluate("document.documentElement.scrollWidth")
        shot = self.browser.call("Page.captureScreenshot", self.session, format="png",
                                 captureBeyondViewport=True,
                                 clip={"x": 0, "y": 0, "width": width, "height": height,
                                       "scale": 1})
        path.write_bytes(base64.b64decode(shot["data"]))


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    opened = Browser()
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def class_out(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("browser-class")
    student(root / "subs" / "alice")
    student(root / "subs" / "bob", double="plus_one")
    student(root / "subs" / "carol", double="square", mean="sum")
    done = subprocess.run([str(GRADE), "batch", str(root / "subs"), "--assignment", PACK,
                           "--packs", str(PACKS), "--out", str(root / "out")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return root / "out"


def test_a_student_report_renders_without_errors(browser, class_out):
    page = browser.open(class_out / "bob.html")
    assert page.errors() == []
    text = page.text()
    assert "adds 1 after doubling" in text and "mean" in text.lower()


def test_the_dashboard_renders_without_errors_and_sorts(browser, class_out):
    page = browser.open(class_out / "index.html")
    assert page.errors() == []
    assert "Most frequent named mistakes" in page.text()
    assert page.evaluate("document.querySelectorAll('#distribution svg, #pass-rates svg')"
                         ".length") == 2
    names = "Array.from(document.querySelectorAll('table.sortable tbody tr'))" \
            ".map(r => r.cells[0].textContent.trim())"
    scores = json.loads((class_out / "summary.json").read_text())["scores"]
    page.evaluate("document.querySelectorAll('table.sortable th')[1].click()")
    assert page.evaluate(names) == sorted(scores, key=lambda s: (scores[s], s))
    page.evaluate("document.querySelectorAll('table.sortable th')[1].click()")
    assert [scores[s] for s in page.evaluate(names)] == sorted(scores.values(), reverse=True)
    assert page.errors() == []


@pytest.mark.parametrize("body, problem", [
    ("<p>text</p><script>undefinedFunction();</script>", "undefinedFunction"),
    ("<p>text</p><script>console.error('broken on purpose');</script>", "broken on purpose"),
    ("<p>text</p><script>document.addEventListener('DOMContentLoaded', () => "
     "{ throw new Error('late failure'); });</script>", "late failure"),
])
def test_a_page_with_a_javascript_error_is_caught(browser, tmp_path, body, problem):
    broken = tmp_path / "broken.html"
    broken.write_text(f"<!DOCTYPE html><html><body>{body}</body></html>")
    errors = browser.open(broken).errors()
    assert errors and problem in " ".join(errors)


def test_an_empty_page_is_caught(browser, tmp_path):
    empty = tmp_path / "empty.html"
    empty.write_text("<!DOCTYPE html><html><body><script>1 + 1;</script></body></html>")
    page = browser.open(empty)
    assert page.errors() == [] and page.text().strip() == ""


def screenshots(folder: Path) -> None:
    """docs/report.png (the bundled sample submission) and docs/dashboard.png (a class of
    the regularization fixtures)."""
    repo = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(repo / "tests"))
    from conftest import assemble
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        subprocess.run([str(GRADE), str(repo / "fixtures" / "regularization" / "sample"),
                        "--assignment", "regularization", "--html", str(root / "report.html"),
                        "--seed", "1", "--quiet"], timeout=600)
        fixtures = {"amara": None, "ben": "buggy/0-bias_regularized",
                    "chloe": "buggy/1-reg_term_missing_over_m", "dmitri": "buggy/0-unsquared_norm",
                    "elif": "buggy/4-mask_shared_across_examples", "fatou": None,
                    "gabriel": "buggy/7-threshold_ge", "hana": "buggy/0-bias_regularized",
                    "ivan": "buggy/1-updated_w_backprop", "jun": "buggy/3-no_regularizer",
                    "kai": "hostile/0-sleep_forever"}
        for name, fixture in fixtures.items():
            assemble({"path": fixture} if fixture else {}, root / "class" / name)
        (root / "class" / "lena").mkdir()  # handed in nothing gradable
        (root / "class" / "lena" / "notes.txt").write_text("see you next week\n")
        subprocess.run([str(GRADE), "batch", str(root / "class"), "--assignment",
                        "regularization", "--out", str(root / "out"), "--seed", "1"],
                       timeout=1200)
        opened = Browser()
        try:
            for page, name in ((root / "report.html", "report.png"),
                               (root / "out" / "index.html", "dashboard.png")):
                shown = opened.open(page)
                assert shown.errors() == [], shown.errors()
                shown.screenshot(folder / name)
        finally:
            opened.close()


if __name__ == "__main__":
    screenshots(Path(sys.argv[1] if len(sys.argv) > 1 else "docs"))
