/*
 * main.js — the Tunes page: a catalogue of titles a person can share with a Postern friend, end-to-end
 * encrypted by this page. It signs the person in with Postern (authorization code + PKCE, as a public
 * client), shows its device's approval code until the person says they approved it in Postern, lets them
 * pick friends on Postern's share page, shares a title with a note, shows the replies live and deletes a
 * share. All Postern logic is the engine's (web/src/client/app.js, AppClient); this file only draws. Its
 * keys, tokens and decrypted notes live in this origin's IndexedDB ("tunes-postern"). It builds the DOM from
 * elements and text only (the page runs under Trusted Types with no policy).
 */
import { AppClient, IndexedDbStore } from '../../../web/src/client/index.js';
import { TITLES, titleOf } from './catalogue.js';

const SCOPE = 'friends:read messages:send messages:read messages:delete';
const REDIRECT = `${location.origin}/cb`;
let app = null;
let store = null;
let stopWatch = null;
const ui = { threads: [], messages: new Map(), picked: [], friends: [], approvedSeen: false, notice: '' };

/* ---- tiny DOM helpers ---- */

function h(tag, attrs, ...kids) {
	const el = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === null || v === undefined || v === false) continue;
		if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
		else if (k === 'class') el.className = v;
		else el.setAttribute(k, v === true ? '' : v);
	}
	for (const k of kids.flat(Infinity)) if (k !== null && k !== undefined && k !== false) el.append(k instanceof Node ? k : String(k));
	return el;
}
const $ = (id) => document.getElementById(id);
function mount(el, ...kids) {
	el.replaceChildren(...kids.flat(Infinity).filter((k) => k !== null && k !== undefined && k !== false));
}
function announce(text) {
	$('announcer').textContent = text;
}
function showError(e) {
	ui.notice = e && e.message ? e.message : String(e);
	render();
}

/* ---- start ---- */

async function start() {
	const cfg = await (await fetch('/config.json')).json();
	store = await IndexedDbStore.open('tunes-postern');
	app = await AppClient.open(cfg.postern, store, cfg.client_id);
	ui.postern = cfg.postern;
	const local = (await store.get('tunes.ui')) || {};
	ui.picked = Array.isArray(local.picked) ? local.picked : [];
	ui.approvedSeen = local.approvedSeen === true;
	if (location.pathname === '/cb') await callback();
	if (app.signedIn()) await refresh();
	render();
	if (app.signedIn()) follow();
}

/* Postern sent the person back: the answer to sign-in (code or error) or to the share page (friends). */
async function callback() {
	const q = new URLSearchParams(location.search);
	const url = location.href;
	history.replaceState(null, '', '/'); /* the code leaves the address bar (and the history) at once */
	try {
		if (q.has('code') || q.has('error')) {
			await app.finish(url);
			ui.approvedSeen = false;
			await saveLocal();
			announce('Signed in with Postern.');
		} else if (q.has('state')) {
			const ids = await app.sharePageFinish(url);
			for (const id of ids) if (!ui.picked.includes(id)) ui.picked.push(id);
			await saveLocal();
			announce(ids.length ? `You picked ${ids.length} friend${ids.length > 1 ? 's' : ''} on Postern.` : 'Nobody was picked.');
		}
	} catch (e) {
		ui.notice = `Postern's answer was not taken: ${e.message}`;
	}
}

async function saveLocal() {
	await store.put('tunes.ui', { picked: ui.picked, approvedSeen: ui.approvedSeen });
}

/* The friends the app may share with, its threads and what each holds. */
async function refresh() {
	try {
		const [friends, threads] = await Promise.all([app.friends(), app.threads()]);
		ui.friends = friends.friends || [];
		ui.threads = threads.threads || [];
		for (const t of ui.threads) ui.messages.set(t.thread_id, await app.read(t.thread_id));
		ui.notice = app.notice() || '';
	} catch (e) {
		if (e.code === 'PST_ERR_AUTH') return signedOut('Postern ended this app’s access (you disconnected it, or it expired). Sign in again to share.');
		ui.notice = e.message;
	}
}

