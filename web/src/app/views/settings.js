// settings.js — the person's settings: the account (change the password, a new recovery key, reset the
// identity, delete the account — each after a dialog that says what happens), devices (approve a new one by
// its code, remove one), where they are signed in, connected apps grouped by app (approve an app's device by
// the code it shows; the name the app knows the person by; whether the transparency log holds each
// permission; disconnect removes every grant of the app after saying what stops), the access log (what apps
// did, with conversation names, a filter by app, local times, and each line's proof mark), and security (the
// transparency-log audit, "Check now", its alarms until acknowledged; signing out everywhere). Also a group's
// members (add, leave).
import { h, mount, toast, confirmDialog, timeEl } from '../dom.js';
import * as engine from '../engine.js';

const TABS = [['account', 'Account'], ['devices', 'Devices'], ['sessions', 'Sessions'], ['apps', 'Connected apps'], ['access-log', 'Access log'], ['security', 'Security']];

/** The settings page on tab (or a group's members when tab is "thread"). */
export function settingsView(tab, arg) {
  if (tab === 'thread') return membersView(arg);
  const panel = h('div', { class: 'stack', id: 'settings-panel', role: 'tabpanel', 'aria-labelledby': `tab-${tab}` });
  const tabs = h('nav', { class: 'row', 'aria-label': 'Settings sections' }, TABS.map(([k, label]) =>
    h('a', { id: `tab-${k}`, class: k === tab ? 'button primary' : 'button', href: `#/settings/${k}`, 'aria-current': k === tab ? 'page' : null }, label)));
  const el = h('section', { class: 'pageview', 'aria-labelledby': 'settings-title' },
    h('header', null, h('a', { class: 'button back', href: '#/', 'aria-label': 'Back to conversations' }, '‹'),
      h('h2', { id: 'settings-title', class: 'grow' }, 'Settings')),
    h('div', { class: 'body' }, h('div', { class: 'page stack' }, tabs, panel)));
  const render = { account, devices, sessions, apps, 'access-log': accessLog, security }[tab] || devices;
  render(panel).catch((e) => mount(panel, h('p', { class: 'notice error', role: 'alert' }, e.message)));
  return { el };
}

/* A labelled password input (the id names it for the label). */
function passwordField(id, label, autocomplete) {
  return [h('label', { for: id }, label), h('input', { id, name: id, type: 'password', autocomplete, required: true })];
}

/* A recovery key just made, shown once in place of the card that made it, until the person says they kept it. */
function showRecoveryKey(card, key, title, then) {
  const ok = h('input', { type: 'checkbox', id: 'kept-new' });
  const done = h('button', { type: 'button', class: 'primary', disabled: true, onclick: then }, 'Done');
  ok.addEventListener('change', () => { done.disabled = !ok.checked; });
  mount(card,
    h('h2', { id: card.getAttribute('aria-labelledby'), tabindex: '-1' }, title),
    h('p', null, 'Write it down and keep it somewhere safe, away from this computer. It is shown this once; the key you had before no longer works.'),
    h('p', { class: 'recovery', 'data-testid': 'recovery-key' }, key),
    h('div', { class: 'row' }, ok, h('label', { for: 'kept-new' }, 'I have kept my new recovery key')),
    h('div', { class: 'row end' }, done));
  card.querySelector('h2').focus();
}

