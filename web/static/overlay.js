// twitch-mood overlay: live mood gauge, hype bar and swing banner for one channel, fed by the bot's
// WebSocket (/ws/<channel>?key=...). Data only ever reaches the page through textContent and CSS
// custom properties, never as HTML.
"use strict";

(() => {
  const PARTS = ["gauge", "hype", "alerts"];
  const BANNER_MS = 6000;
  const RETRY_STEPS_S = [1, 2, 4, 8, 10];
  const KEY_CHANGED_RETRY_S = 30;  // a rotated key does not come back soon: retry slowly
  const SILENT_CLOSE_MS = 10000;   // the server pushes every second: 10 s of silence is a dead socket
  const SHOW_OFFLINE_AFTER_MS = 3000;

  const params = new URLSearchParams(location.search);
  const key = params.get("key") || "";
  const channel = decodeURIComponent(location.pathname.replace(/\/+$/, "").split("/").pop() || "");
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socketUrl = `${scheme}//${location.host}/ws/${encodeURIComponent(channel)}?key=${encodeURIComponent(key)}`;

  const $ = (id) => document.getElementById(id);
  const root = $("overlay");
  const gauge = $("gauge");
  const hype = $("hype");
  const banner = $("alert-banner");
  const status = $("overlay-status");

  let failures = 0;
  let bannerTimer = 0;
  let offlineTimer = 0;
  let silenceTimer = 0;

  function applyOptions() {
    const theme = params.get("theme") === "light" ? "light" : "dark";
    document.body.classList.remove("theme-dark", "theme-light");
    document.body.classList.add(`theme-${theme}`);
    const scale = Number.parseFloat(params.get("scale") || "1");
    if (Number.isFinite(scale) && scale > 0) {
      document.documentElement.style.setProperty("--scale", String(Math.min(scale, 10)));
    }
    const wanted = (params.get("parts") || PARTS.join(",")).split(",").map((p) => p.trim().toLowerCase());
    for (const element of root.querySelectorAll("[data-part]")) {
      element.classList.toggle("hidden-part", !wanted.includes(element.dataset.part));
    }
    // The panel frames the gauge and the bar; a banner-only overlay stays fully transparent.
    root.classList.toggle("bare", !wanted.includes("gauge") && !wanted.includes("hype"));
    document.title = `#${channel} mood`;
  }

  function signed(value) {
    return `${value >= 0 ? "+" : "\u2212"}${Math.abs(value).toFixed(2)}`;
  }

  function showSnapshot(snapshot) {
    const mood = snapshot.mood || {};
    const enough = Boolean(mood.enough);
    const value = enough ? Math.max(-1, Math.min(1, Number(mood.value) || 0)) : 0;
    gauge.dataset.value = String(value);
    gauge.dataset.enough = String(enough);
    gauge.dataset.word = enough ? String(mood.word || "") : "quiet";
    $("mood-word").textContent = enough ? String(mood.word || "") : "quiet";
    $("mood-emoji").textContent = String(mood.emoji || "💤");
    $("mood-value").textContent = enough ? signed(value) : "";
    gauge.querySelector(".gauge-track").style.setProperty("--value", String(value));

    const level = Math.max(0, Math.min(100, Math.round(Number((snapshot.hype || {}).level) || 0)));
    hype.dataset.level = String(level);
    $("hype-value").textContent = String(level);
    hype.querySelector(".hype-track").style.setProperty("--level", String(level));
  }

  function showAlert(alert) {
    $("alert-text").textContent = String(alert.text || "Mood swing");
    banner.dataset.direction = Number(alert.after) >= Number(alert.before) ? "up" : "down";
    banner.classList.add("visible");
    clearTimeout(bannerTimer);
    bannerTimer = setTimeout(() => banner.classList.remove("visible"), BANNER_MS);
  }

  function setState(state, message) {
    root.dataset.state = state;
    status.textContent = message || "";
    status.hidden = !message;
  }

  function keyChanged() {
    clearTimeout(offlineTimer);
    setState("key-changed", "overlay key changed: copy the new URL from twitch-mood overlay-key");
    setTimeout(connect, KEY_CHANGED_RETRY_S * 1000);
  }

  function retry() {
    const delay = RETRY_STEPS_S[Math.min(failures, RETRY_STEPS_S.length - 1)];
    failures += 1;
    if (root.dataset.state === "key-changed") {
      setState("reconnecting", "");
    } else if (root.dataset.state !== "offline") {
      root.dataset.state = "reconnecting";
    }
    setTimeout(connect, delay * 1000);
  }

  // A refused WebSocket handshake looks like any other failure to a page; asking for the page's own
  // URL tells a rotated key (403) from a bot that is restarting (no answer).
  async function keyRefused() {
    try {
      const response = await fetch(location.href, { cache: "no-store" });
      return response.status === 403;
    } catch {
      return false;
    }
  }

  function connect() {
    let opened = false;
    const socket = new WebSocket(socketUrl);
    const resetSilence = () => {
      clearTimeout(silenceTimer);
      silenceTimer = setTimeout(() => socket.close(), SILENT_CLOSE_MS);
    };
    socket.addEventListener("open", () => {
      opened = true;
      failures = 0;
      clearTimeout(offlineTimer);
      setState("live", "");
      resetSilence();
    });
    socket.addEventListener("message", (event) => {
      resetSilence();
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message.type === "snapshot") {
        showSnapshot(message);
      } else if (message.type === "alert") {
        showAlert(message);
      }
    });
    socket.addEventListener("close", async (event) => {
      clearTimeout(silenceTimer);
      if (event.code === 4003 || (!opened && await keyRefused())) {
        keyChanged();
        return;
      }
      if (opened || root.dataset.state === "live") {
        clearTimeout(offlineTimer);
        offlineTimer = setTimeout(() => setState("offline", "reconnecting\u2026"), SHOW_OFFLINE_AFTER_MS);
      }
      retry();
    });
  }

  applyOptions();
  connect();
})();