/* Follow the grant's events: a reply, a deletion, a consent re-reads that conversation. */
function follow() {
	if (stopWatch) stopWatch();
	stopWatch = app.watch(async (type, ev) => {
		if (!['message.created', 'message.deleted', 'thread.app_consent', 'thread.app_revoked'].includes(type)) return;
		const tid = ev.thread_id || (ev.message && ev.message.thread_id);
		/* a new conversation, or a consent that changes what Tunes may read: the list again */
		if (type.startsWith('thread.') || !ui.threads.some((t) => t.thread_id === tid)) ui.threads = (await app.threads()).threads || [];
		if (tid) ui.messages.set(tid, await app.read(tid));
		if (type === 'message.created' && ev.message && !ev.message.sent_by_this_app) announce(`New reply from ${nameOf(ev.message.sender)}.`);
		render();
	});
	stopWatch.done.catch((e) => {
		if (e.code === 'PST_ERR_AUTH') signedOut('Postern ended this app’s access (you disconnected it, or it expired). Sign in again to share.');
		else showError(e);
	});
}

function signedOut(why) {
	if (stopWatch) stopWatch();
	stopWatch = null;
	ui.threads = [];
	ui.messages.clear();
	ui.friends = [];
	ui.notice = why;
	app.signOut().then(render, render);
}

/* ---- names ---- */

function nameOf(id) {
	for (const f of ui.friends) if (f.id === id) return f.display_name;
	for (const t of ui.threads) for (const m of t.members || []) if (m.id === id) return m.id === app.sub() ? 'you' : m.display_name;
	if (id === app.sub()) return 'you';
	return `a friend you picked (${String(id).slice(0, 8)}…)`;
}

/* Everyone the person may share with: friends who use Tunes and friends picked on Postern's share page. */
function recipients() {
	const out = new Map(ui.friends.map((f) => [f.id, f.display_name]));
	for (const id of ui.picked) if (!out.has(id)) out.set(id, nameOf(id));
	return [...out];
}

/* ---- drawing ---- */

function render() {
	$('boot') && $('boot').remove();
	mount($('account'), app && app.signedIn()
		? h('button', { type: 'button', class: 'ghost', onclick: () => signedOut('Signed out. Postern no longer lets Tunes act for you.') }, 'Sign out')
		: null);
	mount($('main'),
		ui.notice ? h('p', { class: 'notice', role: 'status' }, ui.notice, ' ', h('button', { type: 'button', class: 'link', onclick: () => { ui.notice = ''; render(); } }, 'Dismiss')) : null,
		app.signedIn() ? signedInTop() : welcome(),
		h('section', { 'aria-labelledby': 'cat-title' }, h('h2', { id: 'cat-title' }, 'Catalogue'),
			h('ul', { class: 'grid' }, TITLES.map(card))),
		app.signedIn() ? sharesSection() : null);
}

function welcome() {
	return h('section', { class: 'card hero' },
		h('h2', null, 'Share what you love with your friends on Postern'),
		h('p', null, 'Tunes sends a title and your note into a conversation with a friend on Postern, encrypted in this page. You choose what it may do, for how long, and you can see every call it makes in Postern.'),
		h('button', { type: 'button', class: 'primary', onclick: signIn }, 'Sign in with Postern'));
}

async function signIn() {
	try {
		location.assign(await app.authorizeUrl(REDIRECT, SCOPE));
	} catch (e) {
		showError(e);
	}
}

function signedInTop() {
	if (ui.approvedSeen) return null;
	let code = '';
	try {
		code = app.approvalCode();
	} catch {
		return null;
	}
	return h('section', { class: 'card approve', 'aria-labelledby': 'approve-title' },
		h('h2', { id: 'approve-title' }, 'One more step: approve Tunes in Postern'),
		h('p', null, 'So that your friends’ replies reach Tunes encrypted, open Postern, go to Settings → Connected apps → “Approve an app’s device”, and enter this code (or run ', h('code', null, `postern apps approve ${code}`), '):'),
		h('p', { class: 'code', 'aria-label': `Approval code ${code.split('').join(' ')}` }, code),
		h('div', { class: 'row' },
			h('a', { class: 'button', href: `${ui.postern}/#/settings/apps`, target: '_blank', rel: 'noopener' }, 'Open Postern'),
			h('button', { type: 'button', onclick: async () => { ui.approvedSeen = true; await saveLocal(); render(); } }, 'I approved it')));
}

function cover(t) {
	return h('div', { class: `cover c${t.cover}`, 'aria-hidden': 'true' }, h('span', null, t.title.split(' ').map((w) => w[0]).join('').slice(0, 2)));
}

