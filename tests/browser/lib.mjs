// lib.mjs -- the browser tier's helpers: a private posternd, Debian's chromium driven by playwright-core, and the
// checks every page gets (screenshots at a phone and a desktop width, no sideways scrolling, axe-core).
//
// It sits between run.mjs (the list of tests) and two processes it starts and owns: posternd (--port=0 on
// 127.0.0.1, a temporary data dir, a watchdog that SIGKILLs it when this node process disappears or a hard
// deadline passes, as tests/integration/harness.py does) and one headless chromium (killed by playwright when
// this process exits). It never downloads a browser and never lets a page reach the network: every request that
// is not to the private server is aborted, except the test client's redirect URI, which gets a stub page.
// It knows pages only by role, label and accessible name, never by markup, so the pages can be redrawn freely.
import { spawn, execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const HERE = dirname(fileURLToPath(import.meta.url))
export const ROOT = resolve(HERE, '..', '..')
export const BIN = process.env.POSTERND || join(ROOT, 'build', 'posternd')
// screenshots land here; scripts/test.sh points it into the build dir
export const SCREEN_DIR = process.env.POSTERN_SCREENS || join(dirname(BIN), 'artifacts', 'screens')
// the same flags as tests/integration/harness.py BASE_FLAGS (fast password hashing, quiet log)
const BASE_FLAGS = ['--pwhash-memlimit=8192', '--pwhash-opslimit=1', '--log-level=warn', '--register-limit=1000000']
const SERVER_HARD_LIMIT_S = Number(process.env.POSTERN_BROWSER_SERVER_MAX_S || 600)
export const REDIRECT_URI = 'https://app.example/cb'
export const SCOPES = 'friends:read messages:send messages:read'
// a phone (iPhone 12-14 class) and a laptop
export const WIDTHS = [{ name: 'phone', width: 390, height: 844 }, { name: 'desktop', width: 1280, height: 800 }]
// the sideways check also runs at the narrowest phone the pages promise to work on
const CHECK_WIDTHS = [{ name: 'small', width: 360, height: 740 }, ...WIDTHS]
const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser']

// The same loop as harness.py's WATCHDOG_SH: exits when the server is gone, SIGKILLs it when the parent is gone
// or the deadline passes. It is a separate process so that it outlives a SIGKILLed node.
const WATCHDOG_SH = `
parent=$1; child=$2; left=$3
while [ "$left" -gt 0 ]; do
  kill -0 "$child" 2>/dev/null || exit 0
  kill -0 "$parent" 2>/dev/null || break
  sleep 1
  left=$((left-1))
done
kill -9 "$child" 2>/dev/null
exit 0
`

/** A failed expectation; its message is what the runner prints after `FAIL NAME:`. */
export class CheckFailure extends Error {}

/** Throws CheckFailure(msg) unless cond. */
export function check (cond, msg) {
  if (!cond) throw new CheckFailure(msg)
}

// ---- posternd -------------------------------------------------------------------------------------------

const owned = { server: null, watchdog: null, dataDir: null, browser: null }

/**
 * Kills what this module started (server, watchdog, data dir). Safe to call more than once and from an 'exit'
 * handler (synchronous only). The browser is left to playwright, which kills it when the process exits.
 */
export function cleanup () {
  for (const k of ['server', 'watchdog']) {
    const p = owned[k]
    if (p && p.exitCode === null && p.signalCode === null) {
      try { p.kill('SIGKILL') } catch {}
    }
    owned[k] = null
  }
  if (owned.dataDir) {
    try { rmSync(owned.dataDir, { recursive: true, force: true }) } catch {}
    owned.dataDir = null
  }
}
process.on('exit', cleanup)
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { cleanup(); process.exit(1) })
}

/**
 * Starts the private posternd. Resolves to { base: 'http://127.0.0.1:PORT', dataDir }; rejects when the binary is
 * missing, exits early, or prints no listening line within 15 s. The server and its data dir belong to this
 * module and go at cleanup(). One server per process.
 */
export function startServer () {
  return new Promise((resolve, reject) => {
    if (!existsSync(BIN)) {
      reject(new CheckFailure(`${BIN} does not exist (make BUILD=... all, or set POSTERND)`))
      return
    }
    owned.dataDir = mkdtempSync(join(tmpdir(), 'postern-browser-'))
    const server = spawn(BIN, ['--port=0', `--data-dir=${owned.dataDir}`, ...BASE_FLAGS],
      { stdio: ['ignore', 'pipe', 'inherit'], cwd: ROOT })
    owned.server = server
    owned.watchdog = spawn('sh', ['-c', WATCHDOG_SH, 'posternd-watchdog', String(process.pid), String(server.pid),
      String(SERVER_HARD_LIMIT_S)], { stdio: 'ignore' })
    owned.watchdog.unref()
    let buf = ''
    const timer = setTimeout(() => reject(new CheckFailure('posternd printed no listening line within 15 s')), 15_000)
    server.on('error', (e) => { clearTimeout(timer); reject(e) })
    server.on('exit', (code, sig) => {
      clearTimeout(timer)
      reject(new CheckFailure(`posternd exited (${code ?? sig}) before listening`))
    })
    server.stdout.on('data', (d) => {
      buf += d.toString()
      const m = buf.match(/^posternd listening on (http:\/\/127\.0\.0\.1:(\d+))/)
      if (m) {
        clearTimeout(timer)
        server.removeAllListeners('exit')
        server.stdout.on('data', () => {})
        resolve({ base: m[1], dataDir: owned.dataDir })
      }
    })
  })
}

