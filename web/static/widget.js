// privacy-qa widget loader: <script src="https://assistant.example/widget.js" async></script>
// Adds a launcher button and a chat panel to the host page. The launcher lives in a Shadow DOM
// with `all: initial`, so the host's CSS does not reach it and ours does not reach the host; the
// chat itself is our /widget page in a frame, so host scripts cannot read what a visitor types.
// Nothing is loaded from the assistant until the visitor opens the panel. Options, as data-
// attributes on the script tag: data-title, data-position (bottom-right | bottom-left),
// data-colour (#rrggbb).
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__privacyQaWidget) return;
  window.__privacyQaWidget = true;

  var origin = new URL(script.src, location.href).origin;
  var data = script.dataset;
  var title = (data.title || "Privacy questions").replace(/\s+/g, " ").trim().slice(0, 60) ||
    "Privacy questions";
  var left = data.position === "bottom-left";
  var colourGiven = data.colour || data.color || "";
  var colour = /^#(?:[0-9a-f]{3}){1,2}$/i.test(colourGiven) ? colourGiven : "#0b5cad";

  function luminance(hex) {
    if (hex.length === 4) hex = "#" + hex[1] + hex[1] + hex[2] + hex[2] + hex[3] + hex[3];
    var c = [1, 3, 5].map(function (i) {
      var v = parseInt(hex.slice(i, i + 2), 16) / 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }
  var light = luminance(colour);
  var onColour = 1.05 / (light + 0.05) >= (light + 0.05) / 0.05 ? "#ffffff" : "#111111";

  var CSS =
    ":host { all: initial; }" +
    ".root { position: fixed; bottom: 20px; " + (left ? "left" : "right") + ": 20px;" +
    " z-index: 2147483000; font: 16px/1.4 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; }" +
    ".launcher { all: unset; box-sizing: border-box; display: inline-flex; align-items: center;" +
    " gap: 8px; padding: 12px 18px; border-radius: 999px; cursor: pointer; font-family: inherit;" +
    " font-size: 16px; font-weight: 600; line-height: 1.2; background: var(--brand); color: var(--on-brand);" +
    " box-shadow: 0 4px 14px rgba(0,0,0,.25); }" +
    ".launcher:focus-visible { outline: 3px solid #f59e0b; outline-offset: 3px; }" +
    ".launcher svg { width: 20px; height: 20px; fill: currentColor; }" +
    ".panel { position: absolute; bottom: 64px; " + (left ? "left" : "right") + ": 0;" +
    " width: 380px; height: 580px; max-height: calc(100vh - 100px); border-radius: 12px;" +
    " overflow: hidden; background: #fff; box-shadow: 0 8px 30px rgba(0,0,0,.3); }" +
    ".panel[hidden] { display: none; }" +
    "iframe { display: block; width: 100%; height: 100%; border: 0; }" +
    "@media (max-width: 480px) { .panel { position: fixed; inset: 0; width: auto; height: auto;" +
    " max-height: none; border-radius: 0; } .root[data-open] .launcher { display: none; } }";

  var host = document.createElement("div");
  host.setAttribute("data-privacy-qa-widget", "");
  var shadow = host.attachShadow({ mode: "open" });
  // A constructed style sheet: no <style> element, so a host CSP without 'unsafe-inline' allows it.
  var sheet = new CSSStyleSheet();
  sheet.replaceSync(CSS);
  shadow.adoptedStyleSheets = [sheet];

  var root = document.createElement("div");
  root.className = "root";
  root.style.setProperty("--brand", colour);
  root.style.setProperty("--on-brand", onColour);

  var launcher = document.createElement("button");
  launcher.type = "button";
  launcher.className = "launcher";
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "privacy-qa-panel");
  var svgNS = "http://www.w3.org/2000/svg";
  var icon = document.createElementNS(svgNS, "svg");
  icon.setAttribute("viewBox", "0 0 24 24");
  icon.setAttribute("aria-hidden", "true");
  var path = document.createElementNS(svgNS, "path");
  path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z");
  icon.appendChild(path);
  var label = document.createElement("span");
  label.textContent = title;
  launcher.append(icon, label);

  var panel = document.createElement("div");
  panel.className = "panel";
  panel.id = "privacy-qa-panel";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", title);

  var frame = null;

  function frameUrl() {
    var url = new URL("/widget", origin);
    url.searchParams.set("title", title);
    url.searchParams.set("colour", colour);
    return url.href;
  }

  function focusChat() {
    if (!frame) return;
    frame.focus();
    frame.contentWindow.postMessage({ type: "privacy-qa:open" }, origin);
  }

  function open() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.title = title;
      frame.src = frameUrl();
      frame.addEventListener("load", focusChat);
      panel.appendChild(frame);
    } else {
      focusChat();
    }
    panel.hidden = false;
    root.setAttribute("data-open", "");
    launcher.setAttribute("aria-expanded", "true");
  }

  function close() {
    panel.hidden = true;
    root.removeAttribute("data-open");
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  launcher.addEventListener("click", function () {
    if (panel.hidden) open();
    else close();
  });
  root.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) close();
  });
  window.addEventListener("message", function (event) {
    if (!frame || event.source !== frame.contentWindow || event.origin !== origin) return;
    if (event.data && event.data.type === "privacy-qa:close") close();
  });

  root.append(launcher, panel);
  shadow.appendChild(root);
  function mount() {
    document.body.appendChild(host);
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
