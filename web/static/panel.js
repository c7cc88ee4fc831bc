// The widget's panel (the page /widget, inside the host page's frame): the host's colour, the
// close button, and focus handed over from the launcher. Messages go only to our parent frame.

const body = document.body;
const framed = window.parent !== window;

/** Relative luminance (WCAG 2.1) of a #rrggbb colour. */
function luminance(hex) {
  const channels = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const [r, g, b] = channels.map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function expand(hex) {
  return hex.length === 4 ? `#${[...hex.slice(1)].map((c) => c + c).join("")}` : hex;
}

// The server let only #rgb or #rrggbb through. Text goes white or black, whichever contrasts more.
const colour = expand(body.dataset.colour || "#0b5cad");
if (/^#[0-9a-f]{6}$/i.test(colour)) {
  const light = luminance(colour);
  const onColour = (1.05 / (light + 0.05)) >= ((light + 0.05) / 0.05) ? "#ffffff" : "#111111";
  document.documentElement.style.setProperty("--brand", colour);
  document.documentElement.style.setProperty("--on-brand", onColour);
}

function close() {
  if (framed) window.parent.postMessage({ type: "privacy-qa:close" }, "*");
}

const closeButton = document.querySelector("[data-close]");
if (framed && closeButton) {
  closeButton.hidden = false;
  closeButton.addEventListener("click", close);
}

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") close();
});

window.addEventListener("message", (event) => {
  if (event.source !== window.parent || !event.data || event.data.type !== "privacy-qa:open") return;
  document.querySelector("input[name=q]")?.focus();
});
