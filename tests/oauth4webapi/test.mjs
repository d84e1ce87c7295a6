// Interoperability test: the real `oauth4webapi` client (v3) against posternd's OAuth 2.0 authorization server
// (docs/partner.md). Starts its own posternd (--port=0, a fresh data dir), registers a confidential app with the
// CLI, creates a user over the API, approves consent over HTTP like a browser (fetch + cookie), then runs
// discovery, the code flow with PKCE, refresh (with rotation), revocation and introspection through the library.
//
//   node test.mjs          (POSTERND=/path/to/posternd to use another binary)
//
// Prints `ok …` / `FAIL …` lines and ends with `oauth4webapi: N passed, N failed`; exit code 1 on failure.
// The server is killed at the end in every case (normal end, failure, exception, signal, timeout).
import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as oauth from 'oauth4webapi'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = resolve(HERE, '..', '..')
const BIN = process.env.POSTERND || join(ROOT, 'build', 'posternd')
// the same flags as tests/integration/harness.py BASE_FLAGS
const BASE_FLAGS = ['--pwhash-memlimit=8192', '--pwhash-opslimit=1', '--log-level=warn']
const REDIRECT_URI = 'https://app.example/cb'
const SCOPES = 'friends:read messages:send messages:read messages:delete reports:read'
const INSECURE = { [oauth.allowInsecureRequests]: true } // posternd's issuer here is http://127.0.0.1:PORT

let passed = 0
let failed = 0
let server = null
let dataDir = null

function cleanup () {
  if (server && server.exitCode === null && server.signalCode === null) {
    try { server.kill('SIGKILL') } catch {}
  }
  server = null
  if (dataDir) {
    try { rmSync(dataDir, { recursive: true, force: true }) } catch {}
    dataDir = null
  }
}
process.on('exit', cleanup)
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { cleanup(); process.exit(1) })
}
const watchdog = setTimeout(() => {
  console.log('FAIL timeout: the test took longer than 120 s')
  failed++
  finish()
}, 120_000)

function finish () {
  clearTimeout(watchdog)
  cleanup()
  console.log(`oauth4webapi: ${passed} passed, ${failed} failed`)
  process.exit(failed || passed === 0 ? 1 : 0)
}

function assert (cond, msg) {
  if (!cond) throw new Error(msg)
}

async function step (name, fn) {
  try {
    const out = await fn()
    passed++
    console.log(`ok ${name}`)
    return out
  } catch (e) {
    failed++
    const why = e instanceof oauth.ResponseBodyError
      ? `${e.message}: ${e.status} ${e.error} ${e.error_description ?? ''}`
      : (e && e.stack ? e.stack.split('\n').slice(0, 2).join(' | ') : String(e))
    console.log(`FAIL ${name}: ${why}`)
    return undefined
  }
}

async function expectOAuthError (promise, error, what) {
  try {
    await promise
  } catch (e) {
    assert(e instanceof oauth.ResponseBodyError, `${what}: expected a ResponseBodyError, got ${e}`)
    assert(e.error === error, `${what}: error ${e.error}, want ${error}`)
    return e
  }
  throw new Error(`${what}: succeeded, want error ${error}`)
}

function startServer () {
  return new Promise((resolve, reject) => {
    dataDir = mkdtempSync(join(tmpdir(), 'postern-o4w-'))
    server = spawn(BIN, ['--port=0', `--data-dir=${dataDir}`, ...BASE_FLAGS],
      { stdio: ['ignore', 'pipe', 'inherit'] })
    let buf = ''
    const timer = setTimeout(() => reject(new Error('posternd printed no listening line within 15 s')), 15_000)
    server.on('error', (e) => { clearTimeout(timer); reject(e) })
    server.on('exit', (code) => { clearTimeout(timer); reject(new Error(`posternd exited (${code}) before listening`)) })
    server.stdout.on('data', (d) => {
      buf += d.toString()
      const m = buf.match(/^posternd listening on (http:\/\/127\.0\.0\.1:(\d+))/)
      if (m) {
        clearTimeout(timer)
        server.removeAllListeners('exit')
        server.stdout.on('data', () => {})
        resolve(m[1])
      }
    })
  })
}

function createApp (name, extra = []) {
  const out = execFileSync(BIN, ['app', 'create', '--data-dir', dataDir, '--name', name,
    '--redirect-uri', REDIRECT_URI, '--scopes', SCOPES, ...extra], { encoding: 'utf8' })
  const id = out.match(/^client_id:\s*(\S+)/m)
  const secret = out.match(/^client_secret:\s*(\S+)/m)
  assert(id && secret, `posternd app create printed no client_id/client_secret: ${out}`)
  return { clientId: id[1], clientSecret: secret[1] }
}

