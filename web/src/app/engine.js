// engine.js — the UI's one door to the client engine (web/src/client, libpostern's person-side API in
// JavaScript). It owns the single Client of this page, opens its sealed IndexedDB store under the person's
// password, turns the engine's messages into the shape the views draw, and remembers names for ids. It must
// not make trust decisions (the engine does) and never keeps the password once the store is open.
import { ready as protoReady } from '../proto/index.js';
import { Client, MemoryStore, openBrowserStore, Status } from '../client/index.js';

const ACCOUNT_KEY = 'postern.account'; // localStorage: the username whose sealed store this browser keeps

let client = null;
let store = null; // the client's sealed store (closed before the browser forgets it)
let me = { userId: '', username: '' };
const names = new Map(); // user id -> username, from friends, requests and thread members
const identityState = new Map(); // user id -> contact state ("changed" shows a warning)

/** Errors for people: the server's words when it gave some, else the engine's. */
function human(e) {
  if (e && e.serverCode === 'invalid_credentials') return new UiError('Wrong username or password.', 'invalid_credentials');
  if (e && e.serverCode === 'username_taken') return new UiError('That username is taken: pick another.', 'username_taken');
  if (e && e.serverCode === 'rate_limited') return new UiError('Too many tries: wait a minute and try again.', 'rate_limited');
  if (e && e.serverCode === 'not_found') return new UiError(e.message || 'Not found.', 'not_found');
  if (e && e.code === Status.NETWORK) return new UiError('Cannot reach the server. Check your connection.', 'network');
  if (e && e.httpStatus === 401) return new UiError('Your session ended: sign in again.', 'unauthorized');
  return new UiError(e && e.message ? e.message : String(e), e && (e.serverCode || e.code));
}

class UiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

async function call(fn) {
  try {
    return await fn();
  } catch (e) {
    throw human(e);
  }
}

/** Resolves when libsodium is loaded (the WebAssembly compiled). */
export async function ready() {
  await protoReady();
}

export function signedIn() { return client !== null && client.loggedIn(); }
export async function hasSavedAccount() { return !!localStorage.getItem(ACCOUNT_KEY); }
export async function savedUsername() { return localStorage.getItem(ACCOUNT_KEY) || ''; }
export function userId() { return me.userId; }
export function username() { return me.username; }

async function openClient(user, password) {
  if (store && store.close) store.close();
  store = typeof indexedDB === 'undefined' ? new MemoryStore() : await openBrowserStore(`${location.host}:${user}`, password);
  client = await Client.open(location.origin, store);
  me = { userId: client.userId() || '', username: user };
}

/** Register, then log in as the account's first device. Resolves to {recoveryKey} (shown once). */
export async function register(user, password, deviceName) {
  return call(async () => {
    await openClient(user, password);
    await client.register(user, password);
    await client.login(user, password, deviceName);
    localStorage.setItem(ACCOUNT_KEY, user);
    me.userId = client.userId();
    return { recoveryKey: client.takeRecoveryKey() };
  });
}

/** Log in. Resolves to {} when this browser can read, or {approvalCode} when another device must approve it. */
export async function login(user, password, deviceName) {
  return call(async () => {
    const saved = localStorage.getItem(ACCOUNT_KEY);
    if (saved && saved !== user) await forgetBrowser();
    await openClient(user, password);
    try {
      await client.login(user, password, deviceName);
    } catch (e) {
      if (e.code === Status.APPROVAL) {
        localStorage.setItem(ACCOUNT_KEY, user);
        me.userId = client.userId();
        return { approvalCode: client.approvalCode() };
      }
      throw e;
    }
    localStorage.setItem(ACCOUNT_KEY, user);
    me.userId = client.userId();
    return {};
  });
}

/** Wait until another device approves this one (or signal aborts). */
export async function waitApproval(signal) {
  while (!signal.aborted) {
    if (await call(() => client.waitApproval(5))) return;
  }
}

export async function recover(key) { return call(() => client.recover(key)); }

/** Open the keys kept in this browser with the password. */
export async function unlock(password) {
  const user = localStorage.getItem(ACCOUNT_KEY);
  return call(async () => {
    try {
      await openClient(user, password);
    } catch (e) {
      if (e.code === Status.STORE) throw new UiError('Wrong password for the keys kept in this browser.', 'store');
      throw e;
    }
    if (!client.loggedIn()) {
      client = null;
      throw new UiError('This browser is no longer signed in: sign in again.', 'unauthorized');
    }
  });
}