async function account(panel) {
  const pwd = h('form', { class: 'card stack', 'aria-labelledby': 'pw-title' },
    h('h2', { id: 'pw-title' }, 'Change your password'),
    h('p', { class: 'muted small' }, 'Your password signs you in and locks the keys kept in this browser. Every other device and session is signed out when it changes.'),
    passwordField('pw-current', 'Current password', 'current-password'),
    passwordField('pw-new', 'New password', 'new-password'),
    h('p', { class: 'muted small' }, 'At least 8 characters.'),
    passwordField('pw-new2', 'New password again', 'new-password'),
    h('div', { class: 'row end' }, h('button', { type: 'submit', class: 'primary' }, 'Change password')));
  pwd.addEventListener('submit', async (e) => {
    e.preventDefault();
    const [cur, next, again] = ['pw-current', 'pw-new', 'pw-new2'].map((id) => pwd.querySelector(`#${id}`).value);
    if (next !== again) { toast('The two new passwords differ.'); return; }
    if (!await confirmDialog({
      title: 'Change your password?',
      body: 'Every other device and session of your account is signed out and must sign in with the new password. This browser stays signed in, and its keys are locked with the new password: use it to unlock here from now on.',
      confirm: 'Change password',
    })) return;
    const btn = pwd.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      await engine.passwordChange(cur, next);
      pwd.reset();
      toast('Password changed. Other devices are signed out.');
    } catch (ex) {
      toast(`Not changed: ${ex.message}`);
    } finally {
      btn.disabled = false;
    }
  });

  const rk = h('section', { class: 'card stack', 'aria-labelledby': 'rk-new-title' },
    h('h2', { id: 'rk-new-title' }, 'Recovery key'),
    h('p', { class: 'muted small' }, 'If you lost your recovery key, or someone may have seen it, make a new one. Your identity and safety number stay the same; the old key stops working.'),
    h('div', { class: 'row end' }, h('button', { type: 'button', onclick: newKey }, 'Make a new recovery key')));
  async function newKey() {
    if (!await confirmDialog({
      title: 'Make a new recovery key?',
      body: 'The key you have now stops working at once: only the new one, shown next, can approve a new device if you lose this one. Nothing changes for your contacts.',
      confirm: 'Make a new key',
    })) return;
    try {
      showRecoveryKey(rk, await engine.recoveryKeyNew(), 'Your new recovery key', () => account(panel));
    } catch (ex) {
      toast(`No new key: ${ex.message}`);
    }
  }

  const reset = h('section', { class: 'card stack', 'aria-labelledby': 'reset-title' },
    h('h2', { id: 'reset-title' }, 'Reset your identity'),
    h('p', { class: 'muted small' }, 'Only when every other device and your recovery key are lost, or someone else may hold them. This browser gets a new identity key and a new recovery key; your other devices must be approved again, and everyone you talk to sees that your safety number changed.'),
    h('div', { class: 'row end' }, h('button', { type: 'button', class: 'danger', onclick: doReset }, 'Reset identity…')));
  async function doReset() {
    if (!await confirmDialog({
      title: 'Reset your identity?',
      body: 'A new identity key replaces yours. Every contact is told your safety number changed and should compare it with you again. Your other devices stop being trusted until you approve them again from here, and your old recovery key stops working: a new one is shown next. Conversations and friends stay.',
      confirm: 'Reset identity', danger: true,
    })) return;
    try {
      showRecoveryKey(reset, await engine.identityReset(), 'Your identity was reset: your new recovery key', () => account(panel));
      toast('Identity reset. Your contacts are told your safety number changed.');
    } catch (ex) {
      toast(`Not reset: ${ex.message}`);
    }
  }

  const del = h('form', { class: 'card stack', 'aria-labelledby': 'del-title' },
    h('h2', { id: 'del-title' }, 'Delete your account'),
    h('p', { class: 'muted small' }, 'For good: you cannot undo it. Your password is asked again.'),
    passwordField('del-password', 'Your password', 'current-password'),
    h('div', { class: 'row end' }, h('button', { type: 'submit', class: 'danger' }, 'Delete account…')));
  del.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!await confirmDialog({
      title: `Delete the account ${engine.username()}?`,
      body: 'Every device and session is signed out, every connected app disconnected, your friends and conversations leave you, and the messages you sent are erased for everyone. The keys kept in this browser are deleted. Your username stays taken for a while. This cannot be undone.',
      confirm: 'Delete my account', danger: true,
    })) return;
    try {
      await engine.accountDelete(del.querySelector('#del-password').value);
    } catch (ex) {
      toast(`Not deleted: ${ex.message}`);
      return;
    }
    location.hash = '#/login';
    location.reload();
  });
  mount(panel, pwd, rk, reset, del);
}

