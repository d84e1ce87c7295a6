#!/usr/bin/env node
/*
 * server.mjs — the static server of the Tunes example (examples/partner-web): serves dist/ (built by
 * build.sh) on 127.0.0.1 only, the page at / and at /cb (the redirect URI Postern sends the person back to),
 * and /config.json naming the Postern server and the app's client id given on the command line. Every
 * answer carries a strict Content-Security-Policy whose connect-src is this origin and the Postern server
 * only. It holds no secret and talks to nobody: the page does everything, as a public OAuth client.
 *
 *   node examples/partner-web/server.mjs --port 8700 --client-id ID [--postern http://127.0.0.1:8080]
 */
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const USAGE = 'usage: node examples/partner-web/server.mjs --port PORT --client-id CLIENT_ID [--postern URL]';
const DIST = join(dirname(fileURLToPath(import.meta.url)), 'dist');

function args(argv) {
	const out = { postern: 'http://127.0.0.1:8080' };
	for (let i = 0; i < argv.length; i++) {
		const [k, inline] = argv[i].split(/=(.*)/s);
		const v = inline !== undefined ? inline : argv[++i];
		if (v === undefined) throw new Error(`${k} needs a value`);
		if (k === '--port') out.port = Number(v);
		else if (k === '--client-id') out.clientId = v;
		else if (k === '--postern') out.postern = v;
		else throw new Error(`unknown option ${k}`);
	}
	if (!Number.isInteger(out.port) || out.port < 1 || out.port > 65535) throw new Error('--port is a number from 1 to 65535');
	if (!out.clientId || !/^[A-Za-z0-9._~-]{1,64}$/.test(out.clientId)) throw new Error('--client-id is the client_id `posternd app create` printed');
	let u;
	try {
		u = new URL(out.postern);
	} catch {
		throw new Error('--postern is a URL such as http://127.0.0.1:8080');
	}
	if (!/^https?:$/.test(u.protocol) || u.pathname !== '/' || u.search || u.hash) throw new Error('--postern is the server\'s origin, such as http://127.0.0.1:8080');
	out.postern = u.origin;
	return out;
}

let opts;
try {
	opts = args(process.argv.slice(2));
} catch (e) {
	console.error(`server.mjs: ${e.message}\n${USAGE}`);
	process.exit(2);
}

let files;
try {
	files = {
		'/app.js': ['text/javascript; charset=utf-8', readFileSync(join(DIST, 'app.js'))],
		'/app.css': ['text/css; charset=utf-8', readFileSync(join(DIST, 'app.css'))],
		'/index.html': ['text/html; charset=utf-8', readFileSync(join(DIST, 'index.html'))],
	};
} catch {
	console.error('server.mjs: dist/ is not built: run make partner-web (or sh examples/partner-web/build.sh)');
	process.exit(1);
}
files['/'] = files['/cb'] = files['/index.html'];
files['/config.json'] = ['application/json', Buffer.from(JSON.stringify({ postern: opts.postern, client_id: opts.clientId }))];

/* the same policy as Postern's own web client, with the Postern server added to connect-src */
const CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; " +
	`connect-src 'self' ${opts.postern}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; ` +
	"require-trusted-types-for 'script'; trusted-types 'none'";

const server = createServer((req, res) => {
	const path = (req.url || '/').split('?')[0];
	const headers = {
		'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'X-Frame-Options': 'DENY',
		'Referrer-Policy': 'no-referrer', /* /cb carries the authorization code: never in a Referer */
		'Cache-Control': 'no-store',
	};
	const f = files[path];
	if ((req.method !== 'GET' && req.method !== 'HEAD') || !f) {
		res.writeHead(f ? 405 : 404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
		res.end(f ? 'method not allowed\n' : 'not found\n');
		return;
	}
	res.writeHead(200, { ...headers, 'Content-Type': f[0], 'Content-Length': f[1].length });
	res.end(req.method === 'HEAD' ? undefined : f[1]);
});
server.listen(opts.port, '127.0.0.1', () => {
	console.log(`Tunes listening on http://127.0.0.1:${opts.port} (Postern: ${opts.postern}, client ${opts.clientId})`);
});
