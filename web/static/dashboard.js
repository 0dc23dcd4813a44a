// twitch-mood dashboard (read-only): every channel's live mood and hype, a per-minute chart of the
// last 3 hours (uPlot), swing alerts, alert switches and recent chat. Everything it shows comes from
// /api/channels[/<name>]. Chat text goes into the page only via textContent: never as HTML.
"use strict";

(() => {
  const CHANNELS_EVERY_MS = 5000;
  const DETAIL_EVERY_MS = 10000;
  const HISTORY_S = 3 * 3600;
  const MIN_SPAN_S = 15 * 60;  // a young stream still gets a readable time axis
  const CHART_HEIGHT = 220;
  const LABELS = new Set(["negative", "neutral", "positive"]);
  const COLORS = { mood: "#8ab4ff", count: "rgba(255, 196, 61, 0.55)", axis: "#a3a8bb", grid: "rgba(255,255,255,0.07)" };

  const list = document.getElementById("channels");
  const template = document.getElementById("channel-template");
  const connection = document.getElementById("connection");
  const cards = new Map();  // channel name -> {element, chart, range}

  function signed(value) {
    return `${value >= 0 ? "+" : "\u2212"}${Math.abs(value).toFixed(2)}`;
  }

  function clock(at) {
    return new Date(at * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  function text(parent, selector, value) {
    parent.querySelector(selector).textContent = value;
  }

  function element(tag, className, content) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined) node.textContent = content;
    return node;
  }

  async function getJson(path) {
    const response = await fetch(path, { cache: "no-store" });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return response.json();
  }

  function setConnection(state, message) {
    connection.dataset.state = state;
    connection.textContent = message;
  }

  // -- one channel ----------------------------------------------------------------------------

  function card(name) {
    let entry = cards.get(name);
    if (entry) return entry;
    const element = template.content.firstElementChild.cloneNode(true);
    element.dataset.channel = name;
    text(element, ".channel-name", `#${name}`);
    list.appendChild(element);
    entry = { element, chart: null, range: [0, 1] };
    cards.set(name, entry);
    refreshDetail(name);
    return entry;
  }

  function showLive(entry, snapshot) {
    const root = entry.element;
    const mood = snapshot.mood;
    root.dataset.word = mood.enough ? mood.word : "quiet";
    text(root, ".mood-emoji", mood.emoji);
    text(root, ".mood-word", mood.enough ? mood.word : "quiet");
    text(root, ".mood-value", mood.enough ? signed(mood.value) : "not enough chat");
    const minutes = Math.round(mood.window_s / 60);
    const trend = mood.previous === null ? "" : ` · ${minutes} min before: ${signed(mood.previous)}`;
    text(root, ".mood-count", `${mood.count} message${mood.count === 1 ? "" : "s"} in the last ${minutes} min${trend}`);
    for (const share of root.querySelectorAll(".share")) {
      const part = Number(mood[share.dataset.label]) || 0;
      share.style.flexGrow = String(part);
      share.textContent = part >= 0.12 ? `${Math.round(part * 100)}%` : "";
    }
    const level = Math.round(Number(snapshot.hype.level) || 0);
    root.querySelector(".live-hype").dataset.level = String(level);
    root.querySelector(".hype-fill").style.width = `${Math.max(0, Math.min(100, level))}%`;
    text(root, ".hype-level", String(level));
    const alertsState = root.querySelector(".alerts-state");
    alertsState.dataset.enabled = String(snapshot.alerts_enabled);
    alertsState.textContent = snapshot.alerts_enabled ? "swing alerts on" : "swing alerts off";
  }

  // Per-minute points from the first minute with chat to now; minutes without chat count 0 and
  // leave a gap in the mood line.
  function chartData(history, now) {
    const nowMinute = Math.floor(now / 60) * 60;
    const byMinute = new Map(history.map((b) => [Math.floor(b.t / 60) * 60, b]));
    const xs = [], means = [], counts = [];
    if (history.length) {
      for (let t = Math.floor(history[0].t / 60) * 60; t <= nowMinute; t += 60) {
        const bucket = byMinute.get(t);
        xs.push(t);
        counts.push(bucket ? bucket.count : 0);
        means.push(bucket && bucket.mean !== null ? bucket.mean : null);
      }
    }
    const start = Math.max(now - HISTORY_S, Math.min(xs.length ? xs[0] : now, now - MIN_SPAN_S));
    return { data: [xs, counts, means], range: [start, nowMinute + 60] };
  }

  // 0, 1, 3, 10, 30 ... up to the top of the (asinh) count scale; only decades when that is many.
  function countTicks(u) {
    const max = u.scales.count.max || 10;
    const decades = Math.floor(Math.log10(max)) + 1;
    const ticks = [0];
    for (let decade = 1; decade <= max; decade *= 10) {
      ticks.push(decade);
      if (decades <= 3 && decade * 3 <= max) ticks.push(decade * 3);
    }
    return ticks;
  }

  function makeChart(entry, data) {
    const holder = entry.element.querySelector(".history-chart");
    const axis = { stroke: COLORS.axis, grid: { stroke: COLORS.grid, width: 1 }, ticks: { stroke: COLORS.grid } };
    const options = {
      width: Math.max(300, holder.clientWidth),
      height: CHART_HEIGHT,
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: true, range: () => entry.range },
        mood: { range: [-1, 1] },
        // asinh: linear near zero, logarithmic above, so a quiet hour and a raid both stay readable
        count: { distr: 4, asinh: 1, range: (u, min, max) => [0, Math.max(10, (max || 0) * 1.5)] },
      },
      series: [
        { value: (u, v) => (v === null ? "\u2013" : clock(v)) },
        { label: "messages/min", scale: "count", stroke: COLORS.count, fill: COLORS.count, width: 0,
          paths: uPlot.paths.bars({ size: [0.85, 24] }), points: { show: false } },
        { label: "mood mean", scale: "mood", stroke: COLORS.mood, width: 2, spanGaps: false,
          points: { size: 5, fill: COLORS.mood }, value: (u, v) => (v === null ? "\u2013" : signed(v)) },
      ],
      axes: [
        axis,
        { ...axis, scale: "mood", values: (u, ticks) => ticks.map((t) => signed(t)) },
        { ...axis, scale: "count", side: 1, grid: { show: false }, splits: countTicks,
          values: (u, ticks) => ticks.map((t) => (t >= 1000 ? `${t / 1000}k` : String(t))) },
      ],
    };
    return new uPlot(options, data, holder);
  }

  function showHistory(entry, detail) {
    const { data, range } = chartData(detail.history, detail.at);
    entry.range = range;
    entry.element.querySelector(".history-empty").hidden = data[0].length > 0;
    if (typeof uPlot === "undefined") return;  // the chart library failed to load: the rest still works
    if (entry.chart === null) {
      entry.chart = makeChart(entry, data);
    } else {
      entry.chart.setData(data);
    }
  }

  function showAlerts(root, alerts) {
    const rows = alerts.map((alert) => {
      const row = element("tr", "alert-row");
      row.dataset.sent = String(alert.sent);
      row.append(element("td", "time", clock(alert.at)),
                 element("td", "swing", `${signed(alert.before)} \u2192 ${signed(alert.after)}`),
                 element("td", "outcome", alert.sent ? "sent" : `not sent: ${alert.reason || "unknown"}`));
      return row;
    });
    root.querySelector(".alert-rows").replaceChildren(...rows);
    root.querySelector(".alerts-empty").hidden = alerts.length > 0;
    root.querySelector("table.alerts").hidden = alerts.length === 0;
  }

  function showSwitches(root, switches) {
    const items = switches.map((change) => {
      const item = element("li", "switch");
      item.dataset.enabled = String(change.enabled);
      item.append(element("span", "time", clock(change.at)), " ",
                  element("span", "state", change.enabled ? "on" : "off"), " by ",
                  element("span", "user", change.by));
      return item;
    });
    root.querySelector(".switch-list").replaceChildren(...items);
    root.querySelector(".switches-empty").hidden = switches.length > 0;
  }

  function showRecent(root, messages) {
    const items = messages.map((message) => {
      const label = LABELS.has(message.label) ? message.label : "neutral";
      const item = element("li", "recent-message");
      item.dataset.label = label;
      item.append(element("span", "time", clock(message.at)), element("span", "user", message.user),
                  element("span", "text", message.text), element("span", "label", label));
      return item;
    });
    root.querySelector(".recent-list").replaceChildren(...items);
    root.querySelector(".recent-empty").hidden = messages.length > 0;
  }

  async function refreshDetail(name) {
    const entry = cards.get(name);
    if (!entry) return;
    try {
      const detail = await getJson(`/api/channels/${encodeURIComponent(name)}`);
      showLive(entry, detail);
      showHistory(entry, detail);
      showAlerts(entry.element, detail.alerts);
      showSwitches(entry.element, detail.switches);
      showRecent(entry.element, detail.recent);
      entry.element.dataset.loaded = "true";
    } catch (error) {
      console.warn("channel detail", name, error);
    }
  }

  // -- polling ----------------------------------------------------------------------------------

  async function refreshChannels() {
    try {
      const body = await getJson("/api/channels");
      const seen = new Set();
      for (const snapshot of body.channels) {
        seen.add(snapshot.channel);
        showLive(card(snapshot.channel), snapshot);
      }
      for (const [name, entry] of cards) {
        if (!seen.has(name)) {
          if (entry.chart) entry.chart.destroy();
          entry.element.remove();
          cards.delete(name);
        }
      }
      document.getElementById("no-channels").hidden = body.channels.length > 0;
      setConnection("live", `updated ${clock(body.at)}`);
    } catch (error) {
      setConnection("offline", "bot not reachable: retrying");
    }
  }

  function resizeCharts() {
    for (const entry of cards.values()) {
      if (entry.chart) {
        const width = entry.element.querySelector(".history-chart").clientWidth;
        entry.chart.setSize({ width: Math.max(300, width), height: CHART_HEIGHT });
      }
    }
  }

  refreshChannels();
  setInterval(refreshChannels, CHANNELS_EVERY_MS);
  setInterval(() => cards.forEach((_, name) => refreshDetail(name)), DETAIL_EVERY_MS);
  window.addEventListener("resize", resizeCharts);
})();
