/*
 * stream.js — following a person's event log live (libpostern's src/lib/stream.c) with fetch() streaming
 * of GET /v1/events (text/event-stream; EventSource cannot send the Authorization header): lines read under
 * a bound, each event handed to e2ee.js (hand-overs taken, new messages decrypted) and to the caller, the
 * cursor kept, and the connection resumed from the last event id after a drop. In app mode (app.js) it
 * follows GET /v1/partner/events instead, resuming by ?since= alone (a Last-Event-ID header is not among
 * the headers the partner API allows from another origin), and renews an expired access token. It decides
 * nothing about trust; e2ee.js does.
 */
import { PstError, Status } from './errors.js';
import { sleep } from './util.js';
import * as e2ee from './e2ee.js';

const LINE_MAX = 1 << 22; /* a line over 4 MiB is not a stream from our server */

/**
 * Follow the stream until stop() is called (or onEvent throws). onEvent(type, event, message) gets every
 * event's JSON, and for message.created the decrypted message (else null). lastEventId: where to resume
 * (default: the stored cursor). Returns {stop, done}: stop() ends it; done resolves when it has ended
 * (rejects with a PstError that retrying cannot fix, such as PST_ERR_AUTH).
 */
export function watch(c, onEvent, { lastEventId, identityReady, retryMs = 1000 } = {}) {
	const ctl = new AbortController();
	let stopped = false;
	const resumeFrom = typeof lastEventId === 'string' && lastEventId ? lastEventId : null;
	if (resumeFrom) c.cursor = resumeFrom;
	const dispatch = async (data) => {
		let ev;
		try {
			ev = JSON.parse(data);
		} catch {
			return;
		}
		if (!ev || typeof ev.type !== 'string') return;
		let msg = null;
		if (ev.type === 'to_device') await c.locked(() => e2ee.takeHandover(c, ev).catch(() => {}));
		if (ev.type === 'message.created' && ev.message && typeof ev.message === 'object') msg = await e2ee.decryptMessage(c, null, ev.message);
		if (typeof ev.cursor === 'string') c.cursor = ev.cursor;
		await c.locked(() => c.saveSession());
		if (onEvent) await onEvent(ev.type, ev, msg);
	};
	const once = async () => {
		const used = c.token;
		const headers = { Accept: 'text/event-stream', Authorization: `Bearer ${used}` };
		if (c.cursor && !c.app) headers['Last-Event-ID'] = c.cursor;
		const url = `${c.api.server}${c.app ? '/v1/partner/events' : '/v1/events'}${c.cursor ? '?since=' + encodeURIComponent(c.cursor) : ''}`;
		const res = await c.api.fetch(url, { headers, signal: ctl.signal });
		if (res.status === 401 && c.reauth && (c.token !== used || (await c.reauth(used)))) return; /* again, with the new token */
		if (res.status === 401) throw new PstError(Status.AUTH, 'the session ended', { httpStatus: 401 });
		if (res.status >= 400) throw new PstError(Status.HTTP, `the event stream was refused (HTTP ${res.status})`, { httpStatus: res.status });
		const reader = res.body.getReader();
		const dec = new TextDecoder();
		let buf = '', data = null;
		for (;;) {
			const { value, done } = await reader.read();
			if (done) return;
			buf += dec.decode(value, { stream: true });
			let nl;
			while ((nl = buf.indexOf('\n')) >= 0) {
				let line = buf.slice(0, nl);
				buf = buf.slice(nl + 1);
				if (line.endsWith('\r')) line = line.slice(0, -1);
				if (line === '') {
					if (data !== null) await dispatch(data);
					data = null;
				} else if (line.startsWith('data:')) {
					const v = line.slice(line[5] === ' ' ? 6 : 5);
					data = data === null ? v : `${data}\n${v}`;
				} /* id: and event: are repeated inside the data; ":" lines are heartbeats */
			}
			if (buf.length > LINE_MAX) throw new PstError(Status.PROTOCOL, 'an event-stream line is too long');
		}
	};
	const done = (async () => {
		/* hand-overs that came while away, as pst_watch; a caller resuming from its own event id gets every
		 * event after it from the stream itself, in order (a sync would move the cursor past them) */
		if (!resumeFrom) await e2ee.sync(c, identityReady);
		while (!stopped) {
			try {
				await once();
			} catch (e) {
				if (stopped) break;
				if (e instanceof PstError && (e.code === Status.AUTH || e.code === Status.PROTOCOL)) throw e;
			}
			if (!stopped) await sleep(retryMs); /* dropped: resume from the last cursor */
		}
	})();
	return {
		stop() {
			stopped = true;
			ctl.abort();
		},
		done,
	};
}
