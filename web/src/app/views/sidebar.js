// sidebar.js — the left column: who is signed in, the sections (Chats, Friends, Settings) and the
// conversations, newest activity first, with unread counts. Kept current by the live stream.
import { h, mount, initial, when } from '../dom.js';
import * as engine from '../engine.js';

/** The sidebar; .select(threadId, section) marks the current place, .onEvent(ev) refreshes. */
export function sidebar({ onLogout }) {
  const list = h('ul', { class: 'threads', 'aria-label': 'Conversations' });
  const requestsBadge = h('span', { class: 'badge', hidden: true });
  const links = {
    chats: h('a', { href: '#/' }, 'Chats'),
    friends: h('a', { href: '#/friends' }, 'Friends ', requestsBadge),
    settings: h('a', { href: '#/settings' }, 'Settings'),
  };
  const alarm = h('p', { class: 'notice warn small', role: 'alert', hidden: true });
  const el = h('aside', { class: 'sidebar', 'aria-label': 'Postern' },
    h('header', null,
      h('h1', { class: 'grow' }, 'Postern'),
      h('a', { class: 'button', href: '#/new-group', title: 'New group', 'aria-label': 'New group' }, '+ Group'),
      h('button', { type: 'button', onclick: () => onLogout(false) }, 'Sign out')),
    h('p', { class: 'muted small me-line' }, h('span', { class: 'sr-only' }, 'Signed in as '), engine.username()),
    h('nav', { 'aria-label': 'Sections' }, links.chats, links.friends, links.settings),
    alarm,
    list);
  let current = null;
  let threads = [];
  let refreshing = null;

  function render() {
    if (!threads.length) {
      mount(list, h('li', { class: 'muted small empty-list' }, 'No conversations yet. Add a friend to start one.'));
      return;
    }
    mount(list, threads.map((t) => {
      const name = engine.threadName(t);
      const unread = t.unread > 0;
      return h('li', { class: unread ? 'unread' : null },
        h('a', { href: `#/t/${encodeURIComponent(t.thread_id)}`, 'aria-current': t.thread_id === current ? 'page' : null },
          h('span', { class: 'avatar', 'aria-hidden': 'true' }, initial(name)),
          h('span', { class: 'grow' },
            h('span', { class: 'name' }, name),
            h('br'),
            h('span', { class: 'muted small' },
              t.app ? h('span', { class: 'tag app' }, `via ${t.app.name || 'an app'}`) : null,
              t.app ? ' ' : null,
              when(t.last_activity))),
          unread ? h('span', { class: 'badge', 'aria-label': `${t.unread} unread` }, String(t.unread)) : null));
    }));
  }

  async function refresh() {
    if (refreshing) return refreshing;
    refreshing = (async () => {
      try {
        threads = await engine.inbox();
        render();
        const reqs = await engine.friendRequests();
        const n = (reqs.incoming || []).length;
        requestsBadge.hidden = n === 0;
        requestsBadge.textContent = String(n);
        requestsBadge.setAttribute('aria-label', `${n} friend requests`);
        const alarms = await engine.alarmCount();
        alarm.hidden = alarms === 0;
        alarm.textContent = alarms ? `The server's transparency log failed ${alarms} check(s): see Settings → Security.` : '';
      } catch (e) {
        if (!threads.length) mount(list, h('li', { class: 'notice error small', role: 'alert' }, `Could not load conversations: ${e.message}`));
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  }

  refresh();
  return {
    el,
    select(threadId, section) {
      current = threadId;
      for (const [k, a] of Object.entries(links)) a.setAttribute('aria-current', k === section || (k === 'chats' && section === 't') ? 'page' : 'false');
      for (const a of list.querySelectorAll('a')) a.setAttribute('aria-current', a.getAttribute('href') === `#/t/${encodeURIComponent(threadId)}` ? 'page' : 'false');
      if (threadId) {
        const t = threads.find((x) => x.thread_id === threadId);
        if (t && t.unread) { t.unread = 0; render(); }
      }
    },
    onEvent(ev) {
      if (/^(message|thread|friend|member|app)\./.test(ev.type) || ev.type === 'read') refresh();
    },
    refresh,
  };
}