async function devices(panel) {
  const list = await engine.devices();
  const code = h('input', { id: 'approve-code', type: 'text', autocomplete: 'off', spellcheck: 'false', required: true });
  const form = h('form', { class: 'card stack', 'aria-labelledby': 'approve-title' },
    h('h2', { id: 'approve-title' }, 'Approve a new device'),
    h('p', { class: 'muted small' }, 'A device you just signed in on shows a code. Check it is yours, then enter the code here: your identity key signs it, and your contacts can check the signature.'),
    h('label', { for: 'approve-code' }, 'Approval code'),
    h('div', { class: 'row' }, h('div', { class: 'grow' }, code), h('button', { type: 'submit', class: 'primary' }, 'Approve')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await engine.deviceApprove(code.value.trim());
      toast('Device approved.');
      devices(panel);
    } catch (ex) {
      toast(`Not approved: ${ex.message}`);
    }
  });
  const mine = engine.deviceId();
  mount(panel, form, h('section', { class: 'card', 'aria-labelledby': 'dev-title' },
    h('h2', { id: 'dev-title' }, 'Your devices'),
    h('ul', { class: 'list' }, list.map((d) => h('li', null,
      h('span', { class: 'grow' }, h('strong', null, d.name || 'A device'), d.device_id === mine ? h('span', { class: 'tag' }, ' this browser') : null,
        h('br'), h('span', { class: 'muted small' }, d.cert ? 'Approved' : 'Waiting for approval', ' · added ', timeEl(d.created_at))),
      d.device_id === mine ? null : h('button', { type: 'button', class: 'danger', onclick: () => removeDevice(d) }, 'Remove'))))));
  async function removeDevice(d) {
    if (!await confirmDialog({ title: `Remove “${d.name}”?`, body: 'It is signed out and can no longer read new messages. Your identity signs the removal, so your contacts stop encrypting to it.', confirm: 'Remove', danger: true })) return;
    try { await engine.deviceRemove(d.device_id); toast('Device removed.'); devices(panel); } catch (e) { toast(e.message); }
  }
}

async function sessions(panel) {
  const list = await engine.sessions();
  mount(panel, h('section', { class: 'card', 'aria-labelledby': 'ses-title' },
    h('h2', { id: 'ses-title' }, 'Where you are signed in'),
    h('ul', { class: 'list' }, list.map((s) => h('li', null,
      h('span', { class: 'grow' }, h('strong', null, s.device ? s.device.name : 'A session without a device'), s.current ? h('span', { class: 'tag' }, ' this one') : null,
        h('br'), h('span', { class: 'muted small' }, 'Since ', timeEl(s.created_at), ' · until ', timeEl(s.expires_at))),
      s.current ? null : h('button', { type: 'button', onclick: () => end(s) }, 'Sign out'))))));
  async function end(s) {
    try { await engine.sessionEnd(s.session_id); toast('Signed out there.'); sessions(panel); } catch (e) { toast(e.message); }
  }
}

/* Each grant's conversations, from its authorization details, by the other people's names. */
function conversationsOf(g, threads) {
  const out = [];
  for (const d of g.authorization_details || []) {
    const t = threads.get(d.thread_id);
    out.push({ name: t ? `with ${engine.threadName(t)}` : 'a conversation', actions: d.actions || [] });
  }
  return out;
}

const SCOPE_WORDS = {
  'friends:read': 'see which of your friends use it', 'messages:send': 'send messages for you',
  'messages:read': 'read the conversations it is in', 'messages:delete': 'delete what it sent',
};

/* A proof mark: whether the transparency log holds something (a grant, an access-log line), in words. */
function proofMark(item) {
  if (item.proven) return h('span', { class: 'tag verified', title: 'Checked on this device against the server’s public transparency log' }, '✓ in the public log');
  if (item.log_problem) return h('span', { class: 'tag app', role: 'note' }, `Rewritten: ${item.log_problem}`);
  return h('span', { class: 'tag app', role: 'note' }, 'Not in the public log');
}

