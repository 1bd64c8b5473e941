// The admin page: plain DOM, no framework. Every call goes to the Worker's /api/admin/*
// (same origin: the Access cookie authenticates it).
const $ = (id) => document.getElementById(id);

async function api(method, path) {
  const response = await fetch(`/api/admin/${path}`, { method, headers: { accept: "application/json" } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || `${method} ${path} answered ${response.status}`);
  return body;
}

function say(text, isError = false) {
  $("message").textContent = text;
  $("message").className = isError ? "error" : "muted";
}

const time = (ms) => (ms == null ? "—" : new Date(ms).toLocaleString());
const seconds = (ms) => (ms == null ? "—" : `${(ms / 1000).toFixed(1)} s`);

function row(cells) {
  const tr = document.createElement("tr");
  for (const cell of cells) {
    const td = document.createElement("td");
    td.textContent = cell;
    tr.append(td);
  }
  return tr;
}

async function loadState() {
  const state = await api("GET", "state");
  const entries = [
    ["Status", state.status],
    ["Started", time(state.startedAt)],
    ["Ready", time(state.readyAt)],
    ["Boot (start → ready)", seconds(state.bootMs)],
    ["Starts / crashes", `${state.starts} / ${state.crashes}`],
    ["Sleep after", state.sleepAfterMs == null ? "never (kept alive)" : seconds(state.sleepAfterMs)],
    ["Open WebSockets", String(state.openWebSockets)],
    ["Last stop", state.lastStop ? `${state.lastStop.reason}, ${state.lastStop.graceful ? "graceful" : "killed"}, ${time(state.lastStop.at)}` : "—"],
    ["Last error", state.lastError || "—"],
  ];
  const dl = $("container");
  dl.replaceChildren();
  for (const [name, value] of entries) {
    const dt = document.createElement("dt");
    dt.textContent = name;
    const dd = document.createElement("dd");
    dd.textContent = value;
    dl.append(dt, dd);
  }
  const body = $("phases").querySelector("tbody");
  body.replaceChildren(
    ...Object.entries(state.phases || {}).map(([name, phase]) => row([name, seconds(phase.durationMs), phase.ok == null ? "…" : phase.ok ? "yes" : "no"])),
  );
}

// Files the last backup could not read (the supervisor's lastBackup.skipped): the first few, then a count.
function skippedText(lastBackup) {
  const count = lastBackup?.skippedCount || 0;
  if (!count) return "";
  const shown = (lastBackup.skipped || []).slice(0, 3).map((skip) => `${skip.root}/${skip.path}${skip.keptPrevious ? " (previous version kept)" : ""}`);
  const more = count > shown.length ? `, and ${count - shown.length} more` : "";
  return ` Not backed up because they could not be read: ${shown.join(", ")}${more}.`;
}

async function loadStorage() {
  const storage = await api("GET", "storage");
  $("storage").textContent = `${storage.message} Bucket: ${storage.bucket}. Last backup: ${storage.lastSync || "—"}.${skippedText(storage.lastBackup)}`;
  $("backup").disabled = !storage.configured;
}

function deviceItem(device, pending) {
  const li = document.createElement("li");
  li.textContent = `${device.deviceId || device.requestId || "device"} ${device.platform ? `(${device.platform})` : ""} `;
  if (pending && device.requestId) {
    const button = document.createElement("button");
    button.textContent = "Approve";
    button.onclick = () => act(() => api("POST", `devices/${encodeURIComponent(device.requestId)}/approve`), "Approved.", loadDevices);
    li.append(button);
  }
  return li;
}

async function loadDevices() {
  const devices = await api("GET", "devices");
  const pending = devices.pending || [];
  $("pending").replaceChildren(
    ...(pending.length ? pending.map((d) => deviceItem(d, true)) : [Object.assign(document.createElement("li"), { textContent: "none", className: "muted" })]),
  );
  const paired = devices.paired || [];
  $("paired").replaceChildren(
    ...(paired.length ? paired.map((d) => deviceItem(d, false)) : [Object.assign(document.createElement("li"), { textContent: "none", className: "muted" })]),
  );
  $("approve-all").disabled = pending.length === 0;
}

async function act(work, done, then) {
  say("Working…");
  try {
    await work();
    say(done);
    if (then) await then();
  } catch (error) {
    say(String(error.message || error), true);
  }
}

// Status and storage together: a restart ends with a backup, and a sleeping container has no live storage status.
const loadStatus = () => Promise.all([loadState(), loadStorage()]);

$("restart").onclick = () => act(() => api("POST", "gateway/restart"), "Restarting: the gateway stopped gracefully and is starting again.", loadStatus);
$("backup").onclick = () => act(() => api("POST", "storage/sync"), "Backup done.", loadStorage);
$("load-devices").onclick = () => act(loadDevices, "Devices loaded.");
$("approve-all").onclick = () => act(() => api("POST", "devices/approve-all"), "All pending devices approved.", loadDevices);

fetch("/api/status").then((response) => {
  const mode = response.headers.get("x-moltlab-dev-mode");
  if (mode)
    Object.assign($("dev-mode"), {
      hidden: false,
      textContent: `Development mode: Cloudflare Access is ${mode.startsWith("access-bypassed") ? "NOT checked" : "enforced (dev mode refused)"}.`,
    });
});
act(loadStatus, "");
// GET storage never wakes a sleeping container, so polling it keeps sleepAfter working.
setInterval(() => loadStatus().catch(() => undefined), 5000);
