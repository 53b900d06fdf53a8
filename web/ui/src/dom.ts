// A small helper to build DOM elements, shared by the views.

export type Attrs = Record<string, any>;

// h makes an element: attributes (on* become listeners, text the text
// content; null, undefined and false are left out) and children.
export function h(tag: string, attrs: Attrs = {}, ...kids: (Node | string | null | undefined | false)[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const k of kids) if (k) el.append(k);
  return el;
}