/* Whether the transparency log holds every permission of an app (its creation, and its end when it ended). */
function grantsMark(grants) {
  const missing = grants.filter((g) => !g.proven).length;
  if (!missing) return h('p', { class: 'small' }, proofMark({ proven: true }), ' ', h('span', { class: 'muted' }, `${grants.length > 1 ? 'Each permission is' : 'This permission is'} recorded in the server’s public log.`));
  return h('p', { class: 'notice warn small', role: 'note' }, `${missing} of its ${grants.length} permission${grants.length > 1 ? 's are' : ' is'} not in the server’s public log: the server may have made ${missing > 1 ? 'them' : 'it'} without showing everyone. Disconnect the app if you did not connect it.`);
}

/* The name an app knows the person by, with a form to choose another (or go back to the app's default). */
function aliasForm(a, panel) {
  const g = a.grants.find((x) => x.active) || a.grants[0];
  const id = `alias-${g.grant_id}`;
  const input = h('input', { id, type: 'text', maxlength: 40, autocomplete: 'off', value: g.chosen ? g.alias : '', placeholder: g.alias || '' });
  const form = h('form', { class: 'stack' },
    h('p', { class: 'small' }, `${a.name} knows you as `, h('strong', null, g.alias || '?'), g.chosen ? '' : ' (its default, never your username)'),
    h('label', { for: id }, `Name ${a.name} shows for you`),
    h('div', { class: 'row' }, h('div', { class: 'grow' }, input), h('button', { type: 'submit' }, 'Save name'),
      g.chosen ? h('button', { type: 'button', onclick: () => save(null) }, 'Use its default') : null));
  form.addEventListener('submit', (e) => { e.preventDefault(); save(input.value.trim()); });
  async function save(alias) {
    try {
      await engine.grantAlias(g.grant_id, alias === '' ? null : alias);
      toast(alias ? `${a.name} now knows you as ${alias}.` : `${a.name} uses its default name for you again.`);
      apps(panel);
    } catch (ex) {
      toast(`Name not changed: ${ex.message}`);
    }
  }
  return form;
}

async function apps(panel) {
  const grants = await engine.grants();
  const inbox = await engine.inbox();
  const threads = new Map(inbox.map((t) => [t.thread_id, t]));
  const byApp = new Map();
  for (const g of grants) {
    const k = g.app.client_id;
    if (!byApp.has(k)) byApp.set(k, { name: g.app.name, client_id: k, grants: [] });
    byApp.get(k).grants.push(g);
  }
  const active = [...byApp.values()].filter((a) => a.grants.some((g) => g.active));
  const ended = [...byApp.values()].filter((a) => !a.grants.some((g) => g.active));
  const card = (a) => {
    const live = a.grants.filter((g) => g.active);
    const scopes = [...new Set(live.flatMap((g) => String(g.scope).split(' ')))].filter(Boolean);
    const convs = live.flatMap((g) => conversationsOf(g, threads));
    const until = live.map((g) => g.expires_at).sort().pop();
    return h('li', { class: 'card stack' },
      h('h3', null, a.name),
      live.length ? h('p', null, `It can ${scopes.map((s) => SCOPE_WORDS[s] || s).join(', ')}.`) : h('p', { class: 'muted' }, 'Disconnected or expired: it can do nothing for you.'),
      convs.length ? h('ul', null, convs.map((c) => h('li', null, c.name, c.actions.length ? h('span', { class: 'muted small' }, ` (${c.actions.join(', ')})`) : null))) : null,
      live.length ? h('p', { class: 'muted small' }, `${live.length} permission${live.length > 1 ? 's' : ''}, until `, timeEl(until)) : null,
      grantsMark(a.grants),
      live.length ? aliasForm(a, panel) : null,
      h('div', { class: 'row' },
        h('a', { class: 'button', href: `#/settings/access-log/${encodeURIComponent(a.client_id)}` }, 'What it did'),
        live.length ? h('button', { type: 'button', class: 'danger', onclick: () => disconnect(a, live) }, 'Disconnect') : null));
  };
  mount(panel, approveAppForm(panel),
    h('p', { class: 'muted small' }, 'Apps you let act for you, one card per app with everything it may do. The same list, without JavaScript: ', h('a', { href: '/account/apps' }, 'connected apps page'), '.'),
    h('section', { 'aria-labelledby': 'apps-active' }, h('h2', { id: 'apps-active' }, 'Active'),
      active.length ? h('ul', { class: 'list stack' }, active.map(card)) : h('p', { class: 'muted' }, 'No app is connected.')),
    ended.length ? h('section', { 'aria-labelledby': 'apps-ended' }, h('h2', { id: 'apps-ended', class: 'section-title' }, 'Expired or removed'),
      h('ul', { class: 'list stack' }, ended.map(card))) : null);
  async function disconnect(a, live) {
    if (!await confirmDialog({
      title: `Disconnect ${a.name}?`,
      body: `All ${live.length} of its permissions end now: it can no longer send for you, read your conversations or see your friends, its live connection stops, and the people in those conversations are told. Messages it already sent stay.`,
      confirm: 'Disconnect', danger: true,
    })) return;
    try {
      for (const g of live) await engine.grantRevoke(g.grant_id);
      toast(`${a.name} is disconnected.`);
      apps(panel);
    } catch (e) {
      toast(`Could not disconnect: ${e.message}`);
    }
  }
}

