"""Browser tests for t2 report and t2 serve (headless Chromium via Selenium); run by scripts/browser-tests.

Each test loads a real page in a real browser and checks what a person would see: no console
error, no request beyond the page itself, every chart drawn with a non-empty box and the expected
number of series, forms that give the command line's answers, errors shown in the page.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

CHARTS_JS = """
return Array.from(document.querySelectorAll('svg.t2-chart')).map(s => {
  const r = s.getBoundingClientRect();
  const series = Array.from(s.querySelectorAll('g.series')).map(g => {
    const b = g.getBBox();
    return {name: g.getAttribute('data-series'), w: b.width, h: b.height};
  });
  return {id: s.id, w: r.width, h: r.height, declared: +s.getAttribute('data-series-count'), series: series};
});
"""


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


# The page's width on the current screen, and the innermost elements that reach past it (tag, class,
# id, right edge, start of text): what to fix when a page scrolls sideways.
OVERFLOW_JS = """
const inner = window.innerWidth;
const out = [];
function clipped(el) {
  for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
    if (p.tagName.toLowerCase() === 'svg') continue;
    const o = getComputedStyle(p).overflowX;
    if (o === 'auto' || o === 'scroll' || o === 'hidden') return true;
  }
  return false;
}
function name(el) {
  const cls = el.getAttribute('class');
  return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (cls ? '.' + cls.split(' ').join('.') : '');
}
for (const el of document.body.querySelectorAll('*')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.right <= inner + 1 || clipped(el)) continue;
  if (Array.from(el.children).some(c => c.getBoundingClientRect().right > inner + 1)) continue;
  out.push(`${name(el)} right=${Math.round(r.right)} "${(el.textContent || '').trim().slice(0, 50)}"`);
  if (out.length >= 8) break;
}
// Text that runs past its own box (a long path or word that cannot wrap) shows only in its range.
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let n = walker.nextNode(); n && out.length < 8; n = walker.nextNode()) {
  const range = document.createRange();
  range.selectNodeContents(n);
  const r = range.getBoundingClientRect();
  if (r.width === 0 || r.right <= inner + 1 || clipped(n)) continue;
  out.push(`text in ${name(n.parentElement)} right=${Math.round(r.right)} "${n.textContent.trim().slice(0, 50)}"`);
}
return [document.documentElement.scrollWidth, inner, out];
"""


class Browser:
    def __init__(self, artifacts):
        self.artifacts = artifacts
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium")
        for a in [
            "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
            "--window-size=1280,1000", "--no-first-run", "--disable-extensions", "--disable-sync",
            "--disable-background-networking", "--disable-component-update", "--disable-default-apps",
            "--disable-features=Translate,OptimizationHints,MediaRouter", "--hide-scrollbars",
        ]:
            options.add_argument(a)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        self.driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
        self.driver.set_page_load_timeout(60)

    def quit(self):
        self.driver.quit()

    def drain(self):
        """Console errors and request URLs since the last call."""
        errors = [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]
        urls = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                urls.append(message["params"]["request"]["url"])
        return errors, urls

    def load(self, url):
        self.driver.get(url)
        self.wait_loaded()

    def wait_loaded(self):
        WebDriverWait(self.driver, 60).until(lambda d: d.execute_script("return document.readyState") == "complete")

    def check_page(self, name, allowed, expected_series=None, status=None):
        """No console error, no request outside `allowed`, every chart drawn; returns the charts.

        `status`: the page itself answered this HTTP status (400 for an error page), which Chrome
        logs as a failed resource; that one message is expected, any other is an error."""
        errors, urls = self.drain()
        if status is not None:
            errors = [e for e in errors if f"status of {status}" not in e]
        check(not errors, f"{name}: console errors: {errors}")
        outside = [u for u in urls if not (u.startswith(allowed) or u.startswith("data:") or u.startswith("about:"))]
        check(not outside, f"{name}: requests beyond {allowed}: {outside}")
        charts = self.driver.execute_script(CHARTS_JS)
        for c in charts:
            check(c["w"] > 0 and c["h"] > 0, f"{name}: chart {c['id']} has an empty box")
            check(len(c["series"]) == c["declared"], f"{name}: chart {c['id']} draws {len(c['series'])} series, declares {c['declared']}")
            for s in c["series"]:
                check(s["w"] > 0 or s["h"] > 0, f"{name}: chart {c['id']} series {s['name']!r} has an empty box")
        for suffix, n in (expected_series or {}).items():
            matching = [c for c in charts if c["id"].endswith(suffix)]
            check(matching, f"{name}: no chart *{suffix} (charts: {[c['id'] for c in charts]})")
            for c in matching:
                check(len(c["series"]) == n, f"{name}: chart {c['id']} has {len(c['series'])} series, expected {n}: {[s['name'] for s in c['series']]}")
        return charts

    def check_phone(self, name):
        """On phone screens (390 px, and 320 px: the narrowest in use, which also leaves room for a
        machine whose fonts run wider than this one's) the page does not scroll sideways: wide
        tables and code scroll in their own box. A failure names the elements that stick out."""
        try:
            for screen in (390, 320):
                self.driver.set_window_size(screen, 844)
                width, inner, culprits = self.driver.execute_script(OVERFLOW_JS)
                check(
                    width <= inner + 1,
                    f"{name}: on a {screen} px phone the page is {width} px wide for {inner} px; sticking out: {culprits}",
                )
        finally:
            self.driver.set_window_size(1280, 1000)

    def screenshot(self, name, height=None):
        total = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(1280, min(height or total, 6000))
        path = os.path.join(self.artifacts, name + ".png")
        self.driver.save_screenshot(path)
        self.driver.set_window_size(1280, 1000)
        return path


def run_t2(t2, args, check_status=True):
    r = subprocess.run([t2] + args, capture_output=True, text=True)
    if check_status and r.returncode != 0:
        raise Failure(f"t2 {' '.join(args)} exited {r.returncode}: {r.stderr}")
    return r


def expected_passk_series(group):
    """The series t2 report draws for one passk group, from the JSON alone."""
    n = 1  # the unbiased estimates
    d = group.get("distribution")
    if d and d.get("family") != "crossed-beta-binomial" and d.get("problem_shape") is None:
        n += 1  # the fitted curve
    forecasts = group.get("forecast") or {}
    if forecasts:
        # forecasts past the counts' horizon (beyond_counts >= 0.5) are a series of their own
        past = sum(1 for f in forecasts.values() if (f.get("beyond_counts") or 0) >= 0.5)
        n += (1 if past < len(forecasts) else 0) + (1 if past else 0)
    if group.get("power_law"):
        n += 1
    return n


def http(url, data=None, headers=None):
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=120) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def multipart(fields, file_field, file_name, file_bytes):
    boundary = "----t2test" + uuid.uuid4().hex
    body = b""
    for k, v in fields.items():
        body += f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n".encode()
    body += (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; filename=\"{file_name}\"\r\n"
        f"Content-Type: text/csv\r\n\r\n"
    ).encode() + file_bytes + b"\r\n" + f"--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--t2", required=True)
    parser.add_argument("--fixtures", required=True)
    parser.add_argument("--artifacts", required=True)
    args = parser.parse_args()
    t2, fixtures, artifacts = args.t2, args.fixtures, args.artifacts
    work = tempfile.mkdtemp(prefix="t2-browser-")
    results = []
    browser = Browser(artifacts)
    server = None

    def test(name):
        def wrap(fn):
            started = time.time()
            try:
                fn()
                results.append((name, None))
                print(f"PASS {name} ({time.time() - started:.1f} s)", flush=True)
            except Exception as e:  # noqa: BLE001 - report every failure and go on
                detail = str(e) if isinstance(e, Failure) else traceback.format_exc()
                results.append((name, detail))
                print(f"FAIL {name}: {detail}", flush=True)
            return fn
        return wrap

    try:
        # ---- t2 report ----
        def save(name, cmd):
            path = os.path.join(work, name)
            with open(path, "w") as f:
                f.write(run_t2(t2, cmd).stdout)
            return path

        files = [
            save("plan.json", ["plan", "--format", "json"]),
            save("sweep.json", ["plan", "--sweep", "1e18:1e24:7", "--inference-flops", "2e9", "--format", "json"]),
            save("fit.json", ["fit", os.path.join(fixtures, "chinchilla_epoch.csv"), "--drop-highest", "5", "--bootstrap", "20", "--format", "json"]),
            save("cost.json", ["cost", "--model", "llama-3.1-8b", "--quant", "fp8", "--hardware", "h100-sxm", "--compare", "concurrency=16", "--compare", "concurrency=128", "--compare", "hardware=h200", "--format", "json"]),
        ]
        counts = os.path.join(work, "counts.csv")
        with open(os.path.join(fixtures, "pythia_gsm8k_counts.csv")) as f, open(counts, "w") as out:
            header = f.readline()
            out.write(header)
            for line in f:
                if line.split(",")[0] in ("Pythia_1.4B_300B", "Pythia_410M_300B", "Pythia_160M_300B"):
                    out.write(line)
        passk_path = save("passk.json", ["passk", counts, "--forecast", "1000,10000", "--bootstrap", "20", "--format", "json"])
        files.append(passk_path)
        report = os.path.join(work, "report.html")
        run_t2(t2, ["report"] + files + ["--out", report])
        with open(passk_path) as f:
            passk = json.load(f)

        @test("report: every chart drawn, no console error, no request, the expected series")
        def _():
            browser.load("file://" + report)
            expected = {"plan-plan-metric-vs-k": 2, "plan-plan-region": 3, "fit-fit-loss-vs-compute": 3, "plan-sweep-sweep-params": 2}
            for i, g in enumerate(passk["groups"]):
                expected[f"passk-passk-group-{i + 1}"] = expected_passk_series(g)
            charts = browser.check_page("report", "file://" + report, expected)
            check(len(charts) >= 15, f"report: only {len(charts)} charts")
            browser.screenshot("report", height=3000)
            browser.check_phone("report")

        # ---- t2 serve ----
        server = subprocess.Popen(
            [t2, "serve", "--port", "0", "--max-upload-mb", "1"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        base = server.stdout.readline().strip()
        check(base.startswith("http://127.0.0.1:"), f"serve: the first line is not the URL: {base!r}")

        def timeless(doc):
            """A plan document without its `seconds` (the wall time of the solve, which differs run to run)."""
            return {k: v for k, v in doc.items() if k != "seconds"}

        def plan_json():
            return timeless(json.loads(browser.driver.find_element(By.ID, "plan-json").get_attribute("textContent")))

        def facts_row(label):
            for row in browser.driver.find_elements(By.CSS_SELECTOR, "table.facts tr"):
                cells = row.find_elements(By.CSS_SELECTOR, "th,td")
                if cells and cells[0].get_attribute("textContent") == label:
                    return [c.get_attribute("textContent") for c in cells[1:]]
            raise Failure(f"no row {label!r} in the facts table")

        @test("serve planner: the default plan, charts, the same JSON as t2 plan")
        def _():
            browser.load(base + "/")
            browser.check_page("planner", base, {"plan-plan-metric-vs-k": 2, "plan-sweep-sweep-params": 2})
            cli = timeless(json.loads(run_t2(t2, ["plan", "--format", "json"]).stdout))
            check(plan_json() == cli, "planner: the page's plan differs from t2 plan's")
            browser.check_phone("planner")
            browser.load(base + "/cost")
            browser.check_phone("cost")

        @test("serve planner: a new budget from the form changes the plan, number for number t2 plan's")
        def _():
            browser.load(base + "/")
            before = facts_row("params N")
            browser.drain()
            browser.driver.find_element(By.NAME, "train_flops").send_keys("1e21")
            browser.driver.find_element(By.NAME, "inference_flops").send_keys("1e10")
            browser.driver.find_element(By.CSS_SELECTOR, "#plan-form button[type=submit]").click()
            WebDriverWait(browser.driver, 60).until(lambda d: "train_flops=1e21" in d.current_url)
            browser.wait_loaded()
            browser.check_page("planner (submitted)", base, {"plan-plan-metric-vs-k": 2})
            after = facts_row("params N")
            check(after != before, f"the plan shown did not change: {before} → {after}")
            cli = run_t2(t2, ["plan", "--train-flops", "1e21", "--inference-flops", "1e10", "--format", "json"]).stdout
            shown = plan_json()
            check(shown == timeless(json.loads(cli)), "the page's plan differs from t2 plan --train-flops 1e21 --inference-flops 1e10")
            status, body = http(base + "/api/plan?train_flops=1e21&inference_flops=1e10")
            check(status == 200 and timeless(json.loads(body)) == timeless(json.loads(cli)), f"/api/plan differs from the CLI's output (status {status})")
            browser.screenshot("serve-planner")

        @test("serve planner: a contradictory budget shows the CLI's error, status 400")
        def _():
            status, body = http(base + "/?train_flops=1e21&budget_usd=1e6")
            check(status == 400, f"status {status}")
            check("Give one budget" in body, "the CLI's message is not on the page")
            status, body = http(base + "/api/plan?train_flops=1e21")
            check(status == 400 and "--inference-flops" in json.loads(body)["error"], f"/api/plan error: {status} {body}")
            browser.load(base + "/?train_flops=1e21&budget_usd=1e6")
            browser.check_page("planner (error)", base, status=400)
            check("Give one budget" in browser.driver.find_element(By.ID, "error").text, "no error box")

        @test("serve cost: a deployment against load, charts drawn")
        def _():
            browser.load(base + "/cost?model=llama-3.1-8b&quant=fp8&hardware=h100-sxm&compare=hardware%3Dh200")
            browser.check_page("cost", base, {"-throughput": 2, "-pareto": 2})
            browser.screenshot("serve-cost")
            cli = run_t2(t2, ["cost", "--model", "llama-3.1-8b", "--quant", "fp8", "--hardware", "h100-sxm", "--format", "json"]).stdout
            status, body = http(base + "/api/cost?model=llama-3.1-8b&quant=fp8&hardware=h100-sxm")
            check(status == 200 and body == cli, "/api/cost differs from the CLI's output")

        @test("serve fit: upload runs, fit, charts, then plan with the fitted law")
        def _():
            browser.load(base + "/fit")
            browser.check_page("fit form", base)
            browser.driver.find_element(By.NAME, "data").send_keys(os.path.join(fixtures, "chinchilla_epoch.csv"))
            browser.driver.find_element(By.NAME, "drop_highest").send_keys("5")
            browser.driver.find_element(By.CSS_SELECTOR, "#fit-form button[type=submit]").click()
            WebDriverWait(browser.driver, 120).until(lambda d: d.find_elements(By.ID, "fitted-law") or d.find_elements(By.ID, "error"))
            browser.wait_loaded()
            check(not browser.driver.find_elements(By.ID, "error"), "the fit failed: " + " ".join(e.text for e in browser.driver.find_elements(By.ID, "error")))
            browser.check_page("fit", base, {"-loss-vs-compute": 3})
            browser.screenshot("serve-fit", height=2400)
            browser.driver.find_element(By.CSS_SELECTOR, "#fitted-law a").click()
            WebDriverWait(browser.driver, 60).until(lambda d: "law=" in d.current_url)
            browser.wait_loaded()
            browser.check_page("planner with the fitted law", base)
            check(plan_json()["law"]["form"] == "chinchilla", "the plan does not use the fitted law")

        @test("serve fit: a bad upload shows its error (file, line, column), status 400; too large an upload 413")
        def _():
            bad = os.path.join(work, "bad.csv")
            with open(bad, "w") as f:
                f.write("params,tokens,loss\n1e8,2e9,3.1\n2e8,4e9,abc\n4e8,8e9,2.9\n")
            browser.load(base + "/fit")
            browser.drain()
            browser.driver.find_element(By.NAME, "data").send_keys(bad)
            browser.driver.find_element(By.CSS_SELECTOR, "#fit-form button[type=submit]").click()
            WebDriverWait(browser.driver, 60).until(lambda d: d.find_elements(By.ID, "error"))
            browser.wait_loaded()
            text = browser.driver.find_element(By.ID, "error").text
            check("bad.csv:3 (column 'loss')" in text, f"the error does not name file, line and column: {text!r}")
            check("/tmp" not in text, f"the error shows the server's path: {text!r}")
            # The page with the error is a 400, which Chrome reports as a failed resource: only that one is allowed.
            errors, _ = browser.drain()
            check(all("400" in e for e in errors), f"console errors: {errors}")
            browser.screenshot("serve-fit-error")
            with open(bad, "rb") as f:
                body, headers = multipart({"analysis": "chinchilla"}, "data", "bad.csv", f.read())
            status, page = http(base + "/fit", body, headers)
            check(status == 400 and "bad.csv:3 (column &#39;loss&#39;)" in page, f"status {status}")
            status, answer = http(base + "/api/fit", open(bad, "rb").read(), {"Content-Type": "text/csv"})
            check(status == 400 and "(column 'loss')" in json.loads(answer)["error"], f"/api/fit: {status} {answer}")
            big = b"params,tokens,loss\n" + b"1e8,2e9,3.1\n" * 120000
            status, answer = http(base + "/api/fit", big, {"Content-Type": "text/csv"})
            check(status == 413, f"a 1.4 MB upload to a 1 MB server answered {status}")
    finally:
        browser.quit()
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(work, ignore_errors=True)

    failed = [n for n, d in results if d is not None]
    print(f"browser tests: {len(results) - len(failed)} passed, {len(failed)} failed", flush=True)
    print(f"screenshots in {artifacts}", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
