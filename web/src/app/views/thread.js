// thread.js — one conversation: its messages (decrypted in this page), older history on request, the compose
// box, deleting one's own message, the read marker, share cards from apps, and the friend's answer when an app
// asks to read the conversation. What the reader's checks found about a message (docs/protocol.md §18) is
// shown under it in words; an identity change stops sending until the person looks at the safety number.
import { h, mount, timeEl, toast, confirmDialog, announce } from '../dom.js';
import * as engine from '../engine.js';

const PAGE = 40;

/** The view of thread threadId: { el, threadId, onEvent, focus, close }. */
export function threadView(threadId) {
  const title = h('h2', { id: 'thread-title', class: 'grow' }, '…');
  const subtitle = h('p', { class: 'muted small' });
  const info = h('a', { class: 'button', href: '#/', hidden: true }, 'Details');
  const banner = h('div', { class: 'consent' });
  const older = h('button', { type: 'button', class: 'link', hidden: true, onclick: loadOlder }, 'Show earlier messages');
  const list = h('ol', { class: 'messages', 'aria-label': 'Messages', 'aria-live': 'polite', 'aria-relevant': 'additions' });
  const body = h('div', { class: 'body', tabindex: '-1' }, h('div', { class: 'page' }, older, list));
  const text = h('textarea', { id: 'compose', rows: '1', 'aria-label': 'Message', placeholder: 'Message (end-to-end encrypted)', maxlength: '20000' });
  const send = h('button', { type: 'submit', class: 'primary' }, 'Send');
  const form = h('form', { class: 'compose', 'aria-label': 'Write a message' }, h('div', { class: 'grow' }, text), send);
  const el = h('section', { class: 'thread', 'aria-labelledby': 'thread-title' },
    h('header', null,
      h('a', { class: 'button back', href: '#/', 'aria-label': 'Back to conversations' }, '‹'),
      h('div', { class: 'grow' }, title, subtitle),
      info),
    banner, body, form);

  let thread = null;
  let messages = [];   // ascending by seq
  let hasMore = false;
  let closed = false;
  let lastMarked = 0;
  const openedShares = new Set(); // share ids opened in this view (the messages may be reloaded meanwhile)

  form.addEventListener('submit', (e) => { e.preventDefault(); doSend(); });
  text.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); doSend(); }
  });

  async function load() {
    try {
      thread = await engine.thread(threadId);
      renderHead();
      const page = await engine.read(threadId, { limit: PAGE });
      // messages the live stream delivered while the page was loading stay (they may be newer than the page)
      const loaded = new Set(page.messages.map((m) => m.message_id));
      messages = page.messages.concat(messages.filter((m) => !loaded.has(m.message_id))).sort((a, b) => a.seq - b.seq);
      hasMore = page.hasMore;
      renderMessages(true);
      markRead();
    } catch (e) {
      mount(list, h('li', { class: 'notice error', role: 'alert' }, `Could not open this conversation: ${e.message}`));
      form.hidden = true;
    }
  }

  function renderHead() {
    const name = engine.threadName(thread);
    title.textContent = name;
    document.title = `${name} · Postern`;
    const others = thread.members.filter((m) => m.user_id !== engine.userId());
    subtitle.textContent = thread.kind === 'group'
      ? `${thread.members.length} members · end-to-end encrypted`
      : 'End-to-end encrypted';
    info.hidden = false;
    info.href = thread.kind === 'direct' && others[0] ? `#/contact/${encodeURIComponent(others[0].user_id)}` : `#/settings/thread/${encodeURIComponent(threadId)}`;
    info.textContent = thread.kind === 'direct' ? 'Safety number' : 'Members';
    mount(banner, consentBanner(), identityBanner());
  }

  function consentBanner() {
    const app = thread.app;
    if (!app) return null;
    if (app.consent === 'pending') {
      return h('div', { class: 'notice warn stack', role: 'region', 'aria-label': `${app.name} asks to read` },
        h('p', null, h('strong', null, `${app.name} wants to read this conversation.`),
          ' If you allow it, the app can read what you write here, and it is listed in your access log. If you decline, it sees only what it sent.'),
        h('div', { class: 'row' },
          h('button', { type: 'button', class: 'primary', onclick: () => answer(true) }, 'Allow'),
          h('button', { type: 'button', onclick: () => answer(false) }, 'Decline')));
    }
    return h('p', { class: 'notice small' }, h('span', { class: 'tag app' }, `via ${app.name}`), ' ', app.notice || '',
      app.consent === 'declined' || app.consent === 'accepted'
        ? h('button', { type: 'button', class: 'link', onclick: () => answer(app.consent !== 'accepted') }, app.consent === 'accepted' ? 'Stop letting it read' : 'Let it read')
        : null);
  }

  function identityBanner() {
    const changed = thread.members.filter((m) => m.user_id !== engine.userId() && engine.identityChanged(m.user_id));
    if (!changed.length) return null;
    return changed.map((m) => h('p', { class: 'notice warn', role: 'alert' },
      `${m.username}'s safety number changed (a new phone, a reset — or someone in between). Messages are not sent to them until you look. `,
      h('a', { href: `#/contact/${encodeURIComponent(m.user_id)}` }, 'Review safety number')));
  }

  async function answer(accept) {
    try {
      await engine.appConsent(threadId, accept);
      thread = await engine.thread(threadId);
      renderHead();
      toast(accept ? `${thread.app ? thread.app.name : 'The app'} can now read this conversation.` : 'Declined: the app cannot read what you write here.');
    } catch (e) {
      toast(`Could not answer: ${e.message}`);
    }
  }

  function renderMessages(scrollToEnd) {
    older.hidden = !hasMore;
    mount(list, messages.length ? messages.map(messageItem) : h('li', { class: 'system' }, 'No messages yet. Say hello!'));
    if (scrollToEnd) body.scrollTop = body.scrollHeight;
  }

  function messageItem(m) {
    const mine = m.sender_id === engine.userId();
    const cls = ['msg', mine ? 'mine' : '', m.deleted ? 'deleted' : '', m.text === null && !m.deleted && !m.item ? 'undecryptable' : ''].join(' ').trim();
    const who = mine ? 'You' : engine.nameOf(m.sender_id);
    let content;
    if (m.deleted) content = h('div', { class: 'bubble' }, 'This message was deleted.');
    else if (m.item) content = shareCard(m);
    else if (m.text === null || m.text === undefined) content = h('div', { class: 'bubble' }, m.decrypt_error || 'This message cannot be decrypted on this device.');
    else content = h('div', { class: 'bubble' }, m.text);
    return h('li', { class: cls, 'data-seq': m.seq, 'data-message-id': m.message_id },
      h('span', { class: 'sr-only' }, `${who}: `),
      content,
      m.notice ? h('p', { class: 'warnline', role: 'note' }, `⚠ ${m.notice}`) : null,
      h('div', { class: 'meta' },
        thread && thread.kind !== 'direct' && !mine ? h('span', null, who) : null,
        timeEl(m.created_at),
        mine && !m.deleted ? h('button', { type: 'button', class: 'link small', 'aria-label': 'Delete this message', onclick: () => remove(m) }, 'Delete') : null));
  }

  function shareCard(m) {
    const appName = thread && thread.app ? thread.app.name : 'an app';
    return h('div', { class: 'share' },
      h('div', { class: 'share-head' }, `Shared with ${appName}`),
      h('div', { class: 'share-body stack' },
        h('p', { class: 'share-item' }, m.item),
        m.text ? h('p', null, m.text) : null,
        m.share_id && m.sender_id !== engine.userId()
          ? h('button', { type: 'button', onclick: () => openShare(m) }, openedShares.has(m.share_id) ? 'Opened' : `Open in ${appName}`)
          : null));
  }

  async function openShare(m) {
    try {
      await engine.shareOpen(threadId, m.share_id);
      openedShares.add(m.share_id);
      renderMessages(false);
      toast(`Opened “${m.item}”.`);
    } catch (e) {
      toast(`Could not open it: ${e.message}`);
    }
  }

  async function remove(m) {
    const ok = await confirmDialog({ title: 'Delete this message?', body: 'It is removed for everyone in this conversation. This cannot be undone.', confirm: 'Delete', danger: true });
    if (!ok) return;
    try {
      await engine.deleteMessage(threadId, m.message_id);
      m.deleted = true;
      m.text = null;
      renderMessages(false);
      announce('Message deleted');
    } catch (e) {
      toast(`Could not delete it: ${e.message}`);
    }
  }

  async function doSend() {
    const t = text.value;
    if (!t.trim()) return;
    send.disabled = true;
    try {
      await engine.send(threadId, t);
      text.value = '';
      await refreshNew();
    } catch (e) {
      toast(`Not sent: ${e.message}`);
    } finally {
      send.disabled = false;
      text.focus();
    }
  }

  async function loadOlder() {
    if (!messages.length) return;
    const before = messages[0].seq;
    const height = body.scrollHeight;
    try {
      const page = await engine.read(threadId, { beforeSeq: before, limit: PAGE });
      messages = page.messages.concat(messages);
      hasMore = page.hasMore;
      renderMessages(false);
      body.scrollTop = body.scrollHeight - height;
    } catch (e) {
      toast(`Could not load earlier messages: ${e.message}`);
    }
  }

  async function refreshNew() {
    const page = await engine.read(threadId, { limit: PAGE });
    const known = new Map(messages.map((m) => [m.message_id, m]));
    for (const m of page.messages) {
      if (!known.has(m.message_id)) messages.push(m);
      else Object.assign(known.get(m.message_id), { deleted: m.deleted, text: m.deleted ? null : known.get(m.message_id).text });
    }
    messages.sort((a, b) => a.seq - b.seq);
    const atEnd = body.scrollHeight - body.scrollTop - body.clientHeight < 80;
    renderMessages(atEnd);
    markRead();
  }

  function markRead() {
    if (!messages.length || document.hidden) return;
    const last = messages[messages.length - 1].seq;
    if (last <= lastMarked) return;
    lastMarked = last;
    engine.markRead(threadId, last).catch(() => { lastMarked = 0; });
  }

  const onVisible = () => { if (!document.hidden) markRead(); };
  document.addEventListener('visibilitychange', onVisible);
  load();

  return {
    el,
    threadId,
    focus() { text.focus(); },
    close() { closed = true; document.removeEventListener('visibilitychange', onVisible); },
    onEvent(ev) {
      if (closed) return;
      const tid = ev.thread_id || (ev.message && ev.message.thread_id) || (ev.data && ev.data.thread_id);
      if (tid !== threadId) return;
      if (ev.type === 'message.created' && ev.message) {
        if (!messages.some((m) => m.message_id === ev.message.message_id)) {
          messages.push(ev.message);
          messages.sort((a, b) => a.seq - b.seq);
          const atEnd = body.scrollHeight - body.scrollTop - body.clientHeight < 120;
          renderMessages(atEnd);
          markRead();
        }
      } else if (ev.type === 'message.deleted') {
        refreshNew().catch(() => {});
      } else {
        engine.thread(threadId).then((t) => { thread = t; renderHead(); renderMessages(false); }).catch(() => {});
      }
    },
  };
}
