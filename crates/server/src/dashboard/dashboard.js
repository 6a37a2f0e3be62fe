// The emulator's dashboard. It reads the emulator's JSON routes with the bearer token kept
// in this tab's sessionStorage and renders them; every value is written as text.
"use strict";

const TOKEN_KEY = "graph-upload-emulator-token";
// The page refreshes as soon as the emulator says something changed (`changes?after=V`
// waits up to a second for that), at most once per MIN_GAP_MS while requests pour in.
const MIN_GAP_MS = 100;
const RETRY_MS = 1000;

const $ = (id) => document.getElementById(id);
// The running refresh loop's number: signing in, out, or replacing the rules starts another
// (or none), and an older loop stops at its next step.
let loop = 0;
let faultsEdited = false;
let firstRender = true;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
  return node;
}

function bytes(n) {
  if (n === null || n === undefined) return "?";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

function relative(when) {
  const seconds = Math.round((new Date(when).getTime() - Date.now()) / 1000);
  const size = Math.abs(seconds);
  const text = size < 90 ? `${size} s` : size < 5400 ? `${Math.round(size / 60)} min`
    : `${Math.round(size / 3600)} h`;
  return seconds >= 0 ? `in ${text}` : `${text} ago`;
}

function clock(ms) {
  const date = new Date(ms);
  const pad = (n, width = 2) => String(n).padStart(width, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

// "0-1023" (inclusive, as nextExpectedRanges writes them) as [start, end).
function span(text) {
  const [first, last] = text.split("-");
  const start = Number(first);
  return [start, last === "" || last === undefined ? null : Number(last) + 1];
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

class Refused extends Error {}

async function call(path, init) {
  const response = await fetch(path, {
    ...init,
    cache: "no-store",
    headers: { ...(init && init.headers), Authorization: `Bearer ${token()}` },
  });
  if (response.status === 401) throw new Refused("the emulator refused the token");
  const body = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const message = body && body.error && body.error.message;
    throw new Error(message || `HTTP ${response.status}`);
  }
  return body;
}

function kindBadge(kind) {
  const names = { print: "print", todo: "To Do", drive: "drive", outlook: "Outlook" };
  return el("span", { class: `kind kind-${kind}`, text: names[kind] || kind });
}

function renderSummary(stats, sessions, items) {
  // The app's requests: the dashboard's own calls (route kind `emulator`) left out.
  const requests = Object.entries(stats.requests || {})
    .filter(([kind]) => kind !== "emulator")
    .flatMap(([, byStatus]) => Object.values(byStatus)).reduce((a, b) => a + b, 0);
  const facts = [
    [sessions.length, "open sessions"],
    [items.count, "stored"],
    [requests, "requests"],
    [bytes(stats.bytesReceived.total), "received"],
    [stats.faults.injected, "faults injected"],
    [stats.connections.open, "connections open"],
  ];
  $("summary").replaceChildren(...facts.map(([value, label]) =>
    el("div", {}, el("b", { text: value }), el("span", { text: label }))));
}

function renderSessions(sessions) {
  $("sessions-count").textContent = `(${sessions.length})`;
  $("sessions-empty").hidden = sessions.length > 0;
  $("session-list").replaceChildren(...sessions.map((session) => {
    const size = session.size;
    const bar = el("div", { class: size ? "bar" : "bar unknown", role: "img" });
    const received = session.receivedRanges.join(", ") || "none";
    bar.setAttribute("aria-label", `received ${received}`);
    if (size) {
      const draw = (ranges, cls) => {
        for (const text of ranges) {
          const [start, end] = span(text);
          const stop = end === null ? size : end;
          const piece = el("span", { class: cls, title: `${cls} ${text}` });
          // Through the CSSOM: the page's Content-Security-Policy refuses style attributes.
          piece.style.left = `${(100 * start) / size}%`;
          piece.style.width = `${(100 * (stop - start)) / size}%`;
          bar.append(piece);
        }
      };
      draw(session.receivedRanges, "received");
      draw(session.inFlightRanges || [], "in-flight");
    }
    const percent = size ? ` (${((100 * session.bytesReceived) / size).toFixed(1)}%)` : "";
    return el("li", { class: "session", "data-session-id": session.id },
      el("div", { class: "head" }, kindBadge(session.kind),
        el("span", { class: "name", text: session.name || "(no name)" }),
        el("span", { class: "id", text: session.id })),
      el("div", { class: "path", text: session.ownerPath }),
      bar,
      el("div", { class: "facts" },
        el("span", {}, el("b", { text: `${bytes(session.bytesReceived)} of ${bytes(size)}${percent}` })),
        el("span", { class: "received" }, "received ", el("b", { class: "mono", text: received })),
        el("span", {}, "next ", el("b", { class: "mono", text: session.nextExpectedRanges.join(", ") || "-" })),
        el("span", { title: session.expirationDateTime }, "expires ",
          el("b", { text: relative(session.expirationDateTime) }))));
  }));
}

function renderItems(items) {
  $("items-count").textContent = items.count > items.value.length
    ? `(newest ${items.value.length} of ${items.count})` : `(${items.count})`;
  $("items-empty").hidden = items.count > 0;
  $("item-table").tBodies[0].replaceChildren(...items.value.map((item) => {
    const name = item.name || "(document not uploaded)";
    const link = item.downloadUrl
      ? el("a", { href: item.downloadUrl, download: item.name || null, rel: "noreferrer", text: name })
      : el("span", { text: name });
    const state = item.state
      ? `${item.state.processingState}${item.state.details.length ? ` (${item.state.details.join(", ")})` : ""}`
      : "";
    return el("tr", { "data-item-id": item.id, "data-kind": item.kind },
      el("td", {}, kindBadge(item.kind)),
      el("td", {}, link),
      el("td", { class: "num", title: item.size === null ? "" : `${item.size} bytes`, text: bytes(item.size) }),
      el("td", { text: state }),
      el("td", { class: "path", text: item.ownerPath }),
      el("td", { class: "nowrap", title: item.modified || "", text: item.modified ? relative(item.modified) : "" }));
  }));
}

function renderRequests(requests) {
  $("requests-count").textContent = `(${requests.length})`;
  $("requests-empty").hidden = requests.length > 0;
  $("request-table").tBodies[0].replaceChildren(...requests.map((request) => {
    const status = request.status === null ? request.closed : String(request.status);
    const cls = request.status === null ? "st-x" : `st-${String(request.status)[0]}`;
    const cell = el("td", { class: `${cls} nowrap`, text: status });
    if (request.faultRule !== null) cell.append(el("span", { class: "fault", text: `fault ${request.faultRule}` }));
    return el("tr", { "data-request-id": request.requestId },
      el("td", { class: "num", text: clock(request.timeMs) }),
      el("td", { text: request.method }),
      el("td", { class: "path", text: request.path }),
      cell,
      el("td", { class: "num", text: request.durationMs.toFixed(1) }));
  }));
}

function renderFaults(rules, counts) {
  $("faults-count").textContent = `(${counts.length})`;
  $("faults-empty").hidden = counts.length > 0;
  $("fault-table").tBodies[0].replaceChildren(...counts.map((rule) =>
    el("tr", { "data-rule": rule.rule },
      el("td", { class: "num", text: rule.rule }),
      el("td", { text: rule.route }),
      el("td", { text: rule.detail }),
      el("td", { class: "num", text: rule.matched }),
      el("td", { class: "num fired", text: rule.fired }))));
  if (!faultsEdited) $("fault-rules").value = JSON.stringify(rules, null, 2);
}

// Each cell is labelled with its column's name, which narrow screens show beside it (the
// table then reads as one small card per row).
function label(table) {
  const names = [...table.tHead.rows[0].cells].map((cell) => cell.textContent);
  for (const row of table.tBodies[0].rows) {
    [...row.cells].forEach((cell, index) => { cell.dataset.label = names[index]; });
  }
}

function setStatus(text, offline) {
  $("status").textContent = text;
  $("status").classList.toggle("offline", Boolean(offline));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Resolves at once, or when the tab is shown again: a hidden tab asks nothing.
function visible() {
  return new Promise((resolve) => {
    if (!document.hidden) return resolve();
    const shown = () => {
      if (document.hidden) return;
      document.removeEventListener("visibilitychange", shown);
      resolve();
    };
    document.addEventListener("visibilitychange", shown);
  });
}

function render(sessions, items, requests, stats, rules) {
  renderSummary(stats, sessions.value, items);
  renderSessions(sessions.value);
  renderItems(items);
  renderRequests(requests.value);
  renderFaults(rules, stats.faults.rules);
  for (const id of ["item-table", "request-table", "fault-table"]) label($(id));
  showApp();
  if (firstRender) {
    firstRender = false;
    // Milliseconds from navigation to the first data on screen, for the browser test.
    document.documentElement.dataset.firstRenderMs = performance.now().toFixed(0);
  }
  setStatus(`live · updated ${new Date().toLocaleTimeString()}`);
}

async function run(number) {
  while (number === loop && token()) {
    const started = performance.now();
    let version;
    try {
      const [changes, sessions, items, requests, stats, rules] = await Promise.all([
        call("changes"), call("sessions"), call("items"), call("requests"), call("stats"),
        call("faults"),
      ]);
      if (number !== loop) return;
      version = changes.version;
      render(sessions, items, requests, stats, rules);
    } catch (error) {
      if (number !== loop) return;
      if (error instanceof Refused) {
        signOut("The emulator refused that token: check it and sign in again.");
        return;
      }
      setStatus(`cannot reach the emulator (${error.message}); retrying`, true);
      await sleep(RETRY_MS);
      continue;
    }
    await visible();
    // The next refresh says what went wrong, if this fails.
    await call(`changes?after=${version}`).catch(() => null);
    const gap = MIN_GAP_MS - (performance.now() - started);
    if (gap > 0) await sleep(gap);
  }
}

function refresh() {
  loop += 1;
  run(loop);
}

function showApp() {
  document.body.dataset.state = "signed-in";
  $("app").hidden = false;
  $("sign-in").hidden = true;
  $("sign-out").hidden = false;
}

function signOut(message) {
  loop += 1;
  sessionStorage.removeItem(TOKEN_KEY);
  document.body.dataset.state = "signed-out";
  // Nothing read with the old token stays on the page.
  for (const id of ["summary", "session-list"]) $(id).replaceChildren();
  for (const id of ["item-table", "request-table", "fault-table"]) $(id).tBodies[0].replaceChildren();
  $("fault-rules").value = "";
  faultsEdited = false;
  $("app").hidden = true;
  $("sign-in").hidden = false;
  $("sign-out").hidden = true;
  $("sign-in-error").textContent = message || "";
  setStatus("");
  $("token").focus();
}

function signIn(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
  // No form while the token is tried: it comes back if the token is refused.
  $("sign-in").hidden = true;
  $("sign-in-error").textContent = "";
  setStatus("signing in…");
  refresh();
}

async function replaceFaults(body, method) {
  const result = $("fault-result");
  result.className = "result";
  result.textContent = "sending…";
  try {
    const rules = await call("faults", method === "DELETE" ? { method } : {
      method, body, headers: { "Content-Type": "application/json" },
    });
    faultsEdited = false;
    result.className = "result good";
    result.textContent = rules ? `${rules.length} rule(s) in force` : "all rules cleared";
    refresh();
  } catch (error) {
    if (error instanceof Refused) return signOut("The emulator refused the token.");
    result.className = "result bad";
    result.textContent = `refused: ${error.message}`;
  }
}

function start() {
  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = $("token").value.trim();
    $("token").value = "";
    if (value) signIn(value);
  });
  $("sign-out").addEventListener("click", () => signOut());
  $("fault-rules").addEventListener("input", () => { faultsEdited = true; });
  $("fault-form").addEventListener("submit", (event) => {
    event.preventDefault();
    replaceFaults($("fault-rules").value, "PUT");
  });
  $("fault-clear").addEventListener("click", () => replaceFaults(null, "DELETE"));

  window.addEventListener("hashchange", () => {
    if (tokenFromFragment()) signIn(token());
  });
  tokenFromFragment();
  if (token()) signIn(token());
  else signOut();
}

// `#token=T` signs in (on load, or pasted into the address bar later); the fragment is then
// dropped from the address bar and the history.
function tokenFromFragment() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (!fragment.has("token")) return false;
  sessionStorage.setItem(TOKEN_KEY, fragment.get("token"));
  history.replaceState(null, "", location.pathname + location.search);
  return true;
}

start();
