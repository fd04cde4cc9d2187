// The agent page's script: fetch the signed-in worker's token, show what it
// allows, connect to the event channel with it, and fetch a new one before
// it expires.
//
// It follows Worker.js (taskrouter.js v1): the SDK reads the token's claims
// in the browser, without the key, to learn its worker and channel; it emits
// "token.expired" when the token runs out, and the page hands it a fresh one
// with worker.updateToken(token).  The messages on the socket are those of
// examples/event_bridge.py, a local stand-in for Twilio's event bridge.
//
// Every value from the token or the server reaches the page through
// textContent, never innerHTML: a token is data, not markup.
"use strict";

const tokenUrl = document.body.dataset.tokenUrl;
const bridgeUrl = document.body.dataset.eventBridgeUrl;
// Refresh this long before expiry (or at two thirds of a short token's life).
const REFRESH_MARGIN_SECONDS = 60;
// Never schedule a refresh sooner than this: a token with no life left
// (ttl=0, or one that a slow answer used up) costs a request every 5 s at
// most, not a loop.
const MIN_REFRESH_DELAY_SECONDS = 5;
// A failed refresh is tried again after 1 s, 2 s, 4 s, ... until the token
// in hand expires.
const FIRST_RETRY_SECONDS = 1;

let socket = null;
let tokenCount = 0;
let refreshTimer = null;
let stopped = false;
// When the token in hand expires, on the page's monotonic clock
// (performance.now(), milliseconds): set from the endpoint's relative
// expires_in when the answer arrives, so the server's and the browser's
// wall clocks never need to agree.
let expiresAtMonotonic = 0;

function show(id, text, className) {
  const element = document.getElementById(id);
  element.textContent = text;
  if (className !== undefined) element.className = className;
}

function logEvent(text) {
  const item = document.createElement("li");
  item.textContent = `${new Date().toISOString().slice(11, 19)} ${text}`;
  document.getElementById("events").appendChild(item);
}

// The payload of a JWT: base64url (RFC 4648 section 5) JSON, read without
// the key, as Worker.js reads it.  The server verifies; the page only looks.
function claimsOf(token) {
  const segment = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  const padded = segment + "=".repeat((4 - (segment.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

function filtersText(policy) {
  const parts = [];
  for (const [where, filter] of [["query", policy.query_filter], ["post", policy.post_filter]]) {
    const names = Object.keys(filter || {});
    if (names.length) parts.push(`${where}: ${names.join(", ")}`);
  }
  return parts.join("; ");
}

function showToken(claims, expiresAt) {
  show("worker", claims.worker_sid || claims.channel);
  show("workspace", claims.workspace_sid);
  show("token-count", String(tokenCount));
  show("expires", new Date(expiresAt * 1000).toISOString());
  const body = document.querySelector("#policies tbody");
  body.replaceChildren();
  for (const policy of claims.policies || []) {
    const row = document.createElement("tr");
    const effect = policy.allow ? "allow" : "deny";
    for (const [text, cls] of [[effect, effect], [policy.method], [policy.url], [filtersText(policy)]]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      if (cls) cell.className = cls;
      row.appendChild(cell);
    }
    body.appendChild(row);
  }
}

async function fetchToken() {
  const response = await fetch(tokenUrl, { credentials: "same-origin", cache: "no-store" });
  if (!response.ok) throw new Error(`token endpoint answered ${response.status}`);
  const { token, expires_at: expiresAt, expires_in: expiresIn } = await response.json();
  if (!Number.isFinite(expiresIn)) throw new Error("token endpoint gave no expires_in");
  tokenCount += 1;
  const claims = claimsOf(token);
  showToken(claims, expiresAt);
  scheduleRefresh(expiresIn);
  return { token, claims };
}

function later(action, seconds) {
  clearTimeout(refreshTimer);
  if (!stopped) refreshTimer = setTimeout(action, seconds * 1000);
}

// The token's lifetime, not its absolute expiry: twilio-taskrouter.js v2
// schedules the same way.  Comparing the server's expires_at with
// Date.now() would refresh at once, again and again, on a browser whose
// clock runs ahead of the server's by the token's lifetime.
function scheduleRefresh(lifetime) {
  expiresAtMonotonic = performance.now() + lifetime * 1000;
  const margin = Math.min(REFRESH_MARGIN_SECONDS, lifetime / 3);
  later(() => refresh(0), Math.max(MIN_REFRESH_DELAY_SECONDS, lifetime - margin));
}

// updateToken: the socket stays open and carries the new token.
async function refresh(attempt) {
  if (stopped) return;
  try {
    const { token } = await fetchToken();
    logEvent(`token #${tokenCount} fetched`);
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ event: "token.update", token }));
    }
  } catch (error) {
    const left = (expiresAtMonotonic - performance.now()) / 1000;
    if (left <= 0) {
      logEvent(`token refresh failed: ${error.message}; the token has expired`);
      return;
    }
    const wait = Math.min(FIRST_RETRY_SECONDS * 2 ** attempt, left);
    logEvent(`token refresh failed: ${error.message}; retrying in ${wait.toFixed(1)} s`);
    later(() => refresh(attempt + 1), wait);
  }
}

function connect(token, claims) {
  const url = `${bridgeUrl}/${encodeURIComponent(claims.account_sid)}/` +
    `${encodeURIComponent(claims.channel)}?token=${encodeURIComponent(token)}`;
  socket = new WebSocket(url);
  show("connection", "connecting…", "");
  socket.addEventListener("message", (message) => {
    const event = JSON.parse(message.data);
    if (event.event === "connected") {
      show("connection", `connected to ${event.channel}`, "connected");
      logEvent("connected");
    } else if (event.event === "token.updated") {
      logEvent(`token.updated: valid until ${new Date(event.expires_at * 1000).toISOString()}`);
    } else if (event.event === "token.expired") {
      logEvent("token.expired");
    }
  });
  socket.addEventListener("close", (event) => {
    const why = event.reason || "no reason given";
    show("connection", `closed (${event.code}): ${why}`, event.code === 1000 ? "" : "refused");
    logEvent(`connection closed (${event.code}): ${why}`);
    // Nothing left to hand a token to: stop, including a refresh in flight.
    stopped = true;
    clearTimeout(refreshTimer);
  });
}

fetchToken()
  .then(({ token, claims }) => {
    logEvent(`token #${tokenCount} fetched`);
    connect(token, claims);
  })
  .catch((error) => {
    show("connection", `no token: ${error.message}`, "refused");
  });
