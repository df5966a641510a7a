// The minimal window: shows the version the Rust side reports (proving the IPC path) and
// points to dialtone-cli until the full UI lands.
import { loadStrings, pickLocale, renderInto } from "./i18n.js";

const { invoke } = window.__TAURI__.core;

function code(text) {
  const el = document.createElement("code");
  el.textContent = text;
  return el;
}

async function main() {
  const locale = pickLocale();
  document.documentElement.lang = locale;
  const strings = await loadStrings(locale);

  for (const el of document.querySelectorAll("[data-i18n]")) {
    renderInto(el, strings, el.dataset.i18n, { cli: code("dialtone-cli") });
  }
  document.title = strings["app.title"];

  const version = document.getElementById("version");
  try {
    const info = await invoke("app_info");
    renderInto(version, strings, "minimal.version", { version: info.version });
    version.dataset.state = "ready";
  } catch (err) {
    renderInto(version, strings, "minimal.versionUnknown", { error: String(err) });
    version.dataset.state = "error";
  }
}

main();
