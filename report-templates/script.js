// iis-sweep report page.
//
// Safety: every host-supplied string reaches the page through textContent, createTextNode or
// setAttribute on a non-URL attribute — never innerHTML — so it renders as text whatever it
// contains. Links are only made for http(s) references and in-page anchors.
//
// Scale: the report arrives as JSON (or gzip + base64 for big reports) in #report-data. Only what
// is on screen is built: one page of table rows, one page of hosts, and a host's details when it
// is opened. Filtering scans plain arrays, so 50,000 findings filter in milliseconds.
(function () {
  "use strict";
  var T0 = performance.now();
  var TIMES = { unpackMs: 0, parseMs: 0 };
  var SEVERITIES = ["critical", "high", "medium", "low", "info"];
  var SEV_RANK = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

  // ---- small DOM helpers -------------------------------------------------------------------
  function $(id) { return document.getElementById(id); }
  // Host-supplied text is shown as it is, except what a reader cannot see: control characters,
  // zero-width characters and bidi controls become visible ⟦U+XXXX⟧ marks (a right-to-left
  // override cannot reorder what follows it), and text longer than CLAMP is cut with the whole,
  // marked value on hover. Copy buttons copy the original value.
  var HIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]/g;
  var CLAMP = 400;
  function visible(s) {
    return String(s).replace(HIDDEN, function (c) {
      var h = c.charCodeAt(0).toString(16).toUpperCase();
      return "\u27e6U+" + "0000".slice(h.length) + h + "\u27e7";
    });
  }
  function textNode(s, e) {
    var v = visible(s);
    if (v.length > CLAMP && e.tagName !== "PRE") {
      if (e.setAttribute && !e.getAttribute("title")) e.setAttribute("title", v.length > 20000 ? v.slice(0, 20000) + "…" : v);
      v = v.slice(0, CLAMP) + "… (" + v.length + " characters)";
    }
    return document.createTextNode(v);
  }
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (!Object.prototype.hasOwnProperty.call(attrs, k) || attrs[k] == null) continue;
        if (k === "text") e.appendChild(textNode(attrs[k], e));
        else if (k === "cls") e.className = attrs[k];
        else e.setAttribute(k, k === "title" ? visible(attrs[k]) : attrs[k]);
      }
    }
    if (children) {
      for (var i = 0; i < children.length; i++) {
        var c = children[i];
        if (c == null || c === false) continue;
        e.appendChild(typeof c === "string" ? textNode(c, e) : c);
      }
    }
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function sevBadge(s) { return el("span", { cls: "sev sev-" + (SEV_RANK[s] != null ? s : "info"), text: s }); }
  function statusBadge(s) { return el("span", { cls: "status status-" + String(s).replace(/[^a-z-]/g, ""), text: s }); }
  function safeLink(text) {
    return /^https?:\/\//i.test(text) ? el("a", { href: text, rel: "noreferrer noopener", target: "_blank", text: text }) : document.createTextNode(text);
  }
  function where(f) { return [f.site, f.url_path || f.application].filter(Boolean).join(" › "); }
  function evidenceLine(e) { return e.location ? e.location + (e.line ? ":" + e.line : "") : e.kind; }

  function copyButton(text) {
    var b = el("button", { type: "button", cls: "copy", text: "Copy", title: "Copy the command" });
    b.addEventListener("click", function (ev) {
      ev.stopPropagation();
      var done = function () { b.textContent = "Copied"; setTimeout(function () { b.textContent = "Copy"; }, 1500); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text) ? done() : (b.textContent = "Select and copy"); });
      } else if (fallbackCopy(text)) done(); else b.textContent = "Select and copy";
    });
    return b;
  }
  function fallbackCopy(text) {
    var ta = el("textarea", { readonly: "", "aria-hidden": "true" });
    ta.value = text;
    ta.className = "offscreen";
    document.body.appendChild(ta);
    ta.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(ta);
    return ok;
  }

  // ---- loading -----------------------------------------------------------------------------
  function load() {
    var node = $("report-data");
    var enc = node.getAttribute("data-encoding") || "json";
    var text = node.textContent;
    if (enc === "json") {
      var t = performance.now(), r = JSON.parse(text);
      TIMES.parseMs = performance.now() - t;
      return Promise.resolve(r);
    }
    if (enc === "gzip+base64") {
      if (typeof DecompressionStream === "undefined") {
        return Promise.reject(new Error("This browser cannot unpack the report data (it needs DecompressionStream: Chrome or Edge 80+, Firefox 113+, Safari 16.4+). report.json holds the same data."));
      }
      var bin = atob(text.trim());
      var bytes = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
      return new Response(stream).text().then(function (json) {
        TIMES.unpackMs = performance.now() - T0;
        var t = performance.now(), r = JSON.parse(json);
        TIMES.parseMs = performance.now() - t;
        return r;
      });
    }
    return Promise.reject(new Error("unknown data encoding " + enc));
  }
  function fail(err) {
    var box = $("load-error");
    box.hidden = false;
    box.textContent = "The interactive parts of this report could not start: " + (err && err.message ? err.message : String(err));
    window.iisSweep = { ready: false, error: String(err) };
    document.documentElement.setAttribute("data-ready", "error");
  }

  // ---- pager -------------------------------------------------------------------------------
  // Pages of `count` items: `renderPage(start, end)` draws one page, `bar` gets the controls.
  function Pager(bar, size, renderPage) {
    this.bar = bar; this.size = size; this.page = 0; this.count = 0;
    this.renderPage = renderPage;
  }
  Pager.prototype.pages = function () { return Math.max(1, Math.ceil(this.count / this.size)); };
  Pager.prototype.reset = function (count) { this.count = count; this.page = 0; this.draw(); };
  Pager.prototype.go = function (p) { this.page = Math.min(Math.max(0, p), this.pages() - 1); this.draw(); };
  Pager.prototype.draw = function () {
    var self = this, start = this.page * this.size, end = Math.min(this.count, start + this.size);
    this.renderPage(start, end);
    clear(this.bar);
    if (this.count > this.size) {
      var prev = el("button", { type: "button", text: "‹ Previous" }), next = el("button", { type: "button", text: "Next ›" });
      prev.disabled = this.page === 0; next.disabled = this.page >= this.pages() - 1;
      prev.addEventListener("click", function () { self.go(self.page - 1); });
      next.addEventListener("click", function () { self.go(self.page + 1); });
      var sizeSel = el("select", { "aria-label": "Rows per page" });
      [25, 50, 100, 250, 1000].forEach(function (n) {
        var o = el("option", { value: String(n), text: n + " per page" });
        if (n === self.size) o.selected = true;
        sizeSel.appendChild(o);
      });
      sizeSel.addEventListener("change", function () { self.size = +sizeSel.value; self.go(0); });
      this.bar.appendChild(prev);
      this.bar.appendChild(el("span", { cls: "page-no", text: "page " + (this.page + 1) + " of " + this.pages() }));
      this.bar.appendChild(next);
      this.bar.appendChild(sizeSel);
    }
  };

  // ---- the page ----------------------------------------------------------------------------
  function init(report) {
    var findings = report.findings || [], hosts = report.hosts || [];
    var hostByName = {}, findingsByHost = {}, ruleNames = {};
    hosts.forEach(function (h) { hostByName[h.name] = h; });
    findings.forEach(function (f) { (findingsByHost[f.host] = findingsByHost[f.host] || []).push(f); });
    (report.rules || []).forEach(function (r) { ruleNames[r.code] = r.name; });
    var hasBaseline = !!report.baseline;

    // Finding details, shared by the table and the host drill-down.
    function findingDetails(f) {
      var parts = [];
      if (f.physical_path) parts.push(el("div", { cls: "loc" }, ["folder: ", el("code", { text: f.physical_path })]));
      if (f.confidence && f.confidence !== "certain") parts.push(el("p", { cls: "note unsure", text: "Confidence: holds " + f.confidence + " (that file was not seen)." }));
      if (f.application) parts.push(el("div", { cls: "loc", text: "application: " + f.application }));
      if ((f.evidence || []).length) {
        parts.push(el("h4", { text: "Evidence" }));
        parts.push(el("ul", { cls: "evidence" }, f.evidence.map(function (e) {
          return el("li", {}, [el("span", { cls: "loc", text: evidenceLine(e) + " " }), el("code", { text: e.text })]);
        })));
      }
      if (f.log_evidence) {
        var le = f.log_evidence, w32 = Object.keys(le.by_win32 || {}).map(function (k) { return "win32 " + k + " ×" + le.by_win32[k]; });
        parts.push(el("h4", { text: "Log evidence" }));
        parts.push(el("p", { cls: "loc", text: le.count + " logged 401 " + f.substatus + " responses on site " + (f.site ? f.site + " (id " + le.site_id + ")" : "id " + le.site_id) +
          (w32.length ? " (" + w32.join(", ") + ")" : "") + (le.first ? ", " + le.first + " – " + (le.last || "") : "") }));
      }
      if (f.waived) parts.push(el("p", { cls: "loc", text: "Waived until " + f.waived.expires + ": " + f.waived.justification }));
      parts.push(el("h4", { text: "Fix" }));
      parts.push(el("div", { cls: "fix" }, [el("pre", { text: f.fix }), copyButton(f.fix)]));
      if ((f.references || []).length) {
        parts.push(el("h4", { text: "References" }));
        parts.push(el("ul", {}, f.references.map(function (r) { return el("li", {}, [safeLink(r)]); })));
      }
      parts.push(el("div", { cls: "loc" }, ["fingerprint ", el("code", { text: f.fingerprint })]));
      return parts;
    }
    function badges(f) {
      var b = [];
      if (f.drift) b.push(el("span", { cls: "badge badge-" + (f.drift === "new" ? "new" : "unchanged"), text: f.drift }));
      if (f.waived) b.push(el("span", { cls: "badge badge-waived", text: "waived" }));
      if (f.confidence && f.confidence !== "certain") b.push(el("span", { cls: "badge badge-unsure", title: f.confidence, text: "unless overridden" }));
      return b;
    }

    // ---- findings table ----
    var hay = null;
    function haystack(i) {
      if (!hay) hay = new Array(findings.length);
      var h = hay[i];
      if (h === undefined) {
        var f = findings[i];
        h = [f.rule, f.name, f.host, f.site, f.application, f.url_path, f.physical_path, f.message, f.fingerprint,
          (f.evidence || []).map(function (e) { return (e.location || "") + " " + e.text; }).join(" ")].join("\n").toLowerCase();
        hay[i] = h;
      }
      return h;
    }
    function fillSelect(id, values, label) {
      var s = $(id);
      if (!s) return;
      var frag = document.createDocumentFragment();
      values.forEach(function (v) { frag.appendChild(el("option", { value: v, text: label ? label(v) : v })); });
      s.appendChild(frag);
    }
    function uniq(list) { var seen = {}, out = []; list.forEach(function (v) { if (v != null && !seen[v]) { seen[v] = 1; out.push(v); } }); return out.sort(); }
    fillSelect("f-substatus", uniq(findings.map(function (f) { return f.substatus; })));
    fillSelect("f-rule", uniq(findings.map(function (f) { return f.rule; })), function (c) { return ruleNames[c] ? c + " " + ruleNames[c] : c; });
    fillSelect("f-host", uniq(findings.map(function (f) { return f.host; })));
    var statuses = uniq(hosts.map(function (h) { return h.status; }));
    fillSelect("f-status", statuses);
    fillSelect("h-status", statuses);

    var matched = [];
    var tbody = $("finding-rows");
    function val(id) { var e = $(id); return e ? e.value : ""; }
    // The filters live in the URL (#filter:sev=high&rule=H010…), so a filtered view is a link
    // that can be shared; opening such a link restores it.
    var FILTER_IDS = { q: "q", sev: "f-severity", sub: "f-substatus", rule: "f-rule", host: "f-host", status: "f-status", waived: "f-waived", drift: "f-drift" };
    var findingSort = { key: "", dir: 1 };
    function filterState() {
      var parts = [];
      for (var k in FILTER_IDS) { var v = val(FILTER_IDS[k]); if (v) parts.push(k + "=" + encodeURIComponent(v)); }
      if (findingSort.key) parts.push("sort=" + (findingSort.dir < 0 ? "-" : "") + findingSort.key);
      return parts.join("&");
    }
    function restoreFilters() {
      var h = location.hash;
      if (h.indexOf("#filter:") !== 0) return;
      h.slice(8).split("&").forEach(function (p) {
        var i = p.indexOf("="), k = p.slice(0, i), v;
        try { v = decodeURIComponent(p.slice(i + 1)); } catch (e) { return; }
        if (k === "sort") { findingSort.dir = v.charAt(0) === "-" ? -1 : 1; findingSort.key = v.replace(/^-/, ""); return; }
        var e = FILTER_IDS[k] && $(FILTER_IDS[k]);
        if (!e) return;
        if (e.tagName === "SELECT" && !e.querySelector("option[value=\"" + v.replace(/["\\]/g, "\\$&") + "\"]")) e.appendChild(el("option", { value: v, text: v }));
        e.value = v;
      });
    }
    function saveFilters() {
      var st = filterState();
      if (!history.replaceState) return;
      var h = location.hash;
      if (!st && h.indexOf("#filter:") !== 0) return;
      try { history.replaceState(null, "", st ? "#filter:" + st : location.pathname + location.search); } catch (e) { /* file: pages may refuse */ }
    }
    var SORT_KEYS = {
      severity: function (f) { return SEV_RANK[f.severity]; }, rule: function (f) { return f.rule; }, substatus: function (f) { return f.substatus || ""; },
      host: function (f) { return f.host; }, where: function (f) { return where(f); }, message: function (f) { return f.message; }
    };
    function sortMatched() {
      var key = SORT_KEYS[findingSort.key];
      if (!key) return;
      var d = findingSort.dir;
      matched.sort(function (a, b) {
        var x = key(findings[a]), y = key(findings[b]);
        return (x < y ? -d : x > y ? d : 0) || a - b;
      });
    }
    function applyFilters() {
      var sev = val("f-severity"), sub = val("f-substatus"), rule = val("f-rule"), host = val("f-host"),
        hs = val("f-status"), waived = val("f-waived"), drift = val("f-drift"), q = val("q").trim().toLowerCase();
      var terms = q ? q.split(/\s+/) : [];
      matched = [];
      for (var i = 0; i < findings.length; i++) {
        var f = findings[i];
        if (sev && f.severity !== sev) continue;
        if (sub && f.substatus !== sub) continue;
        if (rule && f.rule !== rule) continue;
        if (host && f.host !== host) continue;
        if (hs && (!hostByName[f.host] || hostByName[f.host].status !== hs)) continue;
        if (waived === "yes" && !f.waived) continue;
        if (waived === "no" && f.waived) continue;
        if (drift && f.drift !== drift) continue;
        if (terms.length) {
          var h = haystack(i), ok = true;
          for (var t = 0; t < terms.length; t++) if (h.indexOf(terms[t]) < 0) { ok = false; break; }
          if (!ok) continue;
        }
        matched.push(i);
      }
      sortMatched();
      $("matched").textContent = matched.length;
      findingPager.reset(matched.length);
      saveFilters();
    }
    // Export of what the filters show (all matching rows, not just this page).
    var CSV_COLUMNS = ["severity", "rule", "name", "substatus", "host", "site", "application", "url_path", "physical_path", "message", "fix", "fingerprint"];
    function csvCell(v) {
      v = v == null ? "" : String(v);
      // A leading = + - @ would be a formula in a spreadsheet: quote it as text.
      if (/^[=+\-@\t\r]/.test(v)) v = "'" + v;
      return /[",\r\n]/.test(v) ? "\"" + v.replace(/"/g, "\"\"") + "\"" : v;
    }
    function exportFiltered(kind) {
      var rows = matched.map(function (i) { return findings[i]; });
      if (kind === "json") return JSON.stringify({ filter: filterState(), findings: rows }, null, 2);
      return [CSV_COLUMNS.join(",")].concat(rows.map(function (f) {
        return CSV_COLUMNS.map(function (c) { return csvCell(f[c]); }).join(",");
      })).join("\r\n") + "\r\n";
    }
    function download(kind) {
      var text = exportFiltered(kind);
      var blob = new Blob([text], { type: kind === "json" ? "application/json" : "text/csv" });
      var a = el("a", { href: URL.createObjectURL(blob), download: "findings-filtered." + kind });
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); document.body.removeChild(a); }, 1000);
    }
    ["csv", "json"].forEach(function (kind) {
      var b = $("export-" + kind);
      if (b) b.addEventListener("click", function () { download(kind); });
    });
    var heads = document.querySelectorAll("#finding-table th[data-key]");
    function markSort() {
      for (var i = 0; i < heads.length; i++) {
        var k = heads[i].getAttribute("data-key");
        if (k === findingSort.key) heads[i].setAttribute("aria-sort", findingSort.dir < 0 ? "descending" : "ascending");
        else heads[i].removeAttribute("aria-sort");
      }
    }
    Array.prototype.forEach.call(heads, function (th) {
      th.setAttribute("tabindex", "0");
      function go() {
        var k = th.getAttribute("data-key");
        findingSort.dir = findingSort.key === k ? -findingSort.dir : 1;
        findingSort.key = k;
        markSort();
        applyFilters();
      }
      th.addEventListener("click", go);
      th.addEventListener("keydown", function (ev) { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); go(); } });
    });
    function findingRow(f) {
      var tr = el("tr", { cls: "row rowsev-" + f.severity + (f.waived ? " waived" : ""), tabindex: "0", "aria-expanded": "false" }, [
        el("td", {}, [sevBadge(f.severity)]),
        el("td", {}, [el("a", { href: "#rule-" + f.rule, title: f.name, text: f.rule })]),
        el("td", { text: f.substatus }),
        el("td", {}, [hostLink(f.host)]),
        el("td", { text: where(f) }),
        el("td", { text: f.message }),
        el("td", {}, badges(f))
      ]);
      var detail = null;
      function toggle(ev) {
        if (ev && ev.target && ev.target.closest && ev.target.closest("a,button")) return;
        if (detail) { detail.parentNode.removeChild(detail); detail = null; tr.classList.remove("open"); tr.setAttribute("aria-expanded", "false"); return; }
        detail = el("tr", { cls: "detail" }, [el("td", { colspan: "7" }, findingDetails(f))]);
        tr.parentNode.insertBefore(detail, tr.nextSibling);
        tr.classList.add("open");
        tr.setAttribute("aria-expanded", "true");
      }
      tr.addEventListener("click", toggle);
      tr.addEventListener("keydown", function (ev) { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); toggle(); } });
      return tr;
    }
    var findingPager = new Pager($("finding-pager"), 100, function (start, end) {
      clear(tbody);
      var frag = document.createDocumentFragment();
      for (var i = start; i < end; i++) frag.appendChild(findingRow(findings[matched[i]]));
      if (start === end) frag.appendChild(el("tr", {}, [el("td", { colspan: "7", cls: "none", text: findings.length ? "No finding matches the filters." : "No findings." })]));
      tbody.appendChild(frag);
      $("shown").textContent = end - start;
    });
    var timer = null;
    $("q").addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(applyFilters, 120); });
    ["f-severity", "f-substatus", "f-rule", "f-host", "f-status", "f-waived", "f-drift"].forEach(function (id) {
      if ($(id)) $(id).addEventListener("change", applyFilters);
    });
    $("filters").addEventListener("submit", function (e) { e.preventDefault(); applyFilters(); });
    $("filters").addEventListener("reset", function () { setTimeout(applyFilters, 0); });

    // ---- hosts ----
    function hostLink(name) {
      var b = el("button", { type: "button", cls: "linkish", text: name, title: "Show this host" });
      b.addEventListener("click", function (ev) { ev.stopPropagation(); showHost(name); });
      return b;
    }
    var hostMatched = [];
    var hostList = $("host-list");
    // Open findings per host and severity, [critical, high, medium, low, info].
    var openBySev = {};
    findings.forEach(function (f) {
      if (f.waived) return;
      var c = openBySev[f.host] || (openBySev[f.host] = [0, 0, 0, 0, 0]);
      c[SEV_RANK[f.severity] != null ? SEV_RANK[f.severity] : 4]++;
    });
    function sevCounts(name) { return openBySev[name] || [0, 0, 0, 0, 0]; }
    function total(c) { return c[0] + c[1] + c[2] + c[3] + c[4]; }
    function breakdown(name) {
      var c = sevCounts(name), parts = [];
      for (var i = 0; i < 5; i++) if (c[i]) parts.push(c[i] + " " + SEVERITIES[i]);
      return parts.join(", ");
    }
    function applyHostFilters() {
      var q = val("hq").trim().toLowerCase(), st = val("h-status"), hf = val("h-findings");
      hostMatched = [];
      for (var i = 0; i < hosts.length; i++) {
        var h = hosts[i];
        if (q && h.name.toLowerCase().indexOf(q) < 0) continue;
        if (st && h.status !== st) continue;
        var n = (findingsByHost[h.name] || []).length;
        if (hf === "yes" && !n) continue;
        if (hf === "no" && n) continue;
        hostMatched.push(i);
      }
      var order = val("h-sort");
      if (order) {
        hostMatched.sort(function (a, b) {
          var x = sevCounts(hosts[a].name), y = sevCounts(hosts[b].name), d = 0;
          if (order === "severity") for (var k = 0; k < 5 && !d; k++) d = y[k] - x[k];
          return d || (total(y) - total(x)) || (hosts[a].name < hosts[b].name ? -1 : hosts[a].name > hosts[b].name ? 1 : 0);
        });
      }
      $("hosts-matched").textContent = hostMatched.length;
      hostPager.reset(hostMatched.length);
    }
    var hostPager = new Pager($("host-pager"), 50, function (start, end) {
      clear(hostList);
      var frag = document.createDocumentFragment();
      for (var i = start; i < end; i++) frag.appendChild(hostNode(hosts[hostMatched[i]]));
      if (start === end) frag.appendChild(el("p", { cls: "none", text: "No host matches." }));
      hostList.appendChild(frag);
      $("hosts-shown").textContent = end - start;
    });
    function kv(pairs) {
      var dl = el("dl", { cls: "kv" });
      pairs.forEach(function (p) { if (p[1] == null || p[1] === "") return; dl.appendChild(el("dt", { text: p[0] })); dl.appendChild(el("dd", { text: p[1] })); });
      return dl;
    }
    function hostDetails(h, d) {
      var fs = findingsByHost[h.name] || [];
      var t = h.timings || {};
      var timing = (t.collect_ms != null ? "collect " + t.collect_ms + " ms, " : "") + "analyze " + (t.analyze_ms || 0) + " ms";
      d.appendChild(kv([
        ["status", h.status + (h.reason ? ": " + h.reason : "")],
        ["source", h.source],
        ["OS", h.os],
        ["IIS", h.iis_version],
        ["collected", h.collected_at],
        ["timings", timing],
        ["sites / applications", h.sites + " / " + h.applications],
        ["rules evaluated", String((h.rules_evaluated || []).length)],
        ["findings", String(fs.length)]
      ]));
      (h.problems || []).forEach(function (p) { d.appendChild(el("p", { cls: "note", text: p })); });
      var cov = h.coverage || {};
      if ((cov.parts || []).length) {
        d.appendChild(el("h4", { text: cov.evaluated ? "Coverage" : "Coverage: not evaluated (this is not a clean result)" }));
        d.appendChild(el("ul", { cls: "coverage" }, cov.parts.map(function (p) {
          return el("li", {}, [el("span", { cls: "cov cov-" + p.state, text: p.state.replace("-", " ") }), " " + p.part + (p.detail ? ": " + p.detail : "")]);
        })));
      }
      if ((cov.not_seen || []).length) {
        d.appendChild(el("h4", { text: "Delegated to web.config files that were not seen" }));
        d.appendChild(el("ul", {}, cov.not_seen.map(function (n) {
          return el("li", {}, [n.site + " " + n.url_path + ": ", el("code", { text: n.file }), " (" + n.reason + ") may set " +
            n.sections.map(function (s) { return s.split("/").pop(); }).join(", ")]);
        })));
      }
      if ((h.not_evaluated || []).length) {
        d.appendChild(el("h4", { text: "Rules not evaluated" }));
        d.appendChild(el("ul", {}, h.not_evaluated.map(function (n) { return el("li", {}, [el("code", { text: n.rule }), " " + n.reason]); })));
      }
      var logs = h.log_401 || {}, siteNames = h.log_401_sites || {}, siteIds = Object.keys(logs);
      if (siteIds.length) {
        d.appendChild(el("h4", { text: "401 responses in the IIS logs (challenge legs excluded)" }));
        d.appendChild(el("ul", {}, siteIds.map(function (site) {
          var label = siteNames[site] != null ? siteNames[site] + " (id " + site + ")" : "site id " + site;
          return el("li", {}, [el("b", { text: label }), ": " + Object.keys(logs[site]).map(function (k) { return k + " ×" + logs[site][k]; }).join(", ")]);
        })));
      }
      if (!fs.length) { d.appendChild(el("p", { cls: "none", text: h.status === "ok" ? "No findings: clean." : h.status === "partial" ? "No findings in what was evaluated (see coverage)." : "Not evaluated: no result, which is not clean." })); return; }
      // sites → applications → findings
      var bySite = {};
      fs.forEach(function (f) {
        var s = f.site || "(host-wide)", a = f.application || "/";
        bySite[s] = bySite[s] || {};
        (bySite[s][a] = bySite[s][a] || []).push(f);
      });
      Object.keys(bySite).sort().forEach(function (site) {
        var apps = bySite[site], appKeys = Object.keys(apps).sort(), n = 0;
        appKeys.forEach(function (a) { n += apps[a].length; });
        var sd = el("details", { cls: "site" }, [el("summary", {}, [el("b", { text: site }), " — " + n + (n === 1 ? " finding" : " findings")])]);
        if (Object.keys(bySite).length === 1) sd.open = true;
        appKeys.forEach(function (a) {
          var ad = el("details", { cls: "app" }, [el("summary", {}, ["application ", el("code", { text: a }), " — " + apps[a].length])]);
          ad.open = appKeys.length === 1;
          apps[a].forEach(function (f) {
            ad.appendChild(el("div", { cls: "finding fsev-" + f.severity }, [
              el("div", { cls: "head" }, [sevBadge(f.severity), el("a", { href: "#rule-" + f.rule, text: f.rule }), el("b", { text: f.name }),
                el("span", { cls: "sub", text: f.substatus }), el("span", { cls: "loc", text: f.url_path || "" })].concat(badges(f))),
              el("p", { text: f.message })
            ].concat(findingDetails(f))));
          });
          sd.appendChild(ad);
        });
        d.appendChild(sd);
      });
    }
    function hostNode(h) {
      var n = total(sevCounts(h.name)), bd = breakdown(h.name);
      var d = el("details", { cls: "host", "data-host": h.name }, [el("summary", {}, [
        el("b", { text: h.name }), " ", statusBadge(h.status),
        " " + n + (n === 1 ? " open finding" : " open findings") + (bd ? " (" + bd + ")" : "") + " · " + h.sites + " sites · " + h.applications + " applications" +
        (h.iis_version ? " · IIS " + h.iis_version : "") + (h.reason ? " · " + h.reason : "")
      ])]);
      var built = false;
      d.addEventListener("toggle", function () { if (d.open && !built) { built = true; hostDetails(h, d); } });
      return d;
    }
    function showHost(name) {
      $("hq").value = name;
      $("h-status").value = "";
      $("h-findings").value = "";
      applyHostFilters();
      var nodes = hostList.querySelectorAll("details.host");
      for (var i = 0; i < nodes.length; i++) {
        if (nodes[i].getAttribute("data-host") === name) { nodes[i].open = true; nodes[i].scrollIntoView({ block: "start" }); break; }
      }
    }
    var htimer = null;
    $("hq").addEventListener("input", function () { clearTimeout(htimer); htimer = setTimeout(applyHostFilters, 120); });
    $("h-status").addEventListener("change", applyHostFilters);
    $("h-findings").addEventListener("change", applyHostFilters);
    $("h-sort").addEventListener("change", applyHostFilters);
    $("host-filters").addEventListener("submit", function (e) { e.preventDefault(); applyHostFilters(); });

    // ---- resolved (drift) ----
    if (hasBaseline && $("resolved-rows")) {
      var resolved = report.baseline.resolved || [], rbody = $("resolved-rows");
      var resolvedPager = new Pager($("resolved-pager"), 50, function (start, end) {
        clear(rbody);
        var frag = document.createDocumentFragment();
        for (var i = start; i < end; i++) {
          var f = resolved[i];
          frag.appendChild(el("tr", {}, [el("td", {}, [sevBadge(f.severity)]), el("td", { text: f.rule }), el("td", { text: f.substatus }),
            el("td", { text: f.host }), el("td", { text: where(f) }), el("td", { text: f.message })]));
        }
        if (start === end) frag.appendChild(el("tr", {}, [el("td", { colspan: "6", cls: "none", text: "Nothing was resolved." })]));
        rbody.appendChild(frag);
      });
      resolvedPager.reset(resolved.length);
    }

    // ---- print edition: every host, every finding and its fix, expanded ----
    // Built at load for reports up to PRINT_EAGER findings (printing from a headless browser may
    // not fire beforeprint); bigger reports build it when a print starts.
    var PRINT_EAGER = 5000, printBuilt = false;
    function buildPrint() {
      var list = $("print-host-list");
      if (printBuilt || !list) return;
      printBuilt = true;
      var order = hosts.slice().sort(function (a, b) { return a.name < b.name ? -1 : a.name > b.name ? 1 : 0; });
      var frag = document.createDocumentFragment();
      order.forEach(function (h) {
        var fs = (findingsByHost[h.name] || []).slice().sort(function (a, b) {
          return (SEV_RANK[a.severity] - SEV_RANK[b.severity]) || (where(a) < where(b) ? -1 : where(a) > where(b) ? 1 : 0);
        });
        var open = fs.filter(function (f) { return !f.waived; }).length;
        var cov = (h.coverage && h.coverage.parts) || [];
        var gaps = cov.filter(function (p) { return p.state !== "evaluated"; }).map(function (p) { return p.part + " " + p.state.replace("-", " "); });
        var box = el("div", { cls: "phost", "data-host": h.name }, [
          el("h3", {}, [el("span", { text: h.name }), " ", statusBadge(h.status)]),
          el("p", { cls: "loc", text: open + (open === 1 ? " open finding" : " open findings") + (fs.length > open ? ", " + (fs.length - open) + " waived" : "") +
            " · " + h.sites + " sites · " + h.applications + " applications" + (h.iis_version ? " · IIS " + h.iis_version : "") +
            (gaps.length ? " · coverage: " + gaps.join(", ") : cov.length ? " · fully evaluated" : "") })
        ]);
        if (h.reason) box.appendChild(el("p", { cls: "note", text: h.reason }));
        if (!fs.length) box.appendChild(el("p", { cls: "none", text: h.status === "ok" ? "No findings: clean." : h.status === "partial" ? "No findings in what was evaluated (see coverage)." : "Not evaluated: no result, which is not clean." }));
        fs.forEach(function (f) {
          box.appendChild(el("div", { cls: "pfinding fsev-" + f.severity }, [
            el("div", { cls: "head" }, [sevBadge(f.severity), " ", el("b", { text: f.rule + " " + f.name }), " ", el("span", { cls: "sub", text: f.substatus }), " ", el("span", { cls: "loc", text: where(f) })].concat(badges(f))),
            el("p", { text: f.message })
          ].concat(findingDetails(f))));
        });
        frag.appendChild(box);
      });
      list.appendChild(frag);
      $("print-status").textContent = hosts.length + (hosts.length === 1 ? " host" : " hosts") + " by name; each finding with its evidence and fix command.";
    }
    if (findings.length <= PRINT_EAGER) buildPrint();
    window.addEventListener("beforeprint", buildPrint);
    if (window.matchMedia) {
      var pm = window.matchMedia("print");
      if (pm.addEventListener) pm.addEventListener("change", function (e) { if (e.matches) buildPrint(); });
    }

    // ---- rules appendix: open the rule a link points at ----
    function openRuleFromHash() {
      var id;
      try { id = decodeURIComponent(location.hash.slice(1)); } catch (e) { return; }
      if (id.indexOf("rule-") !== 0) return;
      var d = $(id);
      if (d && d.tagName === "DETAILS") { d.open = true; d.scrollIntoView({ block: "start" }); }
    }
    window.addEventListener("hashchange", openRuleFromHash);

    restoreFilters();
    markSort();
    applyFilters();
    applyHostFilters();
    openRuleFromHash();

    // Exposed for the browser tests and for anyone curious how long the page took.
    window.iisSweep = {
      ready: true, findings: findings.length, hosts: hosts.length, exportFiltered: exportFiltered, buildPrint: buildPrint,
      unpackMs: TIMES.unpackMs, parseMs: TIMES.parseMs, scriptMs: performance.now() - T0, readyAt: performance.now()
    };
    document.documentElement.setAttribute("data-ready", "1");
  }

  // ---- sortable server-rendered tables (table.sortable) --------------------------------------
  function sortable(table) {
    var ths = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(ths, function (th, col) {
      th.setAttribute("tabindex", "0");
      function go() {
        var kind = th.getAttribute("data-sort") || "text";
        // Numbers sort largest first, text A→Z; a second click reverses.
        var first = kind === "text" ? "ascending" : "descending";
        var dir = th.getAttribute("aria-sort") === first ? (first === "ascending" ? "descending" : "ascending") : first;
        Array.prototype.forEach.call(ths, function (o) { o.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir);
        var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows), d = dir === "ascending" ? 1 : -1;
        function key(tr) {
          var t = tr.cells[col] ? tr.cells[col].textContent.trim() : "";
          if (kind === "num") return parseFloat(t) || 0;
          if (kind === "sev") return -(SEV_RANK[t] != null ? SEV_RANK[t] : 5);
          return t.toLowerCase();
        }
        rows.map(function (r, i) { return [key(r), i, r]; })
          .sort(function (a, b) { return (a[0] < b[0] ? -d : a[0] > b[0] ? d : 0) || a[1] - b[1]; })
          .forEach(function (e) { body.appendChild(e[2]); });
      }
      th.addEventListener("click", go);
      th.addEventListener("keydown", function (ev) { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); go(); } });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), sortable);

  // ---- rules appendix: the docs' Markdown (`code`, **bold**, links) as elements -------------
  // Built from the text with DOM calls (never innerHTML); links only for http(s) URLs.
  function inline(text) {
    var out = [], re = /`([^`]+)`|\*\*([^*]+)\*\*|(https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"])/g, last = 0, m;
    while ((m = re.exec(text))) {
      if (m.index > last) out.push(document.createTextNode(text.slice(last, m.index)));
      if (m[1] != null) out.push(el("code", { text: m[1] }));
      else if (m[2] != null) out.push(el("b", { text: m[2] }));
      else out.push(safeLink(m[3]));
      last = re.lastIndex;
    }
    if (last < text.length) out.push(document.createTextNode(text.slice(last)));
    return out;
  }
  Array.prototype.forEach.call(document.querySelectorAll("#rules .doc, #rules details.rule li"), function (node) {
    var parts = inline(node.textContent);
    if (parts.length === 1 && parts[0].nodeType === 3) return;
    clear(node);
    parts.forEach(function (p) { node.appendChild(p); });
  });

  try { load().then(init).catch(fail); } catch (e) { fail(e); }
})();