/**
 * One JSON request to the server's HTTP API. body: an object sent as JSON, or undefined; token: a bearer token.
 * Returns { status, json (null when the body is not JSON), text }.
 */
export async function api (base, method, path, body, token) {
  const headers = {}
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (token) headers.authorization = `Bearer ${token}`
  const r = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await r.text()
  let json = null
  try { json = JSON.parse(text) } catch {}
  return { status: r.status, json, text }
}

/** A random name with a readable prefix (usernames must be unique per server). */
export function randName (prefix) {
  return prefix + randomBytes(4).toString('hex')
}

/**
 * Registers an account over the API and logs it in (POST /v1/accounts, POST /v1/sessions). Resolves to
 * { username, password, token }.
 */
export async function createUser (base, prefix) {
  const user = { username: randName(prefix), password: 'pw-' + randomBytes(9).toString('base64url') }
  let r = await api(base, 'POST', '/v1/accounts', user)
  check(r.status === 201, `POST /v1/accounts: ${r.status} ${r.text.slice(0, 200)}`)
  r = await api(base, 'POST', '/v1/sessions', user)
  check(r.status === 201 && r.json && r.json.token, `POST /v1/sessions: ${r.status} ${r.text.slice(0, 200)}`)
  return { ...user, token: r.json.token }
}

/** Makes a and b friends: a asks, b accepts (the API the CLI uses). */
export async function befriend (base, a, b) {
  let r = await api(base, 'POST', '/v1/friends/requests', { username: b.username }, a.token)
  check(r.status === 201, `friend request: ${r.status} ${r.text.slice(0, 200)}`)
  r = await api(base, 'POST', `/v1/friends/requests/${r.json.request_id}/accept`, undefined, b.token)
  check(r.status === 200, `accept friend request: ${r.status} ${r.text.slice(0, 200)}`)
}

/**
 * Registers an OAuth client with `posternd app create` against the server's data dir, as an operator does.
 * Public (no secret, PKCE only) unless confidential is set. Returns { clientId, clientSecret|null, name }.
 */
export function createApp (dataDir, name, { confidential = false } = {}) {
  const out = execFileSync(BIN, ['app', 'create', '--data-dir', dataDir, '--name', name, '--redirect-uri',
    REDIRECT_URI, '--scopes', SCOPES, ...(confidential ? [] : ['--public'])], { encoding: 'utf8', timeout: 15_000 })
  const id = out.match(/^client_id:\s*(\S+)/m)
  const secret = out.match(/^client_secret:\s*(\S+)/m)
  check(id, `posternd app create printed no client_id: ${out.slice(0, 300)}`)
  return { clientId: id[1], clientSecret: secret ? secret[1] : null, name }
}

/** A PKCE pair (RFC 7636, S256): { verifier, challenge }. */
export function pkce () {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

/** The path of an authorization request of app for scope, with PKCE challenge and state. */
export function authorizePath (app, { challenge, state, scope = SCOPES }) {
  return '/oauth/authorize?' + new URLSearchParams({
    response_type: 'code', client_id: app.clientId, redirect_uri: REDIRECT_URI, scope, state,
    code_challenge: challenge, code_challenge_method: 'S256'
  })
}

// ---- chromium -------------------------------------------------------------------------------------------

/** The chromium binary: $CHROMIUM, else Debian's. Throws CheckFailure naming the package when there is none. */
export function chromiumPath () {
  const p = process.env.CHROMIUM || CHROMIUM_CANDIDATES.find((c) => existsSync(c))
  check(p && existsSync(p), 'no chromium found (apt-get install chromium, or set CHROMIUM=/path/to/chromium)')
  return p
}

/**
 * Launches headless chromium (--no-sandbox only as root, where chromium refuses to start with its sandbox).
 * The browser belongs to this module; closeBrowser() or process exit ends it.
 */
export async function launchBrowser () {
  const args = process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : []
  owned.browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args, timeout: 30_000 })
  return owned.browser
}

/** Closes the browser, giving up after 10 s (a hung browser is then left to process exit). */
export async function closeBrowser () {
  const b = owned.browser
  owned.browser = null
  if (b) await Promise.race([b.close().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 10_000))])
}

/**
 * A fresh browser context (no cookies) at the desktop size, for the server at base. Requests go only to base;
 * the client's redirect URI gets a stub page (so a flow can read the code from the URL); anything else is
 * aborted and remembered in context.blocked. The caller closes the context.
 */
