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

let socket = null;
let tokenCount = 0;
let refreshTimer = null;

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
  const { token, expires_at: expiresAt } = await response.json();
  tokenCount += 1;
  const claims = claimsOf(token);
  showToken(claims, expiresAt);
  scheduleRefresh(expiresAt);
  return { token, claims };
}

function scheduleRefresh(expiresAt) {
  const lifetime = expiresAt - Date.now() / 1000;
  const margin = Math.min(REFRESH_MARGIN_SECONDS, lifetime / 3);
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, Math.max(0, (lifetime - margin) * 1000));
}

// updateToken: the socket stays open and carries the new token.
async function refresh() {
  try {
    const { token } = await fetchToken();
    logEvent(`token #${tokenCount} fetched`);
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ event: "token.update", token }));
    }
  } catch (error) {
    logEvent(`token refresh failed: ${error.message}`);
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