async function api (base, method, path, body, token) {
  const headers = {}
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (token) headers.authorization = `Bearer ${token}`
  const r = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await r.text()
  let json = null
  try { json = JSON.parse(text) } catch {}
  return { status: r.status, json, text }
}

function hiddenFields (html) {
  const out = {}
  for (const tag of html.match(/<input\b[^>]*>/gi) || []) {
    const attr = (n) => { const m = tag.match(new RegExp(`\\b${n}="([^"]*)"`, 'i')); return m ? m[1] : undefined }
    if ((attr('type') || '').toLowerCase() === 'hidden' && attr('name')) {
      out[attr('name')] = (attr('value') || '').replace(/&amp;/g, '&').replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>')
    }
  }
  return out
}

// A person's browser: GET the authorization URL, log in through the form, approve (or deny) on the consent page.
// Returns the Location of the final 303.
async function browserConsent (authUrl, user, decision = 'approve') {
  const origin = new URL(authUrl).origin
  let r = await fetch(authUrl, { redirect: 'manual' })
  assert(r.status === 200, `authorize without a session: ${r.status}`)
  const login = await r.text()
  assert(login.includes('action="/oauth/login"'), 'the login form is shown')
  // the login form's CSRF defence: its hidden login_csrf must match the postern_login cookie it set
  const formCookies = r.headers.getSetCookie ? r.headers.getSetCookie() : [r.headers.get('set-cookie')]
  const lc = formCookies.map((x) => x && x.match(/^postern_login=([^;]*)/)).find(Boolean)
  assert(lc, 'the login form sets the postern_login cookie')
  const form = new URLSearchParams({ ...hiddenFields(login), username: user.username, password: user.password })
  r = await fetch(origin + '/oauth/login', {
    method: 'POST', redirect: 'manual', body: form,
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `postern_login=${lc[1]}` }
  })
  const setCookie = r.headers.getSetCookie ? r.headers.getSetCookie() : [r.headers.get('set-cookie')]
  const c = setCookie.map((x) => x && x.match(/^postern_session=([^;]*)/)).find(Boolean)
  assert(c, `POST /oauth/login set no postern_session cookie (${r.status})`)
  const cookie = `postern_session=${c[1]}`
  r = await fetch(authUrl, { redirect: 'manual', headers: { cookie } })
  assert(r.status === 200, `consent page: ${r.status}`)
  const consent = await r.text()
  const fields = hiddenFields(consent)
  assert(fields.csrf, 'the consent page has a csrf field')
  r = await fetch(origin + '/oauth/authorize', {
    method: 'POST',
    redirect: 'manual',
    body: new URLSearchParams({ ...fields, decision, expiry_days: '30' }),
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie }
  })
  assert(r.status === 303, `POST /oauth/authorize: ${r.status}`)
  const loc = r.headers.get('location')
  assert(loc && loc.startsWith(REDIRECT_URI + '?'), `Location ${loc}`)
  return loc
}

