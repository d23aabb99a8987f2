"""The `wlc view` page in a real headless browser (Debian's chromium driven by selenium), serving
the workloads recorded from the test cluster (tests/data/status): search, status filter, column
chooser, CSV equal to the displayed table, details with events and their filter, logs download,
the actions read-only and with a token against a real git repository (a copy of examples/ with
big-train added). Skips when chromium, its driver or selenium is missing."""
from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from compiler.cli.view_actions import make_actor
from compiler.cluster.fetch import Workload
from compiler.cluster.view import web
from compiler.cluster.view.actions import Actor
from tests.test_status_recorded import CASES, recorded

SHOTS = Path(os.environ.get("WLC_VIEW_SCREENSHOTS", tempfile.gettempdir()))
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TOKEN = "browser-test-token-0123456789"
POOLS = {"gpu-a100-0": "a100", "gpu-a100-1": "a100", "gpu-h100-0": "h100"}


def workloads() -> list[Workload]:
    out = []
    for case in sorted(CASES):
        w = recorded(case)
        w.namespace = case  # several recordings are the same workload at different moments
        out.append(w)
    return out


EVENTS: list[dict[str, object]] = [
    {"type": "Normal", "reason": "SuccessfulCreate", "message": "Created pod: big-train-rgdbc",
     "involvedObject": {"kind": "Job", "name": "big-train"}, "lastTimestamp": "2026-12-01T20:45:23Z"},
    {"type": "Warning", "reason": "FailedScheduling", "message": "0/5 nodes are available: 5 Insufficient nvidia.com/gpu.",
     "involvedObject": {"kind": "Pod", "name": "big-train-rgdbc"}, "lastTimestamp": "2026-12-01T20:45:24Z"},
]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    data = workloads()
    with serving(data) as url:
        yield url


@contextlib.contextmanager
def serving(data: list[Workload], actor: Actor | None = None, token: str | None = None) -> Iterator[str]:
    srv = web.serve(lambda: (data, POOLS), lambda w: EVENTS, lambda w: f"log of {w.name}\n", port=0,
                    actor=actor, token=token)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A real git repository: examples/ plus recsys/big-train (the recorded workload), committed."""
    out = tmp_path / "repo"
    shutil.copytree(EXAMPLES, out)
    train = (out / "workloads/recsys/ranker-train.yaml").read_text()
    (out / "workloads/recsys/big-train.yaml").write_text(train.replace("name: ranker-train", "name: big-train"))
    git(out, "init", "-q")
    git(out, "config", "user.email", "view@example.com")
    git(out, "config", "user.name", "view test")
    git(out, "add", "-A")
    git(out, "commit", "-qm", "examples and big-train")
    return out


def unavailable(reason: str) -> NoReturn:
    """Skip on a laptop without the browser; with CI=true (where .ci/run installs it) fail."""
    if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver:
        unavailable("no chromium/chromedriver: apt-get install -y chromium chromium-driver (.ci/run does)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    profile = tempfile.mkdtemp(prefix="wlc-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
                "--window-size=1600,1000"):
        options.add_argument(arg)
    drv = webdriver.Chrome(service=Service(driver), options=options)
    try:
        yield drv
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)


def until(ok: Callable[[], bool], timeout: float = 10) -> None:
    """Wait for ok(); the table is replaced by each refresh, so a read may meet a stale element."""
    from selenium.common.exceptions import StaleElementReferenceException
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if ok():
                return
        except StaleElementReferenceException:
            pass
        time.sleep(0.1)
    raise AssertionError("the page did not change in time")


TABLE = """
var t = document.getElementById("workloads");
function text(el) { var a = el.querySelector("a"); return (a || el).innerText.trim(); }
return [Array.from(t.querySelectorAll("thead th")).map(text)].concat(
  Array.from(t.querySelectorAll("tbody tr")).map(function (tr) { return Array.from(tr.querySelectorAll("td")).map(text); }));
"""


def displayed(drv: Any) -> list[list[str]]:
    """The table's header and cells, read in one script (the page replaces the table every 10
    seconds); the workload cell's value is its link (a repeated name also shows its namespace)."""
    rows: list[list[str]] = drv.execute_script(TABLE)
    return rows


def names(drv: Any) -> list[str]:
    return [row[0] for row in displayed(drv)[1:]]