function card(t) {
	return h('li', { class: 'item' },
		cover(t),
		h('div', { class: 'meta' }, h('h3', null, t.title), h('p', { class: 'muted' }, `${t.kind} · ${t.artist}`)),
		app.signedIn() ? h('button', { type: 'button', onclick: () => shareDialog(t) }, 'Share') : null);
}

function shareDialog(t) {
	const people = recipients();
	const select = h('select', { id: 'share-to', required: true }, people.map(([id, name]) => h('option', { value: id }, name)));
	const note = h('textarea', { id: 'share-note', rows: '3', maxlength: '2000', placeholder: 'Why they will like it' });
	const status = h('p', { class: 'muted', role: 'status' });
	const dlg = h('dialog', { class: 'card', 'aria-labelledby': 'share-title' });
	const close = () => { dlg.close(); dlg.remove(); };
	const form = h('form', { class: 'stack' },
		h('h2', { id: 'share-title' }, `Share “${t.title}”`),
		people.length
			? [h('label', { for: 'share-to' }, 'With'), select]
			: h('p', null, 'None of your friends uses Tunes yet. Pick friends on Postern to share with them.'),
		h('button', { type: 'button', class: 'link', onclick: pickFriends }, 'Pick friends on Postern…'),
		h('label', { for: 'share-note' }, 'Your note (end-to-end encrypted)'), note, status,
		h('div', { class: 'row end' }, h('button', { type: 'button', onclick: close }, 'Cancel'),
			h('button', { type: 'submit', class: 'primary', disabled: people.length ? null : true }, 'Send')));
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		status.textContent = 'Encrypting and sending…';
		try {
			await app.share(select.value, t.item, note.value);
			close();
			announce(`Shared ${t.title}.`);
			await refresh();
			render();
		} catch (ex) {
			status.textContent = `Not sent: ${ex.message}`;
		}
	});
	dlg.append(form);
	document.body.append(dlg);
	dlg.showModal();
}

async function pickFriends() {
	try {
		location.assign(await app.sharePageUrl(REDIRECT));
	} catch (e) {
		showError(e);
	}
}

function sharesSection() {
	const threads = ui.threads.filter((t) => (ui.messages.get(t.thread_id) || []).length);
	return h('section', { 'aria-labelledby': 'shares-title' }, h('h2', { id: 'shares-title' }, 'Your shares and replies'),
		threads.length ? h('ul', { class: 'stack' }, threads.map(conversation)) : h('p', { class: 'muted' }, 'Nothing shared yet.'));
}

function conversation(t) {
	const other = (t.members || []).find((m) => m.id !== app.sub());
	const msgs = ui.messages.get(t.thread_id) || [];
	return h('li', { class: 'card' },
		h('h3', null, `With ${other ? other.display_name : 'a friend'}`),
		other && !other.app_can_read ? h('p', { class: 'muted small' }, 'Tunes sees their replies once they accept it in Postern.') : null,
		h('ol', { class: 'messages', 'aria-live': 'polite' }, msgs.map((m) => message(t, m))));
}

function message(t, m) {
	const mine = m.sentByThisApp;
	const who = mine ? 'You, from Tunes' : nameOf(m.senderId);
	let body;
	if (m.deleted) body = h('em', { class: 'muted' }, 'Deleted');
	else if (m.text !== null) body = m.text || h('em', { class: 'muted' }, 'no note');
	else body = h('em', { class: 'muted' }, m.error || 'cannot be read here');
	const item = m.item ? titleOf(m.item) : null;
	return h('li', { class: mine ? 'msg mine' : 'msg' },
		h('p', { class: 'small muted' }, who, ' · ', new Date(m.createdAt).toLocaleString()),
		item && !m.deleted ? h('p', { class: 'shared' }, '♪ ', h('strong', null, item.title), item.artist ? ` — ${item.artist}` : '') : null,
		h('p', null, body),
		mine && !m.deleted ? h('button', { type: 'button', class: 'link danger', onclick: () => remove(t, m) }, 'Delete this share') : null);
}

async function remove(t, m) {
	if (!confirm('Delete this share for everyone in the conversation?')) return;
	try {
		await app.deleteMessage(t.thread_id, m.messageId);
		ui.messages.set(t.thread_id, await app.read(t.thread_id));
		announce('Share deleted.');
		render();
	} catch (e) {
		showError(e);
	}
}

start().catch((e) => {
	mount($('main'), h('p', { class: 'notice', role: 'alert' }, `Tunes could not start: ${e.message}`));
});