async function main () {
  assert(existsSync(BIN), `${BIN} does not exist (make -C ${ROOT} build/posternd)`)
  const base = await step('start posternd', startServer)
  if (!base) return
  const issuer = new URL(base)
  const app = await step('register a confidential app with the CLI', () => createApp('Tunes'))
  const user = { username: 'o4w' + Math.random().toString(16).slice(2, 10), password: 'pw-' + oauth.generateRandomState() }
  await step('create a user over the API', async () => {
    const r = await api(base, 'POST', '/v1/accounts', user)
    assert(r.status === 201, `POST /v1/accounts: ${r.status} ${r.text}`)
  })
  if (!app) return

  // discovery (RFC 8414)
  const as = await step('discovery (RFC 8414): processDiscoveryResponse accepts the metadata', async () => {
    const resp = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...INSECURE })
    const as = await oauth.processDiscoveryResponse(issuer, resp)
    assert(as.issuer === base, `issuer ${as.issuer}, want ${base}`)
    assert(JSON.stringify(as.code_challenge_methods_supported) === '["S256"]', 'S256 only')
    assert(as.authorization_response_iss_parameter_supported === true, 'iss parameter supported')
    for (const k of ['authorization_endpoint', 'token_endpoint', 'revocation_endpoint', 'introspection_endpoint']) {
      assert(typeof as[k] === 'string' && as[k].startsWith(base + '/'), `${k}: ${as[k]}`)
    }
    return as
  })
  if (!as) return
  await step('discovery rejects a different expected issuer', async () => {
    const resp = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...INSECURE })
    let threw = false
    try { await oauth.processDiscoveryResponse(new URL('http://127.0.0.1:1'), resp) } catch { threw = true }
    assert(threw, 'processDiscoveryResponse accepted a metadata document for another issuer')
  })

  const client = { client_id: app.clientId }
  const post = oauth.ClientSecretPost(app.clientSecret)
  // oauth4webapi's ClientSecretBasic form-urlencodes client_id and secret before base64 (RFC 6749 §2.3.1), so
  // "_", "-" and "." arrive as %5F, %2D, %2E and the server must decode them.
  const libBasic = oauth.ClientSecretBasic(app.clientSecret)
  const libBasicOk = await step('client_secret_basic as oauth4webapi sends it (form-urlencoded, RFC 6749 §2.3.1)',
    async () => {
      const resp = await oauth.clientCredentialsGrantRequest(as, client, libBasic, { scope: 'reports:read' }, INSECURE)
      await oauth.processClientCredentialsResponse(as, client, resp)
      return true
    })
  // if that failed, go on with Basic credentials that are not percent-encoded, so the later steps still run
  const basic = libBasicOk ? libBasic : (_as, cl, _body, headers) => {
    headers.set('authorization', 'Basic ' + Buffer.from(`${cl.client_id}:${app.clientSecret}`).toString('base64'))
  }
  if (!libBasicOk) console.log('# continuing with unencoded client_secret_basic credentials')

  // the authorization code flow with PKCE
  async function codeFlow (scope) {
    const verifier = oauth.generateRandomCodeVerifier()
    const challenge = await oauth.calculatePKCECodeChallenge(verifier)
    const state = oauth.generateRandomState()
    const url = new URL(as.authorization_endpoint)
    url.search = new URLSearchParams({
      response_type: 'code', client_id: client.client_id, redirect_uri: REDIRECT_URI, scope, state,
      code_challenge: challenge, code_challenge_method: 'S256'
    }).toString()
    const loc = await browserConsent(url.href, user)
    const params = oauth.validateAuthResponse(as, client, new URL(loc), state)
    const resp = await oauth.authorizationCodeGrantRequest(as, client, basic, params, REDIRECT_URI, verifier, INSECURE)
    return { tokens: await oauth.processAuthorizationCodeResponse(as, client, resp), loc, verifier, params }
  }

  const flow = await step('code + PKCE: browser consent, validateAuthResponse (iss, state), token exchange',
    async () => {
      const f = await codeFlow('friends:read messages:send messages:read messages:delete')
      const t = f.tokens
      assert(typeof t.access_token === 'string' && t.access_token.startsWith('pa.'), `access_token ${t.access_token}`)
      assert(t.token_type === 'bearer', `token_type ${t.token_type}`)
      assert(t.expires_in === 600, `expires_in ${t.expires_in}`)
      assert(typeof t.refresh_token === 'string', 'refresh_token')
      assert(new URL(f.loc).searchParams.get('iss') === base, 'iss in the authorization response')
      return f
    })
  if (!flow) return
  let tokens = flow.tokens

  await step('the access token works at the Inbox API (protectedResourceRequest)', async () => {
    const r = await oauth.protectedResourceRequest(tokens.access_token, 'GET', new URL(base + '/v1/partner/threads'),
      undefined, undefined, INSECURE)
    assert(r.status === 200, `GET /v1/partner/threads: ${r.status}`)
    const j = await r.json()
    assert(Array.isArray(j.threads), 'threads array')
  })

  await step('a redeemed code cannot be redeemed again (invalid_grant)', async () => {
    const resp = await oauth.authorizationCodeGrantRequest(as, client, basic, flow.params, REDIRECT_URI,
      flow.verifier, INSECURE)
    await expectOAuthError(oauth.processAuthorizationCodeResponse(as, client, resp), 'invalid_grant', 'code replay')
  })

  // the replay above revoked that grant (docs/partner.md); start a fresh one
  const f2 = await step('a second code flow (client_secret_basic)', () => codeFlow('messages:read messages:send'))
  if (!f2) return
  tokens = f2.tokens
  const first = tokens

  const refreshed = await step('refresh (refreshTokenGrantRequest, client_secret_post): rotation', async () => {
    const resp = await oauth.refreshTokenGrantRequest(as, client, post, tokens.refresh_token, INSECURE)
    const t = await oauth.processRefreshTokenResponse(as, client, resp)
    assert(t.refresh_token && t.refresh_token !== tokens.refresh_token, 'the refresh token is replaced')
    assert(t.access_token !== tokens.access_token, 'a new access token')
    assert(t.scope === 'messages:read messages:send' || t.scope === 'messages:send messages:read', `scope ${t.scope}`)
    return t
  })
  if (refreshed) tokens = refreshed

  await step('introspection of an active token (introspectionRequest)', async () => {
    const resp = await oauth.introspectionRequest(as, client, basic, tokens.access_token, INSECURE)
    const j = await oauth.processIntrospectionResponse(as, client, resp)
    assert(j.active === true, 'active')
    assert(j.client_id === client.client_id, `client_id ${j.client_id}`)
    assert(typeof j.sub === 'string' && j.sub.startsWith('p_'), `sub ${j.sub} is a pairwise id`)
    assert(j.iss === base, `iss ${j.iss}`)
    assert(typeof j.exp === 'number' && j.exp > Date.now() / 1000, `exp ${j.exp}`)
  })

  await step('revocation of the access token (revocationRequest), then introspection says inactive', async () => {
    const resp = await oauth.revocationRequest(as, client, basic, tokens.access_token, INSECURE)
    await oauth.processRevocationResponse(resp)
    const r = await api(base, 'GET', '/v1/partner/threads', undefined, tokens.access_token)
    assert(r.status === 401, `the revoked token at the API: ${r.status}`)
    const ir = await oauth.introspectionRequest(as, client, basic, tokens.access_token, INSECURE)
    const j = await oauth.processIntrospectionResponse(as, client, ir)
    assert(j.active === false && Object.keys(j).length === 1, `introspection after revocation: ${JSON.stringify(j)}`)
  })

  await step('a used refresh token is refused (invalid_grant) and ends the grant', async () => {
    const resp = await oauth.refreshTokenGrantRequest(as, client, basic, first.refresh_token, INSECURE)
    await expectOAuthError(oauth.processRefreshTokenResponse(as, client, resp), 'invalid_grant', 'refresh replay')
    const r2 = await oauth.refreshTokenGrantRequest(as, client, basic, tokens.refresh_token, INSECURE)
    await expectOAuthError(oauth.processRefreshTokenResponse(as, client, r2), 'invalid_grant',
      'the newest refresh token after the replay')
  })

  await step('revoking a refresh token ends its grant', async () => {
    const f = await codeFlow('messages:read')
    const resp = await oauth.revocationRequest(as, client, basic, f.tokens.refresh_token,
      { additionalParameters: { token_type_hint: 'refresh_token' }, ...INSECURE })
    await oauth.processRevocationResponse(resp)
    const r = await api(base, 'GET', '/v1/partner/threads', undefined, f.tokens.access_token)
    assert(r.status === 401, `the grant's access token after revoking its refresh token: ${r.status}`)
  })

  await step('client_credentials (clientCredentialsGrantRequest) gives reports:read', async () => {
    const resp = await oauth.clientCredentialsGrantRequest(as, client, basic, { scope: 'reports:read' }, INSECURE)
    const t = await oauth.processClientCredentialsResponse(as, client, resp)
    assert(t.scope === 'reports:read', `scope ${t.scope}`)
    assert(t.refresh_token === undefined, 'no refresh token')
  })

  await step('a wrong client secret is refused (invalid_client)', async () => {
    const resp = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic('cs.wrong'), {},
      INSECURE)
    await expectOAuthError(oauth.processClientCredentialsResponse(as, client, resp), 'invalid_client', 'wrong secret')
  })

  await step('deny: validateAuthResponse raises access_denied', async () => {
    const state = oauth.generateRandomState()
    const url = new URL(as.authorization_endpoint)
    url.search = new URLSearchParams({
      response_type: 'code', client_id: client.client_id, redirect_uri: REDIRECT_URI, scope: 'messages:read', state,
      code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()),
      code_challenge_method: 'S256'
    }).toString()
    const loc = await browserConsent(url.href, user, 'deny')
    let err = null
    try { oauth.validateAuthResponse(as, client, new URL(loc), state) } catch (e) { err = e }
    assert(err instanceof oauth.AuthorizationResponseError, `want AuthorizationResponseError, got ${err}`)
    assert(err.error === 'access_denied', `error ${err.error}`)
  })
}

main().catch((e) => {
  failed++
  console.log(`FAIL unexpected: ${e && e.stack ? e.stack.split('\n').slice(0, 3).join(' | ') : e}`)
}).finally(finish)
