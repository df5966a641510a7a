// Strings come only from ui/i18n/<locale>.json. No fallback text lives in the code.

const SUPPORTED = ["en-US", "zh-CN"];
const DEFAULT_LOCALE = "en-US";

/** Picks the best supported locale for the user's language list. */
export function pickLocale(languages = navigator.languages ?? [navigator.language]) {
  for (const lang of languages) {
    const exact = SUPPORTED.find((l) => l.toLowerCase() === String(lang).toLowerCase());
    if (exact) return exact;
    const base = String(lang).split("-")[0].toLowerCase();
    const sameBase = SUPPORTED.find((l) => l.split("-")[0].toLowerCase() === base);
    if (sameBase) return sameBase;
  }
  return DEFAULT_LOCALE;
}

/** Loads the catalogue for `locale`, with the default locale underneath for missing keys. */
export async function loadStrings(locale) {
  const load = async (l) => {
    const res = await fetch(`i18n/${l}.json`);
    if (!res.ok) throw new Error(`i18n/${l}.json: HTTP ${res.status}`);
    return res.json();
  };
  const base = await load(DEFAULT_LOCALE);
  return locale === DEFAULT_LOCALE ? base : { ...base, ...(await load(locale)) };
}

/**
 * Fills `el` with the string `key`, replacing `{name}` placeholders by `params[name]`:
 * strings become text, DOM nodes are inserted as they are (e.g. a <code> element).
 */
export function renderInto(el, strings, key, params = {}) {
  const template = strings[key] ?? key;
  const parts = template.split(/(\{[a-zA-Z0-9_]+\})/);
  el.replaceChildren(
    ...parts.map((part) => {
      const m = /^\{([a-zA-Z0-9_]+)\}$/.exec(part);
      if (!m || !(m[1] in params)) return document.createTextNode(part);
      const value = params[m[1]];
      return value instanceof Node ? value : document.createTextNode(String(value));
    }),
  );
}