/** Forget the session (the keys stay for the next sign-in on this browser). */
export function forgetSession() { client = null; }

/** Delete every key this browser keeps for the saved account. */
export async function forgetBrowser() {
  const user = localStorage.getItem(ACCOUNT_KEY);
  localStorage.removeItem(ACCOUNT_KEY);
  client = null;
  if (store && store.close) store.close();
  store = null;
  if (user && typeof indexedDB !== 'undefined') {
    await new Promise((resolve) => {
      const r = indexedDB.deleteDatabase(`postern:${location.host}:${user}`);
      r.onsuccess = r.onerror = r.onblocked = () => resolve();
    });
  }
}

/* ---- the account ---- */

/**
 * Change the password: the server's, and the one the keys in this browser are sealed under (re-sealed so that
 * either the old or the new password opens them whatever happens). Other sessions end; this one goes on.
 */
export async function passwordChange(current, next) {
  if (typeof next !== 'string' || new TextEncoder().encode(next).length < 8) throw new UiError('The new password needs at least 8 characters.', 'invalid');
  if (next === current) throw new UiError('The new password is the same as the current one.', 'invalid');
  try {
    await client.passwordChange(current, next);
  } catch (e) {
    if (e && e.httpStatus === 403) throw new UiError('The current password is wrong: nothing was changed.', 'forbidden');
    throw human(e);
  }
}

/** Delete the account for good (the password asked again), then forget every key this browser keeps for it. */
export async function accountDelete(password) {
  try {
    await client.accountDelete(password);
  } catch (e) {
    if (e && e.httpStatus === 403) throw new UiError('Wrong password: the account was not deleted.', 'forbidden');
    throw human(e);
  }
  await forgetBrowser();
}

/** A new recovery key (resolves to it; shown once): the old one stops working. */
export const recoveryKeyNew = () => call(() => client.recoveryKeyNew());
/** A new identity and recovery key (resolves to the key; shown once); contacts see a changed safety number. */
export const identityReset = () => call(() => client.identityReset());

export async function logout() { await call(() => client.logout()); client = null; }
export async function logoutEverywhere() { await call(() => client.logoutEverywhere()); client = null; }

/* ---- names ---- */

function learn(list) {
  for (const x of list || []) if (x && x.user_id && x.username) names.set(x.user_id, x.username);
}

/** The username of a user id this page has seen, else a short form of the id. */
export function nameOf(id) {
  if (id === me.userId) return me.username;
  return names.get(id) || `someone (${String(id).slice(0, 8)}…)`;
}

/** A conversation's name: the other members' usernames. */
export function threadName(t) {
  learn(t.members);
  const others = (t.members || []).filter((m) => m.user_id !== me.userId).map((m) => m.username);
  if (!others.length) return 'Just you';
  if (others.length <= 3) return others.join(', ');
  return `${others.slice(0, 3).join(', ')} and ${others.length - 3} more`;
}

/** Whether userId's identity key changed since this browser pinned it (until accepted). */
export function identityChanged(id) { return identityState.get(id) === 'changed'; }

/* ---- friends ---- */

export async function friends() {
  const out = await call(() => client.friends());
  learn(out.friends);
  return out.friends || [];
}
export async function friendRequests() {
  const out = await call(() => client.friendRequests());
  // the API's req = {request_id, user: {user_id, username}, created_at}: flattened for the views
  const flat = (list) => (list || []).map((r) => ({ request_id: r.request_id, created_at: r.created_at, ...(r.user || {}) }));
  const incoming = flat(out.incoming);
  const outgoing = flat(out.outgoing);
  learn(incoming);
  learn(outgoing);
  return { incoming, outgoing };
}
export const friendAdd = (u) => call(() => client.friendAdd(u));
export const friendAccept = (id) => call(() => client.friendAccept(id));
export const friendDecline = (id) => call(() => client.friendDecline(id));
export const friendWithdraw = (id) => call(() => client.friendWithdraw(id));
export const friendRemove = (id) => call(() => client.friendRemove(id));

/* ---- threads and messages ---- */

export async function inbox() {
  const out = await call(() => client.inbox(100));
  const threads = out.threads || [];
  for (const t of threads) learn(t.members);
  return threads;
}

