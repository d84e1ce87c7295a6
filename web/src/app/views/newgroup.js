// newgroup.js — starting a group conversation: pick friends, create it, open it.
import { h, mount, toast } from '../dom.js';
import * as engine from '../engine.js';

/** The New group page. */
export function newGroupView() {
  const search = h('input', { id: 'group-search', type: 'search', placeholder: 'Search friends', autocomplete: 'off' });
  const box = h('fieldset', { class: 'stack' }, h('legend', null, 'Members'));
  const err = h('p', { class: 'notice error', role: 'alert', hidden: true });
  const form = h('form', { class: 'card stack' },
    h('label', { for: 'group-search' }, 'Find friends'), search, box, err,
    h('div', { class: 'row end' }, h('button', { type: 'submit', class: 'primary' }, 'Create group')));
  const el = h('section', { class: 'pageview', 'aria-labelledby': 'ng-title' },
    h('header', null, h('a', { class: 'button back', href: '#/', 'aria-label': 'Back to conversations' }, '‹'),
      h('h2', { id: 'ng-title', class: 'grow' }, 'New group')),
    h('div', { class: 'body' }, h('div', { class: 'page' }, form)));
  let friends = [];
  const picked = new Set();

  function render() {
    const q = search.value.trim().toLowerCase();
    const shown = friends.filter((f) => !q || f.username.toLowerCase().includes(q));
    mount(box, h('legend', null, `Members (${picked.size} picked)`),
      shown.length ? shown.map((f) => {
        const id = `pick-${f.user_id}`;
        const cb = h('input', { type: 'checkbox', id, checked: picked.has(f.user_id) });
        cb.addEventListener('change', () => { if (cb.checked) picked.add(f.user_id); else picked.delete(f.user_id); box.querySelector('legend').textContent = `Members (${picked.size} picked)`; });
        return h('div', { class: 'row' }, cb, h('label', { for: id }, f.username));
      }) : h('p', { class: 'muted small' }, friends.length ? 'No friend matches.' : 'Add friends first: a group is made of friends.'));
  }
  search.addEventListener('input', render);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.hidden = true;
    if (picked.size < 1) { err.hidden = false; err.textContent = 'Pick at least one friend.'; return; }
    try {
      const id = await engine.threadCreate([...picked]);
      location.hash = `#/t/${encodeURIComponent(id)}`;
    } catch (ex) {
      err.hidden = false;
      err.textContent = ex.message;
    }
  });
  engine.friends().then((f) => { friends = f; render(); }, (e) => toast(e.message));
  return { el, focus() { search.focus(); } };
}