/* The form that approves an app's encryption device by the code the app shows (pst_app_device_approve). */
function approveAppForm(panel) {
  const code = h('input', { id: 'approve-app-code', type: 'text', autocomplete: 'off', spellcheck: 'false', required: true, placeholder: 'ABCD-EFGH-JKMN' });
  const form = h('form', { class: 'card stack', 'aria-labelledby': 'approve-app-title' },
    h('h2', { id: 'approve-app-title' }, 'Approve an app’s device'),
    h('p', { class: 'muted small' }, 'An app you connected shows a code so that it can read and write end-to-end encrypted where you allowed it. Check the code is the one the app shows, then enter it here: your identity key signs for that app’s device until its permission ends.'),
    h('label', { for: 'approve-app-code' }, 'The app’s code'),
    h('div', { class: 'row' }, h('div', { class: 'grow' }, code), h('button', { type: 'submit', class: 'primary' }, 'Approve')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const d = await engine.appDeviceApprove(code.value.trim());
      toast(`Approved the device of ${d.app_name || 'the app'}.`);
      apps(panel);
    } catch (ex) {
      toast(`Not approved: ${ex.message}`);
    }
  });
  return form;
}

const ACTION_WORDS = {
  'grant.created': 'You connected the app', 'grant.revoked': 'You disconnected the app',
  'grant.revoked.by_app': 'The app disconnected itself', 'friends.list': 'Listed which of your friends use it',
  'shares.send': 'Shared something for you', 'shares.repeat': 'Sent a share again (nothing new)',
  'threads.list': 'Listed its conversations', 'threads.open': 'Opened a conversation for a share',
  'messages.read': 'Read messages', 'messages.delete': 'Deleted a message it had sent',
  'events.read': 'Received new messages', 'events.wait': 'Waited for new messages', 'events.stream': 'Opened its live connection',
  'devices.register': 'Registered its encryption device', 'keys.share': 'Shared its encryption keys with readers',
  'keys.upload': 'Uploaded prekeys', 'keys.claim': 'Took readers’ prekeys', 'keys.count': 'Counted its prekeys',
  'share_page.pick': 'You chose friends it may send to',
};
const TRIED_WORDS = {
  'messages.delete': 'delete a message', 'messages.read': 'read messages', 'shares.send': 'share something',
  'friends.list': 'list your friends', 'threads.list': 'list conversations', 'events.read': 'receive messages',
};

/** An access-log action in words; refusals say what was tried and that it was refused. */
export function actionWords(action) {
  const m = /^(denied(?:\.[a-z]+)?):(.*)$/.exec(action || '');
  if (!m) return { text: ACTION_WORDS[action] || action, refused: false };
  const why = { denied: 'refused', 'denied.scope': 'refused: you did not allow it', 'denied.route': 'refused: apps may not use that part of your account', 'denied.rate': 'refused: over its rate limit' }[m[1]] || 'refused';
  return { text: `Tried to ${TRIED_WORDS[m[2]] || (ACTION_WORDS[m[2]] || m[2]).toLowerCase()} — ${why}`, refused: true };
}

