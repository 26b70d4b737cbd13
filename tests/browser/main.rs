//! The HTML report in a real browser: headless Chromium driven by chromedriver over the W3C
//! WebDriver HTTP API (hand-written HTTP/1.1 on a `TcpStream`; a few JSON requests need no
//! client library).
//!
//! Needs the Debian packages `chromium` and `chromium-driver` (or `CHROMIUM` / `CHROMEDRIVER`
//! pointing at the binaries). Without them the tests are skipped with a message — unless `CI` is
//! set, where a missing browser fails the run.
//!
//! - `report_page_works_and_runs_no_host_supplied_code`: summary numbers equal the report's
//!   totals, filters and search narrow the table, a host drill-down opens, and the hostile
//!   strings of the fixture render as text without running (no `window.__pwned`, title intact,
//!   no `<img>`, only our two scripts).
//! - `compressed_report_page_at_moderate_scale`: 500 hosts / 5,000 findings with the gzip data
//!   island: loads, pages and filters.
//! - `measure_5000_hosts_50000_findings` (ignored; run it explicitly): prints file size, render
//!   time, time to load and to first render, filter time and JS heap.
//! - `overview_screenshot` (ignored): rewrites `docs/report-overview.png`.

#[path = "fixture.rs"]
mod fixture;
#[path = "synth.rs"]
mod synth;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use iis_sweep::report::html::{self, HtmlOptions};
use iis_sweep::report::model::Report;
use serde_json::{json, Value};

// ---- finding the browser -----------------------------------------------------------------------

fn find_binary(env: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for n in names {
            let p = dir.join(n);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Chromium and chromedriver, or `None` (skip) outside CI. In CI a missing browser is a failure.
fn browser() -> Option<(PathBuf, PathBuf)> {
    let chromium = find_binary(
        "CHROMIUM",
        &["chromium", "chromium-browser", "google-chrome"],
    );
    let driver = find_binary("CHROMEDRIVER", &["chromedriver"]);
    match (chromium, driver) {
        (Some(c), Some(d)) => Some((c, d)),
        (c, d) => {
            let msg = format!(
                "headless Chromium is needed for the browser tests (found chromium: {}, chromedriver: {}); \
                 install the Debian packages: apt-get install -y chromium chromium-driver",
                c.is_some(),
                d.is_some()
            );
            if std::env::var_os("CI").is_some() {
                panic!("{msg}");
            }
            eprintln!("SKIPPED: {msg}");
            None
        }
    }
}

fn chromium_args(profile: &Path) -> Vec<String> {
    vec![
        "--headless".into(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--disable-dev-shm-usage".into(),
        "--window-size=1280,900".into(),
        format!("--user-data-dir={}", profile.display()),
    ]
}

// ---- a minimal WebDriver client ----------------------------------------------------------------

struct Driver {
    child: Child,
    port: u16,
    session: String,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.call("DELETE", &format!("/session/{}", self.session), None);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct KillOnDrop(Option<Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(c) = self.0.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn http(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> std::io::Result<(u16, Value)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(360)))?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    // chromedriver keeps connections open, so read the header, then exactly Content-Length bytes
    // (or chunks).
    let mut raw = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    let split = loop {
        if let Some(p) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        let n = s.read(&mut buf)?;
        if n == 0 {
            return Err(std::io::Error::other(
                "connection closed before the header ended",
            ));
        }
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let mut payload = raw[split + 4..].to_vec();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let header = |name: &str| {
        head.lines().find_map(|l| {
            l.strip_prefix(name)
                .map(|v| v.trim_start_matches(':').trim().to_string())
        })
    };
    if let Some(len) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        while payload.len() < len {
            let n = s.read(&mut buf)?;
            if n == 0 {
                break;
            }
            payload.extend_from_slice(&buf[..n]);
        }
    } else if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        // Read until the terminating zero-size chunk, then decode.
        while !payload.ends_with(b"0\r\n\r\n") {
            let n = s.read(&mut buf)?;
            if n == 0 {
                break;
            }
            payload.extend_from_slice(&buf[..n]);
        }
        let mut out = Vec::new();
        let mut rest = &payload[..];
        loop {
            let eol = rest
                .windows(2)
                .position(|w| w == b"\r\n")
                .unwrap_or(rest.len());
            let size = usize::from_str_radix(String::from_utf8_lossy(&rest[..eol]).trim(), 16)
                .unwrap_or(0);
            if size == 0 || rest.len() < eol + 2 + size {
                break;
            }
            out.extend_from_slice(&rest[eol + 2..eol + 2 + size]);
            rest = &rest[(eol + 4 + size).min(rest.len())..];
        }
        payload = out;
    } else {
        s.read_to_end(&mut payload)?;
    }
    let value = if payload.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&payload).unwrap_or(Value::Null)
    };
    Ok((status, value))
}

