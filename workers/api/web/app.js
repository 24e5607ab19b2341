// The tickertape page: a user's live feed, trending tokens and follows, over the /api endpoints.
// Open it as /?user=alice (and &token=… when the server sets TT_API_TOKEN). No build step, no network
// beyond this server. Tweet text is only ever inserted as text nodes, never as HTML.
"use strict";

const params = new URLSearchParams(location.search);
const apiToken = params.get("token");
const $ = (id) => document.getElementById(id);
const PAGE = 20;

let user = params.get("user") || "";
let stream = null;
let oldest = null; // `before` of the next older page; null when there is none
const shown = new Set(); // tweet ids in the list: live items and pages overlap

/** Fetch an /api path; `query` becomes the query string. Throws the server's detail on errors. */
async function api(method, path, query = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(query)) if (v !== null && v !== undefined) url.searchParams.set(k, v);
  const headers = apiToken ? { Authorization: `Bearer ${apiToken}` } : {};
  const response = await fetch(url, { method, headers });
  const body = await response.json();
  if (!response.ok) throw new Error(typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail));
  return body;
}

function showError(error) {
  $("error").hidden = !error;
  $("error").textContent = error ? String(error.message || error) : "";
}

/** The tweet text with each mention wrapped in <mark>. Offsets count code points (Python str
 * indices), so the text is split with Array.from, not indexed as UTF-16. */
function highlighted(item) {
  const chars = Array.from(item.text);
  const out = document.createElement("p");
  out.className = "text";
  let at = 0;
  for (const m of [...item.mentions].sort((a, b) => a.start - b.start)) {
    if (m.start < at || m.end > chars.length) continue; // overlapping or out of range: leave as text
    out.append(chars.slice(at, m.start).join(""));
    const mark = document.createElement("mark");
    mark.className = "mention";
    mark.title = `${m.symbol} · ${m.kind}`;
    mark.textContent = chars.slice(m.start, m.end).join("");
    out.append(mark);
    at = m.end;
  }
  out.append(chars.slice(at).join(""));
  return out;
}

function itemNode(item) {
  const li = document.createElement("li");
  li.dataset.id = item.tweet_id;
  li.dataset.time = Date.parse(item.created_at);
  const meta = document.createElement("div");
  meta.className = "meta";
  const author = document.createElement("b");
  author.textContent = `@${item.author}`;
  meta.append(author, ` · ${new Date(item.created_at).toLocaleString()}`);
  const chips = document.createElement("div");
  for (const symbol of item.tokens) {
    const chip = document.createElement("span");
    chip.className = "chip";
    chip.textContent = symbol;
    chips.append(chip);
  }
  li.append(meta, highlighted(item), chips);
  return li;
}

/** Put items into the list in time order (newest first), once each. */
function place(items, live = false) {
  const list = $("feed");
  for (const item of items) {
    if (shown.has(item.tweet_id)) continue;
    shown.add(item.tweet_id);
    const node = itemNode(item);
    if (live) node.classList.add("new");
    const after = [...list.children].find((li) => Number(li.dataset.time) < Number(node.dataset.time));
    list.insertBefore(node, after || null);
  }
  $("empty").hidden = list.children.length > 0;
}

async function loadPage(before = null) {
  const page = await api("GET", `/api/users/${user}/feed`, { limit: PAGE, before });
  place(page.items);
  oldest = page.next_before;
  $("more").hidden = !oldest;
}

async function loadFollowing() {
  const { following } = await api("GET", `/api/users/${user}/following`);
  const list = $("following");
  list.replaceChildren();
  for (const account of following) {
    const li = document.createElement("li");
    const drop = document.createElement("button");
    drop.textContent = "unfollow";
    drop.title = `unfollow @${account}`;
    drop.onclick = () => api("DELETE", `/api/users/${user}/following/${account}`).then(loadFollowing, showError);
    li.append(`@${account}`, drop);
    list.append(li);
  }
}

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Horizontal bars: this window's count, and beneath it the window before's, per token. */
async function loadTrending() {
  const mine = $("mine").checked;
  const data = await api("GET", "/api/trending", { window: $("window").value, limit: 8, user: mine ? user : null });
  const chart = $("chart");
  const rows = data.tokens;
  const rowH = 30, labelW = 80, countW = 70, width = 320;
  const barW = width - labelW - countW;
  const max = Math.max(1, ...rows.flatMap((r) => [r.tweets, r.previous]));
  chart.setAttribute("viewBox", `0 0 ${width} ${Math.max(1, rows.length) * rowH}`);
  chart.replaceChildren();
  if (!rows.length) chart.append(svg("text", { x: 0, y: 18 }, "no mentions in this window"));
  rows.forEach((r, i) => {
    const y = i * rowH;
    chart.append(
      svg("text", { x: 0, y: y + 15 }, r.symbol),
      svg("rect", { class: "now", x: labelW, y: y + 4, height: 13, rx: 2, width: Math.max(1, (r.tweets / max) * barW) }),
      svg("rect", { class: "before", x: labelW, y: y + 19, height: 5, rx: 1, width: (r.previous / max) * barW }),
      svg("text", { x: labelW + barW + 6, y: y + 15, class: r.change > 0 ? "up" : r.change < 0 ? "down" : "" },
        `${r.tweets} ${r.change > 0 ? "▲" : r.change < 0 ? "▼" : "="}${r.change ? Math.abs(r.change) : ""}`),
    );
  });
}

let trendTimer = null;
function refreshTrendingSoon() {
  clearTimeout(trendTimer); // a burst of live items refreshes the chart once
  trendTimer = setTimeout(() => loadTrending().catch(showError), 500);
}

/** Subscribe first, load on `ready`: nothing written between the two is missed (duplicates are dropped). */
function connect() {
  if (stream) stream.close();
  const url = new URL(`/api/users/${user}/stream`, location.origin);
  if (apiToken) url.searchParams.set("token", apiToken);
  stream = new EventSource(url);
  stream.addEventListener("ready", () => {
    $("live").textContent = "live";
    $("live").classList.add("on");
    loadPage().then(() => showError(null), showError);
    loadTrending().catch(showError);
  });
  stream.addEventListener("item", (event) => {
    place([JSON.parse(event.data)], true);
    refreshTrendingSoon();
  });
  stream.onerror = () => { // EventSource reconnects by itself; `ready` reloads then
    $("live").textContent = "reconnecting";
    $("live").classList.remove("on");
  };
}

function open(handle) {
  user = handle.replace(/^@/, "").toLowerCase();
  const url = new URL(location.href);
  url.searchParams.set("user", user);
  history.replaceState(null, "", url);
  $("user").value = user;
  $("feed-user").textContent = `@${user}`;
  $("feed").replaceChildren();
  shown.clear();
  connect();
  loadFollowing().catch(showError);
}

$("user-form").onsubmit = (event) => { event.preventDefault(); open($("user").value); };
$("follow-form").onsubmit = (event) => {
  event.preventDefault();
  if (!user) return;
  api("PUT", `/api/users/${user}/following/${$("account").value.replace(/^@/, "")}`)
    .then(() => { $("account").value = ""; return loadFollowing(); }, showError);
};
$("more").onclick = () => loadPage(oldest).catch(showError);
$("window").onchange = $("mine").onchange = () => loadTrending().catch(showError);
if (user) open(user);
else loadTrending().catch(showError);