export async function newContext (browser, base) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB', timezoneId: 'UTC' })
  ctx.blocked = []
  const redirectOrigin = new URL(REDIRECT_URI).origin
  // the server's own requests are not intercepted at all (a routed event stream would be buffered by playwright
  // and reported when its socket closes); everything else is routed here, to be stubbed or refused
  const ours = (u) => u.href === base || u.href.startsWith(base + '/')
  await ctx.route((u) => !ours(u), (route) => {
    const url = route.request().url()
    if (url.startsWith(redirectOrigin + '/')) {
      return route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>client</title><p>client</p>' })
    }
    ctx.blocked.push(url)
    return route.abort()
  })
  ctx.setDefaultTimeout(10_000)
  ctx.setDefaultNavigationTimeout(15_000)
  return ctx
}

/**
 * Logs user in on page, which shows a login form, as a person does: types the username and password into the
 * fields labelled so and presses the log-in button; waits for the page the form leads to.
 */
export async function logInThroughForm (page, user) {
  await page.getByLabel(/user ?name/i).fill(user.username)
  await page.getByLabel(/password/i).fill(user.password)
  const loaded = page.waitForEvent('load') // the page the form's answer leads to (it may have the same URL)
  await page.getByRole('button', { name: /^(log ?in|sign ?in)\b/i }).click()
  await loaded
  check(!(await page.getByLabel(/password/i).count()), `still a password field after logging in, at ${page.url()}`)
}

// ---- the checks every page gets -----------------------------------------------------------------------

/**
 * Saves full-page screenshots of page at each of WIDTHS as SCREEN_DIR/NAME-WIDTH.png (replacing earlier ones)
 * and leaves the page at the desktop size. Returns the file paths; fails when a file is not a PNG that wide.
 */
export async function screenshot (page, name) {
  mkdirSync(SCREEN_DIR, { recursive: true })
  const files = []
  for (const w of WIDTHS) {
    await page.setViewportSize({ width: w.width, height: w.height })
    const file = join(SCREEN_DIR, `${name}-${w.width}.png`)
    await page.screenshot({ path: file, fullPage: true, animations: 'disabled' })
    // a PNG whose IHDR says it is at least the viewport wide (full-page: wider when the page is)
    const png = readFileSync(file)
    check(png.length > 24 && png.toString('latin1', 12, 16) === 'IHDR' && png.readUInt32BE(16) >= w.width,
      `${file} is not a PNG at least ${w.width} px wide`)
    files.push(file)
  }
  await page.setViewportSize({ width: 1280, height: 800 })
  return files
}

/**
 * Fails (CheckFailure) when page scrolls sideways at any of WIDTHS: document.scrollingElement.scrollWidth must not
 * exceed window.innerWidth. The message names each width and the widest elements, to say where to look.
 */
export async function noSideways (page) {
  const bad = []
  for (const w of CHECK_WIDTHS) {
    await page.setViewportSize({ width: w.width, height: w.height })
    const m = await page.evaluate(() => {
      const inner = window.innerWidth
      const sw = document.scrollingElement.scrollWidth
      const wide = []
      if (sw > inner) {
        for (const el of document.body.querySelectorAll('*')) {
          const r = el.getBoundingClientRect()
          if (r.right > inner + 0.5) wide.push({ el, right: Math.round(r.right) })
        }
      }
      // the outermost offenders only (a wide table, not each of its cells)
      const outer = wide.filter((x) => !wide.some((y) => y !== x && y.el.contains(x.el)))
      const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '')
      return { inner, sw, culprits: outer.slice(0, 3).map((x) => `${name(x.el)} to ${x.right}px`) }
    })
    if (m.sw > m.inner) {
      bad.push(`at ${w.width}px the page is ${m.sw}px wide (${m.culprits.join(', ') || 'no element found'})`)
    }
  }
  await page.setViewportSize({ width: 1280, height: 800 })
  check(bad.length === 0, `sideways scrolling: ${bad.join('; ')}`)
}

let axeSource = null

/**
 * Runs axe-core on page (injected from node_modules as a string, so no network and no script tag the page's CSP
 * would refuse) and fails (CheckFailure) on violations of impact serious or critical, one line each: rule id,
 * impact, help text and the first few offending elements. Returns the lesser (moderate, minor) violations in
 * the same one-line form, for the caller to show without failing.
 */
export async function axe (page) {
  if (axeSource === null) {
    const req = createRequire(import.meta.url)
    axeSource = readFileSync(req.resolve('axe-core/axe.min.js'), 'utf8')
  }
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    await page.evaluate(axeSource)
  }
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] })
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map((n) => n.target.join(' '))
    }))
  })
  const line = (v) => `[${v.impact}] ${v.id}: ${v.help} (${v.targets.join(', ')})`
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  check(serious.length === 0, 'axe: ' + serious.map(line).join('; '))
  return violations.map(line)
}
