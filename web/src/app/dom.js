// dom.js — building the page from code: elements with text, never HTML strings (the page runs under Trusted
// Types with no policy, so innerHTML and friends throw). Everything the server or another person sent is set
// with textContent or an attribute, so it can never become markup.

/**
 * h(tag, props, ...children) makes an element. props: attributes, except `on*` (event listeners, e.g.
 * onclick), `class`, and `dataset`; `false`/`null`/`undefined` attributes are left out, `true` sets an empty
 * one. Children: nodes, strings (text), arrays of them, or null/false (skipped). Returns the element.
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replace everything inside el with children (same rules as h). */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** An SVG element (for the safety-number QR code). */
export function svg(tag, attrs) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  return el;
}

/** Say text to screen readers through the page's polite live region. */
export function announce(text) {
  const a = document.getElementById('announcer');
  if (!a) return;
  a.append(h('p', null, text));
  while (a.childNodes.length > 5) a.firstChild.remove();
}

/** A short message at the bottom of the screen for a few seconds (also announced). */
export function toast(text) {
  const t = h('div', { class: 'toast', role: 'status' }, text);
  document.body.append(t);
  setTimeout(() => t.remove(), 4000);
}

/** Initials for an avatar: the first letter of a name, upper-cased. */
export function initial(name) {
  return (String(name || '?').trim()[0] || '?').toUpperCase();
}

/** A time as the person's local time: "14:05" today, else "3 Dec, 14:05"; the full date in the title. */
export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return sameDay ? time : `${d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })}, ${time}`;
}

/** A day in words: "today", "yesterday", else "3 Dec 2026" (the person's locale). */
export function day(iso) {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return '';
  const today = new Date();
  const yesterday = new Date(today.getTime() - 86400000);
  if (d.toDateString() === today.toDateString()) return 'today';
  if (d.toDateString() === yesterday.toDateString()) return 'yesterday';
  return d.toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
}

/** A <time> element showing when(iso), the exact local date and time on hover. */
export function timeEl(iso) {
  return h('time', { datetime: iso, title: iso ? new Date(iso).toLocaleString() : '' }, when(iso));
}

/**
 * Ask before something that cannot be undone: a modal <dialog> with the question, what will happen, and two
 * buttons. Resolves true when confirmed. Focus returns to where it was.
 */
export function confirmDialog({ title, body, confirm = 'Confirm', danger = false }) {
  return new Promise((resolve) => {
    const back = document.activeElement;
    const dlg = h('dialog', { 'aria-labelledby': 'dlg-title' },
      h('h2', { id: 'dlg-title' }, title),
      body ? h('p', null, body) : null,
      h('div', { class: 'row end' },
        h('button', { type: 'button', onclick: () => done(false) }, 'Cancel'),
        h('button', { type: 'button', class: danger ? 'danger' : 'primary', onclick: () => done(true) }, confirm)));
    function done(v) {
      dlg.close();
      dlg.remove();
      if (back && back.focus) back.focus();
      resolve(v);
    }
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); done(false); });
    document.body.append(dlg);
    dlg.showModal();
  });
}
