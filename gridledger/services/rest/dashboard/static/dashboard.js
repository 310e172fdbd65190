// The live dashboard: draws each snapshot the REST service sends on /dashboard/events (server-sent events).
// Snapshots are complete (feed.py), so every message redraws from scratch and a missed one loses nothing.
"use strict";

const LAYOUT = { margin: { l: 50, r: 10, t: 10, b: 40 }, showlegend: true, legend: { orientation: "h", y: -0.2 } };
const CONFIG = { displayModeBar: false, responsive: true };
const STAGES = ["endorse", "chaincode", "order", "validate", "commit"];

function time(seconds) {
  return new Date(seconds * 1000);
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text === null || text === undefined ? "" : String(text);
  if (className) td.className = className;
}

function fillTable(id, rows) {
  const body = document.querySelector(`#${id} tbody`);
  body.replaceChildren();
  for (const values of rows) {
    const row = body.insertRow();
    for (const value of values) {
      if (Array.isArray(value)) cell(row, value[0], value[1]);
      else cell(row, value);
    }
  }
}

function drawThroughput(state) {
  const at = state.throughput.map((b) => time(b[0]));
  Plotly.react("chart-throughput", [
    { x: at, y: state.throughput.map((b) => b[1]), name: "all tx/s", type: "scatter", mode: "lines" },
    { x: at, y: state.throughput.map((b) => b[2]), name: "valid tx/s", type: "scatter", mode: "lines" },
  ], { ...LAYOUT, yaxis: { title: "tx/s", rangemode: "tozero" } }, CONFIG);
  const recent = state.throughput.slice(-2);
  const rate = recent.reduce((sum, b) => sum + b[1], 0) / Math.max(recent.length, 1);
  document.getElementById("throughput").textContent = rate.toFixed(1);
}

function drawLatency(state) {
  const traces = STAGES.map((stage) => {
    const points = state.latency.filter((p) => stage in p[1]);
    return { x: points.map((p) => time(p[0])), y: points.map((p) => p[1][stage]), name: stage,
             type: "scatter", mode: "lines+markers" };
  });
  Plotly.react("chart-latency", traces, { ...LAYOUT, yaxis: { title: "ms", rangemode: "tozero" } }, CONFIG);
}

function drawNodes(state) {
  const nodes = state.nodes;
  Plotly.react("chart-heights", [{
    x: nodes.map((n) => n.name), y: nodes.map((n) => n.height || 0), type: "bar",
    marker: { color: nodes.map((n) => (n.healthy ? "#3b6fd8" : "#b3261e")) },
  }], { ...LAYOUT, showlegend: false, yaxis: { title: "blocks" } }, CONFIG);
  fillTable("nodes", nodes.map((n) => [
    n.name, n.role, n.msp_id, n.healthy ? ["up", "up"] : [`down ${n.error}`, "down"], n.height,
    n.consensus ? `${n.consensus} ${"term" in n ? "term " + n.term : "view " + n.view}` : "", n.leader,
    n.role === "orderer" ? n.changes : "",
  ]));
  const orderer = nodes.find((n) => n.role === "orderer" && n.healthy && n.leader);
  const epoch = orderer ? ("term" in orderer ? `term ${orderer.term}` : `view ${orderer.view}`) : "";
  document.getElementById("consensus").textContent =
    orderer ? `${state.consensus.type} ${epoch}, leader ${orderer.leader}` : state.consensus.type;
  fillTable("leaders", state.consensus.leader_changes.slice().reverse()
    .map((c) => [time(c[0]).toLocaleTimeString(), c[1]]));
}

function drawCodes(state) {
  const codes = Object.entries(state.codes).sort((a, b) => b[1] - a[1]);
  Plotly.react("chart-codes", [{
    x: codes.map((c) => c[0]), y: codes.map((c) => c[1]), type: "bar",
    marker: { color: codes.map((c) => (c[0] === "VALID" ? "#1b7f3b" : "#d9822b")) },
  }], { ...LAYOUT, showlegend: false }, CONFIG);
  fillTable("codes", codes);
}

function drawSlots(state) {
  fillTable("slots", state.slots.slice().reverse().map((s) => [
    s.market_id, s.slot, s.phase, s.buy_orders, s.sell_orders, s.reveals, s.price, s.volume_wh,
  ]));
  document.getElementById("no-slots").hidden = state.slots.length > 0;
}

function residual(value) {
  return value === null || value === undefined ? "" : value.toExponential(2);
}

function change(before, now) {
  return before === null ? "" : `${before} → ${now}`;
}

function drawDays(state) {
  fillTable("days", state.dsm_days.slice().reverse().map((d) => [
    d.neighbourhood, d.day, d.method, d.status, d.iteration, `${d.planners}/${d.houses}`,
    change(d.peak_before_w, d.peak_w), change(d.norm_before, d.norm),
  ]));
  document.getElementById("no-days").hidden = state.dsm_days.length > 0;
}

function drawRuns(state) {
  const runs = state.opf_runs;
  const traces = runs.flatMap((r) => ["primal", "dual"].map((kind, i) => ({
    x: r.iterations.map((p) => p[0]), y: r.iterations.map((p) => p[i + 1]), name: `${r.run_id} ${kind}`,
    type: "scatter", mode: "lines",
  })));
  const last = Math.max(1, ...runs.map((r) => r.iteration));  // whole iterations on the axis, at most 10 ticks
  Plotly.react("chart-opf", traces, { ...LAYOUT,
    xaxis: { title: "iteration", tickformat: "d", nticks: Math.min(last, 10) },
    yaxis: { type: "log", exponentformat: "e" } }, CONFIG);
  fillTable("runs", runs.slice().reverse().map((r) => [
    r.run_id, r.iteration, residual(r.primal), residual(r.dual),
    r.eps_pri === null ? "" : `${r.eps_pri} / ${r.eps_dual}`, r.converged ? ["yes", "up"] : "no",
  ]));
  document.getElementById("no-runs").hidden = runs.length > 0;
}

function draw(state) {
  document.getElementById("where").textContent = `${state.org} · ${state.peer} · channel ${state.channel}`;
  document.getElementById("height").textContent = state.height;
  drawThroughput(state);
  drawLatency(state);
  drawNodes(state);
  drawCodes(state);
  drawSlots(state);
  drawDays(state);
  drawRuns(state);
}

const stream = new EventSource("/dashboard/events");
const status = document.getElementById("stream");
stream.addEventListener("state", (message) => {
  status.textContent = "live";
  draw(JSON.parse(message.data));
});
stream.onerror = () => {
  status.textContent = "reconnecting";
};