async function accessLog(panel, _arg) {
  const appFilter = decodeURIComponent((location.hash.split('/')[3] || ''));
  /* one after the other: both check proofs against the transparency log and write what they saw */
  const { entries, problem } = await engine.accessLog();
  const grants = await engine.grants();
  const inbox = await engine.inbox();
  const threads = new Map(inbox.map((t) => [t.thread_id, t]));
  const appOfGrant = new Map(grants.map((g) => [g.grant_id, g.app]));
  const appsSeen = new Map(grants.map((g) => [g.app.client_id, g.app.name]));
  const select = h('select', { id: 'log-app' }, h('option', { value: '' }, 'All apps'),
    [...appsSeen].map(([id, name]) => h('option', { value: id, selected: id === appFilter }, name)));
  select.addEventListener('change', () => { location.hash = `#/settings/access-log${select.value ? '/' + encodeURIComponent(select.value) : ''}`; });
  const shown = entries.filter((e) => !appFilter || (appOfGrant.get(e.grant_id) || {}).client_id === appFilter);
  const doubtful = entries.filter((e) => !e.proven).length;
  mount(panel,
    h('p', { class: 'muted small' }, 'Every call an app made with your permission, allowed or refused. Times are your local time. This browser checks each line against the server’s public transparency log: a line the log does not hold, or that changed since you saw it, is marked.'),
    problem ? h('p', { class: 'notice error', role: 'alert' }, `Lines are missing: ${problem}. The server dropped them from your access log.`) : null,
    doubtful ? h('p', { class: 'notice warn', role: 'alert' }, `${doubtful} line${doubtful > 1 ? 's are' : ' is'} not proven by the public log: what ${doubtful > 1 ? 'they say' : 'it says'} may not be what happened.`) : null,
    h('div', { class: 'row' }, h('label', { for: 'log-app' }, 'Show'), select,
      appFilter ? h('a', { href: '#/settings/apps' }, 'Disconnect this app…') : null),
    h('ul', { class: 'list card' }, shown.length ? shown.map((e) => {
      const w = actionWords(e.action);
      const t = e.thread_id ? threads.get(e.thread_id) : null;
      return [
        e.missing_above > 0 ? h('li', { class: 'notice error small' }, `${e.missing_above} line${e.missing_above > 1 ? 's' : ''} missing here: dropped from what the server shows.`) : null,
        h('li', null, h('span', { class: 'grow' },
          h('strong', null, e.app && e.app.name ? e.app.name : 'An app'), ' ',
          h('span', { class: w.refused ? 'tag app' : null }, w.text),
          e.thread_id ? h('span', null, ' ', t ? `in the conversation with ${engine.threadName(t)}` : 'in a conversation you are no longer in') : null,
          e.count > 1 ? h('span', { class: 'muted small' }, ` (${e.count} items)`) : null,
          h('br'), h('span', { class: 'muted small' }, timeEl(e.at)), ' ', proofMark(e)))];
    }) : h('li', { class: 'muted' }, 'Nothing yet.')));
}