export async function thread(id) {
  const t = await call(() => client.thread(id));
  learn(t.members);
  for (const m of t.members || []) {
    if (m.user_id === me.userId) continue;
    try {
      const c = await client.contact(m.user_id);
      identityState.set(m.user_id, c.state);
    } catch { /* a contact the engine cannot show yet: no warning */ }
  }
  return t;
}

/** The view's shape of a decrypted message (snake_case like the API's). */
function view(m) {
  return {
    message_id: m.messageId, thread_id: m.threadId, sender_id: m.senderId, sender_device_id: m.senderDeviceId,
    seq: m.seq, created_at: m.createdAt, deleted: m.deleted, text: m.deleted ? null : m.text, item: m.item,
    share_id: m.shareId, kind: m.kind, app_label: m.appLabel, notice: m.notice, decrypt_error: m.error,
  };
}

/** Messages of a thread, oldest first: the newest `limit`, or those before beforeSeq. */
export async function read(id, { beforeSeq = 0, limit = 40 } = {}) {
  const msgs = await call(() => (beforeSeq ? client.readBefore(id, beforeSeq, limit) : client.read(id, limit)));
  return { messages: msgs.map(view), hasMore: msgs.length === limit && msgs.length > 0 && msgs[0].seq > 1 };
}

export const send = (id, text) => call(() => client.sendText(id, text));
export const deleteMessage = (id, mid) => call(() => client.deleteMessage(id, mid));
export const markRead = (id, seq) => call(() => client.markRead(id, seq));
export const threadDirect = (uid) => call(() => client.threadDirect(uid));
export const threadCreate = (uids) => call(() => client.threadCreate(uids));
export const threadAddMember = (id, uid) => call(() => client.threadAddMember(id, uid));
export const threadRemoveMember = (id, uid) => call(() => client.threadRemoveMember(id, uid));
export const appConsent = (id, accept) => call(() => client.appConsent(id, accept));
export const shareOpen = (id, shareId) => call(() => client.shareOpen(id, shareId));

/**
 * Follow the live stream: onEvent({type, thread_id, message?, ...}) per event (message: decrypted, in the
 * views' shape). onEnd(err) when it stops for good (err.code "unauthorized" when the session ended).
 * Returns stop().
 */
export function watch(onEvent, onEnd) {
  const stop = client.watch((type, ev, msg) => {
    const out = { ...ev, type };
    if (msg) out.message = view(msg);
    if (!out.thread_id && ev.message && ev.message.thread_id) out.thread_id = ev.message.thread_id;
    onEvent(out);
  });
  if (stop.done) stop.done.then(() => onEnd && onEnd(null), (e) => onEnd && onEnd(human(e)));
  return stop;
}

/* ---- devices, sessions, identity ---- */

export const devices = () => call(async () => (await client.devices()).devices || []);
export const deviceRemove = (id) => call(() => client.deviceRemove(id));
export const deviceApprove = (code) => call(() => client.deviceApprove(code));
export const deviceId = () => (client ? client.deviceId() : '');
export const sessions = () => call(async () => (await client.sessions()).sessions || []);
export const sessionEnd = (id) => call(() => client.sessionEnd(id));
export async function contact(id) {
  const c = await call(() => client.contact(id));
  if (c && c.username) names.set(id, c.username);
  if (c) identityState.set(id, c.state);
  return c;
}
export const contactVerify = (id, v) => call(() => client.contactVerify(id, v));
export const contactAccept = (id) => call(() => client.contactAccept(id));
export const alarmCount = async () => (client ? client.logAlarmCount() : 0);
export const alarmsClear = () => call(() => client.logAlarmsClear());
export const alarms = async () => (client ? client.logAlarms() : []);
/** Audit the transparency log for this account (Client.logVerify's report). */
export const logVerify = () => call(() => client.logVerify());

/* ---- apps ---- */

export const grants = () => call(async () => (await client.grants()).grants || []);
export const grantRevoke = (id) => call(() => client.grantRevoke(id));
/** The access log's first page: {entries (each with proven, log_problem?, missing_above?), problem (lines gone) or ''}. */
export const accessLog = () => call(async () => {
  const page = await client.accessLog();
  return { entries: page.entries || [], problem: page.log_problem || '' };
});
/** The name an app shows for the person (null: the server's default). */
export const grantAlias = (id, alias) => call(() => client.grantAlias(id, alias));
export const appDevices = () => call(async () => (await client.appDevices()).devices || []);
export const appDeviceApprove = (code) => call(() => client.appDeviceApprove(code));
