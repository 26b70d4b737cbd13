// iis-sweep report page. Every host-supplied string reaches the page through textContent or
// setAttribute, never innerHTML, so it renders as text whatever it contains.
(function () {
  "use strict";
  var report = JSON.parse(document.getElementById("report-data").textContent);
  var PAGE = 100;
  var SEV_ORDER = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };
  var hostStatus = {};
  report.hosts.forEach(function (h) { hostStatus[h.name] = h.status; });

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k]; else if (k === "cls") e.className = attrs[k]; else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }
  function svgEl(tag, attrs) {
    var e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }

  // ---- charts: horizontal bars, inline SVG ----
  function barChart(id, entries, colors) {
    var box = document.getElementById(id);
    if (!box) return;
    if (!entries.length) { box.appendChild(el("p", { text: "none" })); return; }
    var max = Math.max.apply(null, entries.map(function (e) { return e[1]; }));
    var rowH = 18, w = 360, labelW = 130;
    var svg = svgEl("svg", { viewBox: "0 0 " + w + " " + (entries.length * rowH + 4), role: "img" });
    entries.forEach(function (e, i) {
      var bw = max ? Math.max(2, (w - labelW - 50) * e[1] / max) : 0;
      var label = svgEl("text", { x: 0, y: i * rowH + 13 });
      label.textContent = String(e[0]).slice(0, 22);
      var rect = svgEl("rect", { x: labelW, y: i * rowH + 3, width: bw, height: rowH - 6, rx: 2, fill: (colors && colors[e[0]]) || "#0b5cad" });
      var t = svgEl("title", {}); t.textContent = e[0] + ": " + e[1]; rect.appendChild(t);
      var val = svgEl("text", { x: labelW + bw + 4, y: i * rowH + 13 });
      val.textContent = e[1];
      svg.appendChild(label); svg.appendChild(rect); svg.appendChild(val);
    });
    box.appendChild(svg);
  }
  function sortedEntries(obj, limit) {
    return Object.keys(obj || {}).map(function (k) { return [k, obj[k]]; })
      .sort(function (a, b) { return b[1] - a[1] || (a[0] < b[0] ? -1 : 1); }).slice(0, limit || 12);
  }
  var t = report.totals;
  barChart("chart-severity", ["critical", "high", "medium", "low", "info"].filter(function (s) { return t.by_severity[s]; })
    .map(function (s) { return [s, t.by_severity[s]]; }), { critical: "#7a0019", high: "#c62828", medium: "#ef6c00", low: "#2e7d32", info: "#455a64" });
  barChart("chart-substatus", sortedEntries(t.by_substatus));
  barChart("chart-rule", sortedEntries(t.by_rule));
  var sites = {};
  report.findings.forEach(function (f) { if (!f.waived && f.site) { var k = f.host + " / " + f.site; sites[k] = (sites[k] || 0) + 1; } });
  barChart("chart-sites", sortedEntries(sites, 10));

  // ---- filters ----
  function fillSelect(id, values) {
    var s = document.getElementById(id);
    values.forEach(function (v) { s.appendChild(el("option", { value: v, text: v })); });
  }
  function uniq(list) { var seen = {}; return list.filter(function (v) { if (seen[v]) return false; seen[v] = 1; return true; }).sort(); }
  fillSelect("f-substatus", uniq(report.findings.map(function (f) { return f.substatus; })));
  fillSelect("f-rule", uniq(report.findings.map(function (f) { return f.rule; })));
  fillSelect("f-host", uniq(report.findings.map(function (f) { return f.host; })));
  fillSelect("f-status", uniq(report.hosts.map(function (h) { return h.status; })));

  var current = [], shown = 0;
  function val(id) { return document.getElementById(id).value; }
  function matches(f) {
    var q = val("q").toLowerCase();
    if (val("f-severity") && f.severity !== val("f-severity")) return false;
    if (val("f-substatus") && f.substatus !== val("f-substatus")) return false;
    if (val("f-rule") && f.rule !== val("f-rule")) return false;
    if (val("f-host") && f.host !== val("f-host")) return false;
    if (val("f-status") && hostStatus[f.host] !== val("f-status")) return false;
    if (val("f-waived") === "yes" && !f.waived) return false;
    if (val("f-waived") === "no" && f.waived) return false;
    if (q) {
      var hay = [f.rule, f.name, f.host, f.site, f.application, f.url_path, f.physical_path, f.message].join(" ").toLowerCase();
      if (hay.indexOf(q) < 0) return false;
    }
    return true;
  }
  function copyButton(text) {
    var b = el("button", { type: "button", cls: "copy", text: "Copy" });
    b.addEventListener("click", function () {
      if (navigator.clipboard) navigator.clipboard.writeText(text).then(function () { b.textContent = "Copied"; }, function () { b.textContent = "Select and copy"; });
    });
    return b;
  }
  function findingNode(f) {
    var where = [f.host, f.site, f.url_path].filter(Boolean).join(" › ");
    var head = el("div", { cls: "head" }, [
      el("span", { cls: "sev sev-" + f.severity, text: f.severity }),
      el("code", { text: f.rule }), el("strong", { text: f.name }), el("span", { cls: "sub", text: f.substatus }),
      el("span", { cls: "where", text: where }),
      f.waived ? el("span", { cls: "tag", text: "waived until " + f.waived.expires }) : null,
      f.drift ? el("span", { cls: "tag", text: f.drift }) : null
    ]);
    var ev = el("ul", { cls: "evidence" }, (f.evidence || []).map(function (e) {
      var loc = e.location ? e.location + (e.line ? ":" + e.line : "") : e.kind;
      return el("li", {}, [el("span", { cls: "loc", text: loc + " " }), el("code", { text: e.text })]);
    }));
    var parts = [head, el("p", { text: f.message })];
    if (f.physical_path) parts.push(el("div", { cls: "loc", text: "folder: " + f.physical_path }));
    parts.push(ev);
    if (f.log_evidence) parts.push(el("p", { cls: "loc", text: "IIS log: " + f.log_evidence.count + " matching 401 responses on site " + f.log_evidence.site_id }));
    if (f.waived) parts.push(el("p", { cls: "loc", text: "Waiver: " + f.waived.justification }));
    parts.push(el("div", { cls: "fix" }, [el("pre", { text: f.fix }), copyButton(f.fix)]));
    return el("div", { cls: "finding sev-" + f.severity + (f.waived ? " waived" : ""), "data-rule": f.rule }, parts);
  }
  function renderMore() {
    var list = document.getElementById("finding-list");
    var end = Math.min(current.length, shown + PAGE);
    var frag = document.createDocumentFragment();
    for (var i = shown; i < end; i++) frag.appendChild(findingNode(current[i]));
    list.appendChild(frag);
    shown = end;
    document.getElementById("shown").textContent = shown;
    document.getElementById("more").style.display = shown < current.length ? "" : "none";
  }
  function apply() {
    current = report.findings.filter(matches);
    current.sort(function (a, b) { return SEV_ORDER[a.severity] - SEV_ORDER[b.severity]; });
    shown = 0;
    document.getElementById("finding-list").textContent = "";
    document.getElementById("total").textContent = current.length;
    renderMore();
  }
  ["q", "f-severity", "f-substatus", "f-rule", "f-host", "f-status", "f-waived"].forEach(function (id) {
    document.getElementById(id).addEventListener(id === "q" ? "input" : "change", apply);
  });
  document.getElementById("filters").addEventListener("submit", function (e) { e.preventDefault(); });
  document.getElementById("more").addEventListener("click", renderMore);
  apply();

  // ---- hosts: drill-down rendered when opened ----
  var byHost = {};
  report.findings.forEach(function (f) { (byHost[f.host] = byHost[f.host] || []).push(f); });
  var hostShown = 0;
  function hostNode(h) {
    var d = el("details", { cls: "host" }, [el("summary", {}, [
      el("strong", { text: h.name }), " ", el("span", { cls: "status status-" + h.status, text: h.status }),
      " " + (h.findings || 0) + " findings · " + h.sites + " sites · " + h.applications + " applications" + (h.iis_version ? " · IIS " + h.iis_version : "")
    ])]);
    d.addEventListener("toggle", function () {
      if (!d.open || d.dataset.rendered) return;
      d.dataset.rendered = "1";
      var info = [];
      if (h.reason) info.push("why: " + h.reason);
      info.push("source: " + h.source);
      if (h.os) info.push("OS: " + h.os);
      if (h.collected_at) info.push("collected: " + h.collected_at);
      info.push("analyze: " + h.timings.analyze_ms + " ms" + (h.timings.collect_ms != null ? ", collect: " + h.timings.collect_ms + " ms" : ""));
      d.appendChild(el("p", { cls: "loc", text: info.join(" · ") }));
      (h.problems || []).forEach(function (p) { d.appendChild(el("p", { cls: "note", text: p })); });
      if (h.not_evaluated && h.not_evaluated.length) {
        d.appendChild(el("p", { cls: "loc", text: "Not evaluated: " + h.not_evaluated.map(function (n) { return n.rule + " (" + n.reason + ")"; }).join("; ") }));
      }
      var logs = h.log_401 || {};
      Object.keys(logs).forEach(function (site) {
        d.appendChild(el("p", { cls: "loc", text: "401s logged on site " + site + ": " + Object.keys(logs[site]).map(function (k) { return k + " ×" + logs[site][k]; }).join(", ") }));
      });
      var bySite = {};
      (byHost[h.name] || []).forEach(function (f) { var k = f.site || "(host)"; (bySite[k] = bySite[k] || []).push(f); });
      Object.keys(bySite).sort().forEach(function (site) {
        var sd = el("details", { cls: "host" }, [el("summary", { text: site + " — " + bySite[site].length + " findings" })]);
        bySite[site].forEach(function (f) { sd.appendChild(findingNode(f)); });
        d.appendChild(sd);
      });
    });
    return d;
  }
  function moreHosts() {
    var list = document.getElementById("host-list");
    var end = Math.min(report.hosts.length, hostShown + PAGE);
    for (var i = hostShown; i < end; i++) list.appendChild(hostNode(report.hosts[i]));
    hostShown = end;
    document.getElementById("more-hosts").style.display = hostShown < report.hosts.length ? "" : "none";
  }
  document.getElementById("more-hosts").addEventListener("click", moreHosts);
  moreHosts();
})();
