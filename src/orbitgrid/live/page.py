"""The live dashboard at `/`: satellites on a map, coloured by sunlight and busy/idle, and the
caller's jobs; refreshed from the event stream (/v1/events) and /v1/satellites. One
self-contained page: it requests nothing from any other host.

A plain equirectangular map (SVG), not the run pages' Cesium globe (a follow-up can put the
live twin on that globe).
"""

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>orbitgrid live</title>
<style>
body{font:14px system-ui,sans-serif;margin:1rem;background:#0b1020;color:#e6e9f0}
svg{background:#13203a;width:100%;max-width:1000px;border:1px solid #334}
table{border-collapse:collapse;margin-top:1rem}td,th{padding:2px 8px;border-bottom:1px solid #334}
.lit{fill:#ffd54a}.dark{fill:#5b6b8c}.busy{stroke:#ff5252;stroke-width:2}
input{width:28rem}
</style></head><body>
<h1>orbitgrid live</h1>
<p id="health">connecting...</p>
<p>API key (kept in this browser only): <input id="key" type="password">
<button id="save">use</button></p>
<svg id="map" viewBox="-180 -90 360 180" preserveAspectRatio="xMidYMid meet">
<line x1="-180" y1="0" x2="180" y2="0" stroke="#334" stroke-width="0.3"/>
<line x1="0" y1="-90" x2="0" y2="90" stroke="#334" stroke-width="0.3"/>
<g id="sats"></g></svg>
<p><span style="color:#ffd54a">&#9679;</span> sunlit <span style="color:#5b6b8c">&#9679;</span>
in shadow <span style="color:#ff5252">&#9675;</span> busy</p>
<table><thead><tr><th>job</th><th>state</th><th>kind</th><th>satellites</th><th>submitted</th>
<th>end</th></tr></thead><tbody id="jobs"></tbody></table>
<script>
const keyBox = document.getElementById("key");
keyBox.value = localStorage.getItem("orbitgrid-key") || "";
document.getElementById("save").onclick = () => {
  localStorage.setItem("orbitgrid-key", keyBox.value); refresh(); listen(); };
function headers() {
  const k = localStorage.getItem("orbitgrid-key");
  return k ? {"Authorization": "Bearer " + k} : {};
}
async function get(path) {
  const r = await fetch(path, {headers: headers()});
  if (!r.ok) throw new Error(path + ": " + r.status);
  return r.json();
}
function text(s) {
  const d = document.createElement("span"); d.textContent = s ?? ""; return d.innerHTML;
}
async function refresh() {
  try {
    const h = await get("/v1/health");
    document.getElementById("health").textContent =
      `twin time ${h.twin_time}, speed ${h.speed}x, ${h.satellites} satellites, jobs ` +
      Object.entries(h.jobs).map(([k, v]) => `${k} ${v}`).join(", ");
    const sats = (await get("/v1/satellites")).satellites;
    document.getElementById("sats").innerHTML = sats.map(s =>
      `<circle cx="${s.lon_deg}" cy="${-s.lat_deg}" r="1.2" class="${s.illumination >= 0.5 ?
        "lit" : "dark"}${s.jobs.length ? " busy" : ""}"><title>${text(s.name)}</title></circle>`
    ).join("");
    const jobs = (await get("/v1/jobs?limit=1000")).jobs.slice(-50).reverse();
    document.getElementById("jobs").innerHTML = jobs.map(j =>
      `<tr><td>${text(j.id)}</td><td>${text(j.state)}</td><td>${text(j.kind)}</td>` +
      `<td>${text(j.satellites.join(", "))}</td><td>${text(j.submitted)}</td>` +
      `<td>${text(j.end)}</td></tr>`).join("");
  } catch (e) { document.getElementById("health").textContent = String(e); }
}
let socket = null, last = 0, pending = false;
function listen() {
  if (socket) socket.close();
  const k = localStorage.getItem("orbitgrid-key");
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host +
    "/v1/events?after=" + last + (k ? "&key=" + encodeURIComponent(k) : "");
  socket = new WebSocket(url);
  socket.onmessage = m => {
    last = JSON.parse(m.data).id;
    if (!pending) { pending = true; setTimeout(() => { pending = false; refresh(); }, 500); }
  };
  socket.onclose = () => setTimeout(listen, 2000);
}
refresh(); listen(); setInterval(refresh, 5000);
</script></body></html>
"""
