// contact.js — a contact's safety number: the 60 digits and a QR code of them, computed in this page from the
// identity keys this browser pinned (never from anything the server says), marking them verified after
// comparing in person, and accepting a changed identity.
import qrcode from 'qrcode-generator';
import { h, mount, svg, toast } from '../dom.js';
import * as engine from '../engine.js';

/** An SVG QR code of text (error correction M), black on white, with a quiet zone. */
export function qrSvg(text) {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  const root = svg('svg', { viewBox: `-4 -4 ${n + 8} ${n + 8}`, role: 'img', 'shape-rendering': 'crispEdges' });
  let d = '';
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (qr.isDark(r, c)) d += `M${c} ${r}h1v1h-1z`;
  root.append(svg('rect', { x: -4, y: -4, width: n + 8, height: n + 8, fill: '#fff' }), svg('path', { d, fill: '#000' }));
  return root;
}

/** The safety-number page of userId. */
export function contactView(userId) {
  const panel = h('div', { class: 'stack' });
  const el = h('section', { class: 'pageview', 'aria-labelledby': 'sn-title' },
    h('header', null, h('a', { class: 'button back', href: '#/', 'aria-label': 'Back to conversations' }, '‹'),
      h('h2', { id: 'sn-title', class: 'grow' }, 'Safety number')),
    h('div', { class: 'body' }, h('div', { class: 'page' }, panel)));
  async function load() {
    const c = await engine.contact(userId);
    const name = c.username || engine.nameOf(userId);
    const groups = String(c.safety_number || '').split(/\s+/).filter(Boolean);
    const qrBox = h('div', { class: 'qr' });
    if (c.safety_qr) {
      const q = qrSvg(c.safety_qr);
      q.setAttribute('aria-label', `QR code of your safety number with ${name}`);
      qrBox.append(q);
    }
    mount(panel, h('div', { class: 'card stack' },
      h('h3', null, `You and ${name}`),
      c.state === 'changed' ? h('p', { class: 'notice warn', role: 'alert' }, `${name}'s identity key changed since you last saw it. If they did not get a new phone or reset their account, someone may be in the middle. Compare the new number before you trust it.`) : null,
      c.state === 'verified' ? h('p', { class: 'notice ok' }, h('span', { class: 'tag verified' }, '✔ Verified'), ` You compared this number with ${name}.`) : null,
      h('p', { class: 'muted small' }, `Compare these numbers with ${name} in person or on a call you trust, or scan each other's code. If they match, nobody can read your conversation but the two of you.`),
      groups.length ? h('p', { class: 'safety', 'aria-label': `Safety number: ${groups.join(' ')}`, 'data-testid': 'safety-number' }, groups.join(' ')) : h('p', { class: 'muted' }, `${name} has no identity key yet.`),
      qrBox,
      h('div', { class: 'row' },
        c.state === 'changed' ? h('button', { type: 'button', class: 'primary', onclick: () => act(() => engine.contactAccept(userId), 'Accepted the new identity.') }, 'Accept the new number') : null,
        c.state !== 'verified' && groups.length ? h('button', { type: 'button', class: c.state === 'changed' ? null : 'primary', onclick: () => act(() => engine.contactVerify(userId, true), `${name} is verified.`) }, 'Mark as verified') : null,
        c.state === 'verified' ? h('button', { type: 'button', onclick: () => act(() => engine.contactVerify(userId, false), 'No longer verified.') }, 'Clear verification') : null)));
  }
  async function act(fn, done) {
    try { await fn(); toast(done); await load(); } catch (e) { toast(e.message); }
  }
  load().catch((e) => mount(panel, h('p', { class: 'notice error', role: 'alert' }, e.message)));
  return { el };
}
