// app.js — the web client's frame: which screen shows (sign-in, or the messenger with its sidebar), the
// hash routes (#/t/ID, #/friends, #/settings/...), and the live event stream that keeps everything current.
// Views render into the regions this file owns; all talking to the server goes through engine.js.
import { h, mount, announce, toast } from './dom.js';
import * as engine from './engine.js';
import { authScreen, unlockScreen } from './views/auth.js';
import { sidebar } from './views/sidebar.js';
import { threadView } from './views/thread.js';
import { friendsView } from './views/friends.js';
import { newGroupView } from './views/newgroup.js';
import { settingsView } from './views/settings.js';
import { contactView } from './views/contact.js';

const state = {
  root: null,
  shell: null,      // the messenger's grid (null while signed out)
  side: null,       // the sidebar controller
  main: null,       // the main region
  view: null,       // the current main view controller ({onEvent?, close?})
  stopWatch: null,  // ends the live stream
};

/** Start the client in root: sign-in if needed, then the messenger. */
export async function start(root) {
  state.root = root;
  try {
    await engine.ready();
  } catch (e) {
    mount(root, h('div', { class: 'auth' }, h('p', { class: 'notice error', role: 'alert' },
      `This browser cannot run Postern's encryption: ${e.message}`)));
    return;
  }
  if (engine.signedIn()) return enter();
  if (await engine.hasSavedAccount()) {
    mount(root, unlockScreen({ username: await engine.savedUsername(), onDone: enter, onForget: signedOut }));
    return;
  }
  signedOut();
}

function signedOut() {
  if (state.stopWatch) state.stopWatch();
  state.stopWatch = null;
  state.shell = null;
  document.title = 'Postern';
  const mode = location.hash.startsWith('#/register') ? 'register' : 'login';
  mount(state.root, authScreen({ mode, onDone: enter }));
}

function enter() {
  state.main = h('main', { class: 'main', id: 'main' });
  state.side = sidebar({ onLogout: logout });
  state.shell = h('div', { class: 'shell' }, state.side.el, state.main);
  mount(state.root, state.shell);
  window.addEventListener('hashchange', route);
  if (!location.hash || location.hash.startsWith('#/register') || location.hash.startsWith('#/login'))
    history.replaceState(null, '', '#/');
  route();
  state.stopWatch = engine.watch(onEvent, (err) => {
    if (err && err.code === 'unauthorized') {
      toast('This session ended. Please sign in again.');
      engine.forgetSession();
      signedOut();
    }
  });
}

async function logout(everywhere) {
  try {
    await (everywhere ? engine.logoutEverywhere() : engine.logout());
  } catch (e) {
    toast(`Could not sign out: ${e.message}`);
    return;
  }
  window.removeEventListener('hashchange', route);
  history.replaceState(null, '', '#/');
  signedOut();
}

function route() {
  if (!state.shell) return;
  const hash = location.hash.replace(/^#\/?/, '');
  const [page, arg, arg2] = hash.split('/').map(decodeURIComponent);
  if (state.view && state.view.close) state.view.close();
  let view;
  if (page === 't' && arg) view = threadView(arg);
  else if (page === 'friends') view = friendsView();
  else if (page === 'new-group') view = newGroupView();
  else if (page === 'settings') view = settingsView(arg || 'devices', arg2);
  else if (page === 'contact' && arg) view = contactView(arg);
  else view = emptyView();
  state.view = view;
  state.shell.classList.toggle('open-thread', page !== '' && page !== undefined);
  mount(state.main, view.el);
  state.side.select(page === 't' ? arg : null, page || 'chats');
  if (view.focus) view.focus();
}

function emptyView() {
  return {
    el: h('div', { class: 'empty' }, h('div', null,
      h('h2', null, 'Your conversations are end-to-end encrypted'),
      h('p', { class: 'muted' }, 'Pick a conversation, or start one from Friends.'))),
  };
}

async function onEvent(ev) {
  if (ev.type === 'message.created' && ev.message) {
    const m = ev.message;
    if (m.sender_id !== engine.userId()) {
      const open = state.view && state.view.threadId === m.thread_id;
      if (!open || document.hidden) announce(`New message from ${engine.nameOf(m.sender_id)}`);
    }
  }
  if (state.view && state.view.onEvent) state.view.onEvent(ev);
  state.side.onEvent(ev);
}