def test_table_search_filter_columns_and_csv(server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    browser.get(server + "/")
    assert len(names(browser)) == len(CASES)
    assert browser.find_element(By.ID, "count").text == f"{len(CASES)} of {len(CASES)} workloads"
    browser.find_element(By.ID, "search").send_keys("big")
    until(lambda: set(names(browser)) == {"big-train"})
    Select(browser.find_element(By.ID, "status")).select_by_visible_text("Pending")
    until(lambda: len(names(browser)) == 2)  # big-train pending for GPUs, and after resuming
    browser.find_element(By.CSS_SELECTOR, "#columns input[value=created]").click()
    until(lambda: "CREATION TIME" not in displayed(browser)[0])
    href = browser.find_element(By.ID, "csv").get_attribute("href")
    got = list(csv.reader(io.StringIO(urllib.request.urlopen(href).read().decode())))
    until(lambda: got == displayed(browser))
    browser.save_screenshot(str(SHOTS / "wlc-view-table.png"))


NO_SIDEWAYS_SCROLL = "return document.documentElement.scrollWidth <= window.innerWidth;"
ROWS = """
function lines(el) { var r = document.createRange(); r.selectNodeContents(el); return r.getClientRects().length; }
return Array.from(document.querySelectorAll("#workloads tbody tr")).map(function (tr) {
  var link = tr.querySelector("td.col-workload a");
  return {key: tr.dataset.key, href: link.getAttribute("href"),
          ns: Array.from(tr.querySelectorAll("td.col-workload .ns")).map(function (s) { return s.textContent; }),
          lines: [link, tr.querySelector("td.col-created"), tr.querySelector("td.col-pods")].map(lines)};
});
"""


def test_repeated_names_show_their_namespace_and_nothing_wraps(server: str, browser: Any) -> None:
    """The same name in several namespaces: each row names its namespace under the name and links
    to its own workload; names, timestamps and pod counts stay on one line beside the details pane."""
    from selenium.webdriver.common.by import By
    browser.get(server + "/?w=job-pending-gpus/big-train")
    rows = browser.execute_script(ROWS)  # in one go: the table is replaced every 10 seconds
    counts: dict[str, int] = {}
    for w in workloads():
        counts[w.name] = counts.get(w.name, 0) + 1
    assert len(rows) == len(CASES) and max(counts.values()) > 1
    for r in rows:
        name = r["key"].split("/")[1]
        assert urllib.parse.unquote(r["href"].split("?w=", 1)[1]) == r["key"]
        assert r["ns"] == ([r["key"].split("/")[0]] if counts[name] > 1 else []), r
        assert r["lines"] == [1, 1, 1], r  # name, creation time and pods each on one line
    assert browser.find_element(By.ID, "details").is_displayed()
    assert browser.execute_script(NO_SIDEWAYS_SCROLL), "the page scrolls sideways"
    browser.save_screenshot(str(SHOTS / "wlc-view-namespaces.png"))
    browser.get(server + "/?col=workload&col=namespace&col=status")  # with the namespace column: no repeat
    assert browser.find_elements(By.CSS_SELECTOR, "#workloads .ns") == []


def test_details_events_logs_and_read_only_actions(server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    browser.get(server + "/?w=job-pending-gpus/big-train")
    assert browser.find_element(By.ID, "detail-status").text.startswith("Pending: big-train-")
    until(lambda: "FailedScheduling" in browser.find_element(By.ID, "events-box").text)
    browser.find_element(By.ID, "events-filter").send_keys("SuccessfulCreate")
    until(lambda: "FailedScheduling" not in browser.find_element(By.ID, "events-box").text)
    assert "SuccessfulCreate" in browser.find_element(By.ID, "events-box").text
    pods = browser.find_element(By.ID, "pods").text
    assert "Pending (Unschedulable)" in pods
    logs = urllib.request.urlopen(browser.find_element(By.ID, "logs").get_attribute("href"))
    assert logs.read().decode() == "log of big-train\n"
    assert "attachment" in logs.headers["Content-Disposition"]
    actions = browser.find_element(By.ID, "actions").text
    assert "wlc stop big-train --project recsys --commit" in actions
    assert "wlc delete big-train --project recsys --commit" in actions
    browser.find_element(By.ID, "events-filter").clear()
    browser.save_screenshot(str(SHOTS / "wlc-view-details.png"))


def click_stop(drv: Any, url: str) -> Any:
    from selenium.webdriver.common.by import By
    drv.get(url + "/?w=job-pending-gpus/big-train")
    result = drv.find_element(By.ID, "action-result")
    drv.find_element(By.CSS_SELECTOR, "#actions button[data-verb=stop]").click()
    return result


def test_action_read_only_shows_the_command_and_commits_nothing(repo: Path, browser: Any, tmp_path: Path) -> None:
    with serving(workloads(), make_actor(repo), token=None) as url:  # an actor but no token: read-only
        result = click_stop(browser, url)
        until(lambda: "wlc stop big-train --project recsys --commit" in result.text)
        assert "read-only" in result.text
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", result)
        browser.save_screenshot(str(tmp_path / "wlc-view-read-only-action.png"))
    assert git(repo, "rev-list", "--count", "HEAD").strip() == "1" and git(repo, "status", "--porcelain") == ""


def test_action_with_token_commits_in_the_repository(repo: Path, browser: Any, tmp_path: Path) -> None:
    with serving(workloads(), make_actor(repo), TOKEN) as url:
        result = click_stop(browser, url)
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait
        prompt = WebDriverWait(browser, 10).until(expected_conditions.alert_is_present())
        prompt.send_keys(TOKEN)
        prompt.accept()
        until(lambda: result.text.startswith("committed "), timeout=60)
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", result)
        browser.save_screenshot(str(tmp_path / "wlc-view-token-action.png"))
        browser.save_screenshot(str(SHOTS / "wlc-view.png"))
        head = git(repo, "rev-parse", "HEAD").strip()
        assert result.text.startswith(f"committed {head}: wlc stop recsys/big-train")
    assert git(repo, "rev-list", "--count", "HEAD").strip() == "2"
    diff = git(repo, "show", "--format=", "HEAD")
    assert "workloads/recsys/big-train.yaml" in diff and "+  active: false" in diff
    added = [line for line in diff.splitlines() if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))]
    assert diff.count("diff --git") == 1 and added == ["+  active: false"]
