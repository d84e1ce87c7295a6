// friends.js — friends and requests: ask by username, answer requests, take back one's own, open a
// conversation, look at a friend's safety number, unfriend (after asking).
import { h, mount, initial, toast, confirmDialog, day } from '../dom.js';
import * as engine from '../engine.js';

/** The Friends page. */
export function friendsView() {
  const err = h('p', { class: 'notice error', role: 'alert', hidden: true });
  const input = h('input', { id: 'friend-username', type: 'text', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', required: true });
  const form = h('form', { class: 'card stack', 'aria-labelledby': 'add-title' },
    h('h2', { id: 'add-title' }, 'Add a friend'),
    h('label', { for: 'friend-username' }, 'Their username'),
    h('div', { class: 'row' }, h('div', { class: 'grow' }, input), h('button', { type: 'submit', class: 'primary' }, 'Send request')),
    err);
  const incoming = h('ul', { class: 'list' });
  const outgoing = h('ul', { class: 'list' });
  const friends = h('ul', { class: 'list' });
  const el = h('section', { class: 'pageview', 'aria-labelledby': 'friends-title' },
    h('header', null, h('a', { class: 'button back', href: '#/', 'aria-label': 'Back to conversations' }, '‹'),
      h('h2', { id: 'friends-title', class: 'grow' }, 'Friends')),
    h('div', { class: 'body' }, h('div', { class: 'page stack' }, form,
      h('section', { class: 'card', 'aria-labelledby': 'in-title' }, h('h2', { id: 'in-title' }, 'Requests for you'), incoming),
      h('section', { class: 'card', 'aria-labelledby': 'fr-title' }, h('h2', { id: 'fr-title' }, 'Your friends'), friends),
      h('section', { class: 'card', 'aria-labelledby': 'out-title' }, h('h2', { id: 'out-title' }, 'Requests you sent'), outgoing))));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.hidden = true;
    try {
      await engine.friendAdd(input.value.trim());
      toast(`Request sent to ${input.value.trim()}.`);
      input.value = '';
      await load();
    } catch (ex) {
      err.hidden = false;
      err.textContent = ex.code === 'not_found' ? `No one is called “${input.value.trim()}” here.` : ex.message;
    }
  });

  async function act(fn, done) {
    try { await fn(); if (done) toast(done); await load(); } catch (e) { toast(e.message); }
  }

  async function load() {
    let reqs, list;
    try {
      [reqs, list] = await Promise.all([engine.friendRequests(), engine.friends()]);
    } catch (e) {
      mount(friends, h('li', { class: 'notice error' }, `Could not load friends: ${e.message}`));
      return;
    }
    mount(incoming, (reqs.incoming || []).length ? reqs.incoming.map((r) => h('li', null,
      h('span', { class: 'avatar', 'aria-hidden': 'true' }, initial(r.username)),
      h('span', { class: 'grow' }, h('strong', null, r.username), ' wants to be friends'),
      h('button', { type: 'button', class: 'primary', onclick: () => act(() => engine.friendAccept(r.request_id), `You and ${r.username} are friends.`) }, 'Accept'),
      h('button', { type: 'button', onclick: () => act(() => engine.friendDecline(r.request_id), 'Declined.') }, 'Decline')))
      : h('li', { class: 'muted small' }, 'No requests.'));
    mount(outgoing, (reqs.outgoing || []).length ? reqs.outgoing.map((r) => h('li', null,
      h('span', { class: 'grow' }, r.username, ' ', h('span', { class: 'muted small' }, 'waiting')),
      h('button', { type: 'button', onclick: () => act(() => engine.friendWithdraw(r.request_id), 'Request taken back.') }, 'Take back')))
      : h('li', { class: 'muted small' }, 'None waiting.'));
    mount(friends, list.length ? list.map((f) => h('li', null,
      h('span', { class: 'avatar', 'aria-hidden': 'true' }, initial(f.username)),
      h('span', { class: 'grow' }, h('strong', null, f.username), h('br'), h('span', { class: 'muted small' }, 'Friends since ', h('time', { datetime: f.since, title: new Date(f.since).toLocaleString() }, day(f.since)))),
      h('button', { type: 'button', class: 'primary', onclick: () => openChat(f) }, 'Message'),
      h('a', { class: 'button', href: `#/contact/${encodeURIComponent(f.user_id)}` }, 'Safety number'),
      h('button', { type: 'button', class: 'link', onclick: () => unfriend(f) }, 'Unfriend')))
      : h('li', { class: 'muted small' }, 'No friends yet: add someone by their username above.'));
  }

  async function openChat(f) {
    try {
      const id = await engine.threadDirect(f.user_id);
      location.hash = `#/t/${encodeURIComponent(id)}`;
    } catch (e) {
      toast(`Could not open a conversation: ${e.message}`);
    }
  }

  async function unfriend(f) {
    if (!await confirmDialog({ title: `Unfriend ${f.username}?`, body: 'You will no longer be able to start conversations with each other. Existing conversations stay.', confirm: 'Unfriend', danger: true })) return;
    act(() => engine.friendRemove(f.user_id), `${f.username} is no longer a friend.`);
  }

  load();
  return {
    el,
    focus() { input.focus(); },
    onEvent(ev) { if (/^friend\./.test(ev.type)) load(); },
  };
}
