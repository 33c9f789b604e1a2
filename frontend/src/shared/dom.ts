// Tiny DOM helpers. Server data always goes in as text, never as HTML.

type Child = Node | string | null | undefined | false;

export type Attrs = Record<string, string | number | boolean | null | undefined>;

/** Creates an element; boolean `true` sets an empty attribute, false/null/undefined skip it. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
}

/** Sets text only when it changed, so polling does not disturb selection. */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

export function setAttr(el: Element, name: string, value: string | null): void {
  if (value === null) el.removeAttribute(name);
  else if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

/**
 * The API addresses a page's view renders as `data-<key>-url` attributes. A missing one
 * is a template bug, so it throws rather than let the page half-work.
 */
export function dataUrls<K extends string>(root: HTMLElement, keys: readonly K[]): Record<K, string> {
  const urls = {} as Record<K, string>;
  for (const key of keys) {
    const value = root.dataset[`${key}Url`];
    if (!value) {
      const attribute = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      throw new Error(`#${root.id} lacks data-${attribute}-url`);
    }
    urls[key] = value;
  }
  return urls;
}

/** Reads a numeric data attribute; null when absent or not a finite number. */
export function dataNumber(el: HTMLElement, key: string): number | null {
  const raw = el.dataset[key];
  if (raw === undefined || raw.trim() === "") return null;
  const value = Number(raw);
  return Number.isFinite(value) ? value : null;
}

export function dataBool(el: HTMLElement, key: string): boolean {
  const raw = (el.dataset[key] ?? "").toLowerCase();
  return raw === "true" || raw === "1" || raw === "yes";
}

/** Runs `init` once the DOM is parsed (module scripts are deferred, but be safe). */
export function onReady(init: () => void): void {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init, { once: true });
  else init();
}
