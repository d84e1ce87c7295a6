/*
 * harness.mjs — what the web-client tests need around them (Node only, never shipped to a browser): a real
 * posternd on an ephemeral port (tests/integration/harness.py's flags: cheap password hashing, --port=0, the
 * "posternd listening on" line), killed when the test ends, and the real C CLI driven with its own home
 * directory and POSTERN_PASSWORD, as tests/integration/t20_cli.py does. POSTERND and POSTERN_CLI name the
 * binaries (default: build-c/ of the repository).
 */
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const POSTERND = process.env.POSTERND || join(ROOT, 'build-c', 'posternd');
export const CLI = process.env.POSTERN_CLI || join(dirname(POSTERND), 'postern');
const tmp = [];

/** A fresh temporary directory, removed by cleanup(). */
export function tempDir(prefix) {
	const d = mkdtempSync(join(tmpdir(), prefix));
	tmp.push(d);
	return d;
}

/** Start posternd with extra flags; resolves to {url, port, proc, stop()}. */
export function startServer(extra = []) {
	const data = tempDir('postern-web-data-');
	const argv = ['--port=0', `--data-dir=${data}`, '--pwhash-memlimit=8192', '--pwhash-opslimit=1', '--log-level=warn', '--register-limit=1000000', ...extra];
	const proc = spawn(POSTERND, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
	return new Promise((res, rej) => {
		let out = '';
		const timer = setTimeout(() => rej(new Error(`posternd did not start: ${out}`)), 15000);
		const onData = (b) => {
			out += b;
			const m = /posternd listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
			if (m) {
				clearTimeout(timer);
				const port = Number(m[1]);
				res({ url: `http://127.0.0.1:${port}`, port, proc, data, stop: () => proc.kill('SIGKILL') });
			}
		};
		proc.stdout.on('data', onData);
		proc.stderr.on('data', onData);
		proc.on('exit', (code) => rej(new Error(`posternd exited ${code}: ${out}`)));
	});
}

/** A short random name (usernames must differ between tests sharing a server). */
export const randName = (p) => `${p}${randomBytes(4).toString('hex')}`;

/** A person driving the C CLI: its own home, a password in POSTERN_PASSWORD. */
export class CliPerson {
	constructor(server, name) {
		this.server = server;
		this.name = randName(name);
		this.password = 'pw-' + randomBytes(6).toString('hex');
		this.home = tempDir(`postern-web-cli-${name}-`);
	}
	/** Run `postern ARGS`; resolves to {code, stdout, stderr}; rejects on a non-zero exit unless allowFail. */
	run(args, { allowFail = false, home = this.home, input } = {}) {
		return new Promise((res, rej) => {
			const p = execFile(CLI, ['--server', this.server.url, '--home', home, ...args],
				{ env: { ...process.env, POSTERN_PASSWORD: this.password }, timeout: 60000 }, (err, stdout, stderr) => {
					const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
					if (code !== 0 && !allowFail) rej(new Error(`postern ${args.join(' ')} exited ${code}: ${stderr.slice(0, 400)}`));
					else res({ code, stdout, stderr });
				});
			if (input !== undefined) p.stdin.end(input);
		});
	}
	/** Run with --json and parse the output. */
	async json(args, opts) {
		return JSON.parse((await this.run(['--json', ...args], opts)).stdout);
	}
	/** Register and log in as the account's first device. */
	async register() {
		const out = await this.json(['register', this.name]);
		this.recoveryKey = out.recovery_key;
		await this.run(['login', this.name]);
		this.userId = (await this.json(['whoami'])).user_id;
	}
}

/** Remove the temporary directories. */
export function cleanup() {
	for (const d of tmp.splice(0)) rmSync(d, { recursive: true, force: true });
}