async function security(panel) {
  const alarms = await engine.alarms();
  const result = h('div', { 'aria-live': 'polite' });
  const check = h('button', { type: 'button', class: 'primary', onclick: runCheck }, 'Check now');
  mount(panel,
    h('section', { class: 'card stack', 'aria-labelledby': 'log-title' },
      h('h2', { id: 'log-title' }, 'Transparency log'),
      h('p', { class: 'muted small' }, 'The server writes every identity key, device approval and app permission into a public, append-only log. This browser checks that the log continues what it saw before, that it hides nothing, and that every change to your account in it is one your devices made.'),
      alarms.length ? alarmList(alarms) : null,
      result,
      h('div', { class: 'row end' }, check)),
    h('section', { class: 'card stack', 'aria-labelledby': 'out-title' },
      h('h2', { id: 'out-title' }, 'Sign out everywhere'),
      h('p', { class: 'muted small' }, 'Ends every session of your account, on every device, including this one.'),
      h('button', { type: 'button', class: 'danger', onclick: async () => {
        if (await confirmDialog({ title: 'Sign out everywhere?', body: 'Every device must sign in again.', confirm: 'Sign out everywhere', danger: true })) {
          await engine.logoutEverywhere();
          location.hash = '#/login';
          location.reload();
        }
      } }, 'Sign out everywhere')));
  async function runCheck() {
    check.disabled = true;
    mount(result, h('p', { class: 'muted' }, 'Checking the log…'));
    try {
      const r = await engine.logVerify();
      if (r.alarms.length) {
        security(panel);
        return;
      }
      mount(result, h('p', { class: 'notice ok' },
        `All good. The log has ${r.size} entries; this browser checked the ${r.scanned} since entry ${r.from_size}: they continue what it saw before and hash exactly to the server’s signed checkpoint. ${r.yours} concern your account, and each was made by your devices or is an app you connected.`));
    } catch (e) {
      mount(result, h('p', { class: 'notice error', role: 'alert' }, `The log does not add up: ${e.message}`));
    } finally {
      check.disabled = false;
    }
  }
  function alarmList(list) {
    return h('div', { class: 'notice warn stack', role: 'alert' },
      h('p', null, h('strong', null, `${list.length} change${list.length > 1 ? 's' : ''} to your account that none of your devices made`), ', or that the server hides from you:'),
      h('ul', null, list.map((a) => h('li', null, `${a.what}, `, a.at ? timeEl(a.at) : 'at an unknown time', ` (log entry ${a.index})`))),
      h('p', { class: 'small' }, 'Someone with the server’s help may be adding a device, changing your identity or connecting an app for you. Check Devices and Connected apps, remove what you do not know, and ask your contacts to compare safety numbers with you again.'),
      h('button', { type: 'button', onclick: async () => { await engine.alarmsClear(); security(panel); } }, 'I have seen these alarms'));
  }
}

/** A group's members: add a friend, leave. */
function membersView(threadId) {
  const panel = h('div', { class: 'stack' });
  const el = h('section', { class: 'pageview', 'aria-labelledby': 'mem-title' },
    h('header', null, h('a', { class: 'button back', href: `#/t/${encodeURIComponent(threadId)}`, 'aria-label': 'Back to the conversation' }, '‹'),
      h('h2', { id: 'mem-title', class: 'grow' }, 'Members')),
    h('div', { class: 'body' }, h('div', { class: 'page' }, panel)));
  async function load() {
    const [t, friends] = await Promise.all([engine.thread(threadId), engine.friends()]);
    const inIt = new Set(t.members.map((m) => m.user_id));
    const addable = friends.filter((f) => !inIt.has(f.user_id));
    const sel = h('select', { id: 'add-member' }, addable.map((f) => h('option', { value: f.user_id }, f.username)));
    mount(panel,
      h('ul', { class: 'list card' }, t.members.map((m) => h('li', null,
        h('span', { class: 'grow' }, m.user_id === engine.userId() ? `${m.username} (you)` : m.username),
        m.user_id === engine.userId() ? null : h('a', { class: 'button', href: `#/contact/${encodeURIComponent(m.user_id)}` }, 'Safety number')))),
      t.kind === 'group' && addable.length ? h('form', { class: 'card stack', onsubmit: async (e) => {
        e.preventDefault();
        try { await engine.threadAddMember(threadId, sel.value); toast('Added. New messages are encrypted to them too; earlier ones stay unreadable to them.'); load(); } catch (ex) { toast(ex.message); }
      } }, h('label', { for: 'add-member' }, 'Add a friend'), h('div', { class: 'row' }, h('div', { class: 'grow' }, sel), h('button', { type: 'submit', class: 'primary' }, 'Add'))) : null,
      t.kind === 'group' ? h('button', { type: 'button', class: 'danger', onclick: async () => {
        if (!await confirmDialog({ title: 'Leave this group?', body: 'You stop receiving its messages. The others are told.', confirm: 'Leave', danger: true })) return;
        try { await engine.threadRemoveMember(threadId, engine.userId()); location.hash = '#/'; } catch (ex) { toast(ex.message); }
      } }, 'Leave group') : null);
  }
  load().catch((e) => mount(panel, h('p', { class: 'notice error', role: 'alert' }, e.message)));
  return { el };
}