impl Driver {
    fn start(chromium: &Path, chromedriver: &Path) -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        // Until the session exists, this guard stops chromedriver if anything panics.
        let mut guard = KillOnDrop(Some(child));
        let deadline = Instant::now() + Duration::from_secs(30);
        while http(port, "GET", "/status", None).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "goog:chromeOptions": { "binary": chromium, "args": chromium_args(profile.path()) },
        }}});
        let (status, v) = http(port, "POST", "/session", Some(&caps)).unwrap();
        assert_eq!(status, 200, "new session: {v}");
        let session = v["value"]["sessionId"].as_str().unwrap().to_string();
        let child = guard.0.take().unwrap();
        let d = Driver {
            child,
            port,
            session,
            _profile: profile,
        };
        d.call(
            "POST",
            &d.path("/timeouts"),
            Some(&json!({ "pageLoad": 300_000, "script": 120_000 })),
        );
        d
    }

    fn path(&self, p: &str) -> String {
        format!("/session/{}{p}", self.session)
    }

    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let (status, v) = http(self.port, method, path, body).expect("webdriver request");
        assert!(status == 200, "{method} {path} → {status}: {v}");
        v["value"].clone()
    }

    fn open(&self, file: &Path) -> Duration {
        let url = format!("file://{}", file.canonicalize().unwrap().display());
        self.open_url(&url)
    }

    fn open_url(&self, url: &str) -> Duration {
        let t = Instant::now();
        self.call("POST", &self.path("/url"), Some(&json!({ "url": url })));
        t.elapsed()
    }

    fn js(&self, script: &str) -> Value {
        self.call(
            "POST",
            &self.path("/execute/sync"),
            Some(&json!({ "script": script, "args": [] })),
        )
    }

    fn element(&self, css: &str) -> String {
        let v = self.call(
            "POST",
            &self.path("/element"),
            Some(&json!({ "using": "css selector", "value": css })),
        );
        v.as_object()
            .unwrap()
            .values()
            .next()
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    }

    fn click(&self, css: &str) {
        let id = self.element(css);
        self.call(
            "POST",
            &self.path(&format!("/element/{id}/click")),
            Some(&json!({})),
        );
    }

    fn type_text(&self, css: &str, text: &str) {
        let id = self.element(css);
        self.call(
            "POST",
            &self.path(&format!("/element/{id}/value")),
            Some(&json!({ "text": text })),
        );
    }

    /// Saves a PNG of the viewport when `IIS_SWEEP_SCREENSHOTS=DIR` is set (for reviewing the
    /// page by eye).
    fn screenshot(&self, name: &str) {
        let Some(dir) = std::env::var_os("IIS_SWEEP_SCREENSHOTS") else {
            return;
        };
        use base64::Engine;
        let v = self.call("GET", &self.path("/screenshot"), None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap())
            .unwrap();
        std::fs::write(Path::new(&dir).join(format!("{name}.png")), png).unwrap();
    }

    /// Waits until the page script has rendered (or failed).
    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let state = self.js("return document.documentElement.getAttribute('data-ready');");
            if state == "1" {
                return;
            }
            if state == "error" {
                panic!(
                    "page script failed: {}",
                    self.js("return document.getElementById('load-error').textContent;")
                );
            }
            assert!(Instant::now() < deadline, "page never became ready");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn num(&self, script: &str) -> u64 {
        let v = self.js(script);
        v.as_u64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            .unwrap_or_else(|| panic!("{script} → {v}"))
    }

    /// Waits until `script` returns a number different from `before` (filters are debounced).
    fn wait_change(&self, script: &str, before: u64) -> u64 {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let n = self.num(script);
            if n != before || Instant::now() > deadline {
                return n;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn write_page(dir: &Path, report: &Report, opts: &HtmlOptions) -> PathBuf {
    let page = html::render_with(report, None, opts).unwrap();
    let p = dir.join("report.html");
    std::fs::write(&p, page).unwrap();
    p
}

// ---- tests -------------------------------------------------------------------------------------

#[test]
fn report_page_works_and_runs_no_host_supplied_code() {
    let Some((chromium, chromedriver)) = browser() else {
        return;
    };
    let report = fixture::report_with_baseline();
    let dir = tempfile::tempdir().unwrap();
    let page = write_page(dir.path(), &report, &HtmlOptions::default());
    let d = Driver::start(&chromium, &chromedriver);
    d.open(&page);
    d.wait_ready();

    // Summary numbers are the report's.
    let total = |k: &str| {
        d.num(&format!(
            "return document.querySelector('[data-total=\"{k}\"]').textContent;"
        ))
    };
    assert_eq!(total("hosts"), report.totals.hosts as u64);
    assert_eq!(total("findings"), report.totals.findings as u64);
    assert_eq!(total("waived"), report.totals.waived as u64);
    let failed = report
        .hosts
        .iter()
        .filter(|h| !h.status.evaluated())
        .count() as u64;
    assert_eq!(total("failed"), failed);
    for (status, n) in &report.totals.hosts_by_status {
        assert_eq!(
            d.num(&format!(
                "return document.querySelector('[data-status=\"{status}\"]').textContent;"
            )),
            *n as u64
        );
    }
    for (sev, n) in &report.totals.by_severity {
        assert_eq!(
            d.num(&format!(
                "return document.querySelector('[data-severity=\"{sev}\"]').textContent;"
            )),
            *n as u64
        );
    }

    // The table lists every finding, and filters narrow it.
    let rows = "return document.querySelectorAll('#finding-rows tr.row').length;";
    assert_eq!(d.num(rows), report.findings.len() as u64);
    assert_eq!(
        d.num("return document.getElementById('matched').textContent;"),
        report.findings.len() as u64
    );
    d.click("#f-severity option[value='critical']");
    let critical = report
        .findings
        .iter()
        .filter(|f| f.severity.as_str() == "critical")
        .count() as u64;
    assert_eq!(d.wait_change(rows, report.findings.len() as u64), critical);
    d.click("#f-severity option[value='']");
    assert_eq!(d.wait_change(rows, critical), report.findings.len() as u64);
    d.click("#f-waived option[value='yes']");
    assert_eq!(d.wait_change(rows, report.findings.len() as u64), 1);
    d.click("#f-waived option[value='']");
    d.wait_change(rows, 1);
    d.click("#f-drift option[value='new']");
    assert_eq!(
        d.wait_change(rows, report.findings.len() as u64),
        1,
        "one new finding"
    );
    d.click("#f-drift option[value='']");
    d.wait_change(rows, 1);
    // Text search (debounced) over host, path, message and evidence.
    d.type_text("#q", "payroll");
    assert_eq!(d.wait_change(rows, report.findings.len() as u64), 1);
    d.click("#f-reset");
    assert_eq!(d.wait_change(rows, 1), report.findings.len() as u64);

    // Filters live in the URL, a link restores them, and the filtered view exports as CSV/JSON.
    d.click("#f-severity option[value='critical']");
    assert_eq!(d.wait_change(rows, report.findings.len() as u64), critical);
    assert_eq!(d.js("return location.hash;"), "#filter:sev=critical");
    let csv_text = d.js("return window.iisSweep.exportFiltered('csv');");
    let mut csv_rows = csv::Reader::from_reader(csv_text.as_str().unwrap().as_bytes());
    let exported: Vec<csv::StringRecord> = csv_rows.records().map(|r| r.unwrap()).collect();
    assert_eq!(
        exported.len() as u64,
        critical,
        "CSV export = filtered rows"
    );
    assert!(exported.iter().all(|r| &r[0] == "critical"));
    let json_text = d.js("return window.iisSweep.exportFiltered('json');");
    let exported: Value = serde_json::from_str(json_text.as_str().unwrap()).unwrap();
    assert_eq!(
        exported["findings"].as_array().unwrap().len() as u64,
        critical
    );
    let link = d.js("return location.href;");
    d.open_url("about:blank");
    d.open_url(link.as_str().unwrap());
    d.wait_ready();
    assert_eq!(
        d.js("return document.getElementById('f-severity').value;"),
        "critical"
    );
    assert_eq!(d.num(rows), critical, "the shared link shows the same view");
    d.click("#f-reset");
    assert_eq!(d.wait_change(rows, critical), report.findings.len() as u64);

    // Columns sort: the findings table by host, the per-rule table (every rule) by failing hosts.
    d.click("#finding-table th[data-key='host']");
    std::thread::sleep(Duration::from_millis(200));
    let hosts_shown = d.js("return Array.prototype.map.call(document.querySelectorAll('#finding-rows tr.row td:nth-child(4)'), function (e) { return e.textContent; });");
    let hosts_shown: Vec<String> = serde_json::from_value(hosts_shown).unwrap();
    let mut sorted = hosts_shown.clone();
    sorted.sort();
    assert_eq!(hosts_shown, sorted, "sorted by host");
    assert!(d
        .js("return location.hash;")
        .as_str()
        .unwrap()
        .contains("sort=host"));
    assert_eq!(
        d.num("return document.querySelectorAll('#rule-table tbody tr').length;"),
        report.rules.len() as u64,
        "the per-rule table lists every rule"
    );
    d.click("#rule-table th:nth-child(4)");
    let fails = d.js("return Array.prototype.map.call(document.querySelectorAll('#rule-table tbody td:nth-child(4)'), function (e) { return +e.textContent; });");
    let fails: Vec<u64> = serde_json::from_value(fails).unwrap();
    assert!(
        fails.windows(2).all(|w| w[0] >= w[1]),
        "most failing first: {fails:?}"
    );
    d.click("#finding-table th[data-key='host']");

    // Legible charts: every label renders at 12 px or more at this width.
    let smallest = d.js("return Math.min.apply(null, Array.prototype.map.call(document.querySelectorAll('svg.chart text'), function (t) { return parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a; }));");
    assert!(
        smallest.as_f64().unwrap() >= 12.0,
        "chart text renders at {smallest} px"
    );
    // Names are not cut mid-word: every short host name in the table sits on one line.
    let split = d.num("return Array.prototype.filter.call(document.querySelectorAll('#finding-rows tr.row td:nth-child(4) button'), function (b) { return b.textContent.length < 30 && b.getClientRects().length > 1; }).length;");
    assert_eq!(split, 0, "a short host name wraps");
    // The rules appendix renders its references as links.
    assert!(d.num("return document.querySelectorAll('#rules details.rule li a[href^=\"https://\"]').length;") >= 1);

    // The host list sorts by severity of open findings, with the breakdown in each line.
    d.click("#h-sort option[value='severity']");
    std::thread::sleep(Duration::from_millis(200));
    let first =
        d.js("return document.querySelector('#host-list details.host').getAttribute('data-host');");
    let mut by_sev: Vec<(Vec<usize>, &str)> = report
        .hosts
        .iter()
        .map(|h| {
            let mut c = vec![0usize; 5];
            for f in report
                .findings
                .iter()
                .filter(|f| f.host == h.name && f.waived.is_none())
            {
                c[iis_sweep::finding::Severity::ALL
                    .iter()
                    .position(|s| *s == f.severity)
                    .unwrap()] += 1;
            }
            (c, h.name.as_str())
        })
        .collect();
    by_sev.sort_by(|a, b| b.0.cmp(&a.0));
    assert_eq!(
        first.as_str().unwrap(),
        by_sev[0].1,
        "most severe host first"
    );
    let line =
        d.js("return document.querySelector('#host-list details.host summary').textContent;");
    assert!(
        line.as_str().unwrap().contains(" high") || line.as_str().unwrap().contains(" critical"),
        "{line}"
    );
    d.click("#h-sort option[value='']");

    // A row opens its details with the fix and a copy button.
    d.click("#finding-rows tr.row:nth-child(1) td:nth-child(6)");
    assert_eq!(
        d.num("return document.querySelectorAll('#finding-rows tr.detail .copy').length;"),
        1
    );
    d.js("document.getElementById('findings').scrollIntoView();");
    d.screenshot("findings");

    // Resolved findings (drift) are listed.
    assert_eq!(
        d.num("return document.querySelectorAll('#resolved-rows tr').length;"),
        1
    );

    // Host drill-down: sites → applications → findings with evidence.
    d.click("#finding-rows tr.row button.linkish[title='Show this host']");
    let opened = d.js("var h = document.querySelector('#host-list details.host[open]'); return h ? h.getAttribute('data-host') : null;");
    assert!(opened.is_string(), "a host opened");
    assert!(d.num("return document.querySelectorAll('#host-list details.host[open] details.site').length;") >= 1);
    d.screenshot("host");

    // Hostile strings: shown as text, nothing ran.
    assert_eq!(d.js("return typeof window.__pwned;"), "undefined");
    assert_eq!(
        d.js("return document.title;").as_str().unwrap(),
        format!(
            "iis-sweep report · {} hosts · {}",
            report.totals.hosts, report.run.finished
        )
    );
    assert_eq!(d.num("return document.querySelectorAll('img').length;"), 0);
    assert_eq!(
        d.num("return document.scripts.length;"),
        2,
        "only the data island and our script"
    );
    assert_eq!(
        d.num("return document.querySelectorAll('[onerror]').length;"),
        0
    );
    let body = d.js("return document.body.textContent;");
    let body = body.as_str().unwrap();
    for s in [fixture::EVIL_HOST, fixture::XSS_MUSTACHE] {
        assert!(body.contains(s), "{s:?} shown as text");
    }
    assert!(
        body.contains("<img src=x onerror="),
        "the img payload is text"
    );
    // Open the hostile host and its finding: still text, still nothing ran.
    d.js(&format!(
        "document.getElementById('hq').value = {}; document.getElementById('hq').dispatchEvent(new Event('input'));",
        json!(fixture::EVIL_HOST)
    ));
    std::thread::sleep(Duration::from_millis(400));
    d.click("#host-list details.host summary");
    d.js(
        "document.querySelectorAll('#host-list details').forEach(function (x) { x.open = true; });",
    );
    std::thread::sleep(Duration::from_millis(200));
    let detail = d.js("return document.querySelector('#host-list details.host').textContent;");
    assert!(detail.as_str().unwrap().contains(fixture::XSS_SCRIPT));
    assert_eq!(d.js("return typeof window.__pwned;"), "undefined");
    assert_eq!(d.num("return document.querySelectorAll('img').length;"), 0);
}

#[test]
fn hostile_and_long_strings_keep_the_layout_and_show_hidden_characters() {
    let Some((chromium, chromedriver)) = browser() else {
        return;
    };
    let report = fixture::hostile_report();
    let dir = tempfile::tempdir().unwrap();
    let page = write_page(dir.path(), &report, &HtmlOptions::default());
    let d = Driver::start(&chromium, &chromedriver);
    d.open(&page);
    d.wait_ready();
    // Open every finding's details and every host so all host text is laid out.
    d.js(
        "document.querySelectorAll('#finding-rows tr.row').forEach(function (r) { r.click(); }); \
          document.querySelectorAll('details').forEach(function (x) { x.open = true; }); return 0;",
    );
    let overflow =
        d.num("return Math.max(0, document.documentElement.scrollWidth - window.innerWidth);");
    assert_eq!(overflow, 0, "the page is wider than the viewport");
    let text = d.js("return document.body.innerText;");
    let text = text.as_str().unwrap_or_default();
    assert!(
        text.contains(
            "\u{27e6}U+202E\u{27e7}evil-site\u{27e6}U+200B\u{27e7}\u{27e6}U+0007\u{27e7}"
        ),
        "hidden characters made visible"
    );
    assert!(
        !text.contains('\u{202E}'),
        "no live bidi override in the page text"
    );
    assert!(text.contains("characters)"), "long values are clamped");
    // The whole value is on hover.
    let titled = d.num(
        "return Array.prototype.filter.call(document.querySelectorAll('[title]'), \
         function (e) { return e.getAttribute('title').length > 5000; }).length;",
    );
    assert!(
        titled >= 1,
        "no element carries the full long value on hover"
    );
}

#[test]
fn compressed_report_page_at_moderate_scale() {
    let Some((chromium, chromedriver)) = browser() else {
        return;
    };
    let report = synth::fleet(500, 5_000);
    let dir = tempfile::tempdir().unwrap();
    let page = write_page(dir.path(), &report, &HtmlOptions { compress_over: 0 });
    assert!(std::fs::read_to_string(&page)
        .unwrap()
        .contains("data-encoding=\"gzip+base64\""));
    let d = Driver::start(&chromium, &chromedriver);
    d.open(&page);
    d.wait_ready();
    assert_eq!(d.num("return window.iisSweep.findings;"), 5_000);
    let rows = "return document.querySelectorAll('#finding-rows tr.row').length;";
    assert_eq!(d.num(rows), 100, "one page of rows");
    assert_eq!(
        d.num("return document.getElementById('matched').textContent;"),
        5_000
    );
    // Next page.
    d.click("#finding-pager button:last-of-type");
    let first_host =
        d.js("return document.querySelector('#finding-rows tr.row td:nth-child(4)').textContent;");
    assert!(first_host.is_string());
    // Filter by host: exactly that host's findings.
    let host = report.findings[0].host.clone();
    let expected = report.findings.iter().filter(|f| f.host == host).count() as u64;
    d.js(&format!(
        "var s = document.getElementById('f-host'); s.value = {}; s.dispatchEvent(new Event('change'));",
        json!(host)
    ));
    assert_eq!(
        d.num("return document.getElementById('matched').textContent;"),
        expected
    );
    // Hosts are paged too.
    assert_eq!(
        d.num("return document.querySelectorAll('#host-list details.host').length;"),
        50
    );
}

/// `cargo test --ignore-rust-version --test browser -- --ignored --nocapture measure`
#[test]
#[ignore = "slow: 5,000 hosts / 50,000 findings; run explicitly to measure"]
fn measure_5000_hosts_50000_findings() {
    let Some((chromium, chromedriver)) = browser() else {
        return;
    };
    let t = Instant::now();
    let report = synth::fleet(5_000, 50_000);
    let built = t.elapsed();
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let page = write_page(dir.path(), &report, &HtmlOptions::default());
    let rendered = t.elapsed();
    let size = std::fs::metadata(&page).unwrap().len();
    let json_size = serde_json::to_vec(&report).unwrap().len();
    let d = Driver::start(&chromium, &chromedriver);
    let mut loads = Vec::new();
    for _ in 0..3 {
        let nav = d.open(&page);
        d.wait_ready();
        let t = d.js("var n = performance.getEntriesByType('navigation')[0];
             var s = window.iisSweep;
             return { dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd, ready: s.readyAt,
                      script: s.scriptMs, unpack: s.unpackMs, parse: s.parseMs,
                      heap: performance.memory ? performance.memory.usedJSHeapSize : null };");
        loads.push((nav, t));
    }
    assert_eq!(d.num("return window.iisSweep.findings;"), 50_000);
    assert_eq!(d.num("return window.iisSweep.hosts;"), 5_000);
    let filter = d.js(
        "var s = document.getElementById('f-severity'); var t0 = performance.now();
         s.value = 'high'; s.dispatchEvent(new Event('change'));
         var t1 = performance.now();
         var q = document.getElementById('q'); q.value = 'payroll login'; s.value = '';
         var t2 = performance.now(); s.dispatchEvent(new Event('change')); var t3 = performance.now();
         return { severity_ms: t1 - t0, search_first_ms: t3 - t2, matched: document.getElementById('matched').textContent };",
    );
    let host = d.js(
        "var t0 = performance.now(); var h = document.querySelector('#host-list details.host'); h.open = true;
         h.dispatchEvent(new Event('toggle')); return performance.now() - t0;",
    );
    println!("== HTML report at 5,000 hosts / 50,000 findings");
    println!(
        "report built in {:.2?}; rendered to HTML in {:.2?} ({} build)",
        built,
        rendered,
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    println!(
        "report.json size (compact): {:.1} MB; report.html: {:.1} MB",
        json_size as f64 / 1e6,
        size as f64 / 1e6
    );
    for (i, (nav, t)) in loads.iter().enumerate() {
        println!(
            "load {}: WebDriver navigation {:.0?}; DOMContentLoaded {:.0} ms, load event {:.0} ms, first render done {:.0} ms after navigation start (script {:.0} ms: unpack {:.0}, JSON.parse {:.0}); JS heap {:.0} MB",
            i + 1,
            nav,
            t["dcl"].as_f64().unwrap_or(0.0),
            t["load"].as_f64().unwrap_or(0.0),
            t["ready"].as_f64().unwrap_or(0.0),
            t["script"].as_f64().unwrap_or(0.0),
            t["unpack"].as_f64().unwrap_or(0.0),
            t["parse"].as_f64().unwrap_or(0.0),
            t["heap"].as_f64().unwrap_or(0.0) / 1e6
        );
    }
    // The same page with the island as plain JSON, for comparison.
    let plain_dir = tempfile::tempdir().unwrap();
    let plain = write_page(
        plain_dir.path(),
        &report,
        &HtmlOptions {
            compress_over: usize::MAX,
        },
    );
    let plain_size = std::fs::metadata(&plain).unwrap().len();
    let nav = d.open(&plain);
    d.wait_ready();
    let p = d.js("var n = performance.getEntriesByType('navigation')[0]; return { load: n.loadEventEnd, ready: window.iisSweep.readyAt, parse: window.iisSweep.parseMs };");
    println!(
        "uncompressed island for comparison: report.html {:.1} MB; navigation {:.0?}, load event {:.0} ms, first render {:.0} ms (JSON.parse {:.0} ms)",
        plain_size as f64 / 1e6,
        nav,
        p["load"].as_f64().unwrap_or(0.0),
        p["ready"].as_f64().unwrap_or(0.0),
        p["parse"].as_f64().unwrap_or(0.0)
    );
    println!(
        "filter by severity: {:.1} ms; first text search (builds the index): {:.1} ms → {} matches; open a host: {:.1} ms",
        filter["severity_ms"].as_f64().unwrap(),
        filter["search_first_ms"].as_f64().unwrap(),
        filter["matched"],
        host.as_f64().unwrap()
    );
}

/// Rewrites `docs/report-overview.png` from a synthetic 200-host sweep.
#[test]
#[ignore = "writes docs/report-overview.png; run explicitly"]
fn overview_screenshot() {
    let Some((chromium, _)) = browser() else {
        return;
    };
    // Against a baseline: about 5% of its findings are gone now, and 150 findings are new.
    let baseline = synth::fleet(200, 1_250);
    let mut report = synth::fleet(200, 1_400);
    report
        .findings
        .retain(|f| !f.fingerprint.ends_with(['0', '1']));
    report.recompute_totals();
    iis_sweep::report::drift::compare(&mut report, &baseline, "sweeps/2026-02-01/report.json");
    let dir = tempfile::tempdir().unwrap();
    let page = write_page(dir.path(), &report, &HtmlOptions::default());
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/report-overview.png");
    let profile = tempfile::tempdir().unwrap();
    let status = Command::new(chromium)
        .args(chromium_args(profile.path()))
        .arg("--hide-scrollbars")
        .arg(format!("--screenshot={}", out.display()))
        .arg(format!("file://{}", page.canonicalize().unwrap().display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert!(out.metadata().unwrap().len() > 10_000);
}

/// Printing is how a report reaches management and a change window: the demo sweep's report,
/// printed by Chromium (`--print-to-pdf`, as a user would), holds the summary, the per-rule table,
/// every host name and every finding's fix command. The PDF's text is read with `pdftotext`
/// (poppler-utils); whitespace is ignored because the printer wraps long commands.
#[test]
fn printed_demo_report_has_the_summary_every_host_and_every_fix() {
    let Some((chromium, _)) = browser() else {
        return;
    };
    let Some(pdftotext) = find_binary("PDFTOTEXT", &["pdftotext"]) else {
        let msg =
            "pdftotext is needed to read the printed report: apt-get install -y poppler-utils";
        if std::env::var_os("CI").is_some() {
            panic!("{msg}");
        }
        eprintln!("SKIPPED: {msg}");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let status = Command::new(env!("CARGO_BIN_EXE_iis-sweep"))
        .args(["demo", "--hosts", "12", "-q", "--out"])
        .arg(&out)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "the demo sweep failed");
    let report: Report =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert!(report.findings.len() >= 5, "the demo has findings to print");

    let pdf = dir.path().join("report.pdf");
    let profile = tempfile::tempdir().unwrap();
    let status = Command::new(chromium)
        .args(chromium_args(profile.path()))
        .arg("--virtual-time-budget=10000")
        .arg("--no-pdf-header-footer")
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!(
            "file://{}",
            out.join("report.html").canonicalize().unwrap().display()
        ))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success() && pdf.is_file(), "Chromium did not print");
    // -layout keeps a hyphen at a line's end (the plain mode joins "-\nsection" to "section").
    let text = Command::new(pdftotext)
        .arg("-layout")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(text.status.success(), "pdftotext failed");
    let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let printed = squash(&String::from_utf8_lossy(&text.stdout));

    for heading in [
        "Mostaffectedhosts",
        "Rulesacrossthefleet",
        "Hostsandtheirfindings",
    ] {
        assert!(printed.contains(heading), "the PDF has no {heading}");
    }
    assert!(printed.contains(&squash(&report.run.scope.describe(None))));
    let evaluated = report.hosts.iter().filter(|h| h.status.evaluated()).count();
    let line = format!(
        "{} hosts in scope: {evaluated} evaluated ({} clean, {} partly evaluated), {} could not be evaluated; {} open findings",
        report.hosts.len(),
        report.hosts.iter().filter(|h| h.clean()).count(),
        report.hosts.iter().filter(|h| h.partly_evaluated()).count(),
        report.hosts.len() - evaluated,
        report.totals.findings,
    );
    assert!(printed.contains(&squash(&line)), "the PDF lacks: {line}");
    for rule in &report.rules {
        assert!(
            printed.contains(&squash(&format!("{} {}", rule.code, rule.name))),
            "rule {} is missing from the per-rule table",
            rule.code
        );
    }
    for h in &report.hosts {
        assert!(
            printed.contains(&squash(&h.name)),
            "host {} is missing",
            h.name
        );
    }
    for f in &report.findings {
        assert!(
            printed.contains(&squash(&f.fix)),
            "the fix of {} on {} is missing from the PDF: {}",
            f.rule,
            f.host,
            f.fix
        );
    }
}

/// Rewrites `docs/report-summary.png` (the demo sweep's summary, per-rule table) and
/// `docs/report-hostile.png` (the hostile-strings report with every host opened).
#[test]
#[ignore = "writes docs/report-summary.png and docs/report-hostile.png; run explicitly"]
fn summary_and_hostile_screenshots() {
    let Some((chromium, chromedriver)) = browser() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let status = Command::new(env!("CARGO_BIN_EXE_iis-sweep"))
        .args(["demo", "--hosts", "40", "-q", "--out"])
        .arg(&out)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs");
    let shoot = |page: &Path, png: &Path, height: u32| {
        let profile = tempfile::tempdir().unwrap();
        let mut args = chromium_args(profile.path());
        args.retain(|a| !a.starts_with("--window-size"));
        let status = Command::new(&chromium)
            .args(args)
            .arg(format!("--window-size=1280,{height}"))
            .arg("--hide-scrollbars")
            .arg("--virtual-time-budget=5000")
            .arg(format!("--screenshot={}", png.display()))
            .arg(format!("file://{}", page.canonicalize().unwrap().display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
    };
    shoot(
        &out.join("report.html"),
        &docs.join("report-summary.png"),
        1900,
    );

    let report = fixture::hostile_report();
    let page = write_page(dir.path(), &report, &HtmlOptions::default());
    let d = Driver::start(&chromium, &chromedriver);
    d.open(&page);
    d.wait_ready();
    d.js("document.querySelectorAll('#host-list details').forEach(function (x) { x.open = true; }); document.getElementById('hosts').scrollIntoView(); return 0;");
    std::thread::sleep(Duration::from_millis(300));
    let shot = d.call("GET", &d.path("/screenshot"), None);
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(shot.as_str().unwrap())
        .unwrap();
    std::fs::write(docs.join("report-hostile.png"), bytes).unwrap();
}
