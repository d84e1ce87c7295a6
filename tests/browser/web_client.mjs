// web_client.mjs -- the browser tier's tests of the web client posternd serves at /: people register, befriend,
// talk, make a group, in separate browser contexts (separate IndexedDB, as on separate computers), with a
// person on the C command-line client in the same conversations; every screen at a phone and a desktop width,
// without sideways scrolling and without serious axe violations; the protocol's test vectors run inside
// chromium; and a canary text that was sent never appears in the server's files.
//
// It adds its tests to the runner's list (run.mjs calls addWebClientTests); each gets the shared world (the
// private server) and `t.context()` for fresh browser contexts. People are driven by labels and roles only.
import { execFile, execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { BIN, ROOT, SCREEN_DIR, axe, check, logInThroughForm, noSideways, randName, screenshot } from './lib.mjs'

const CLI = process.env.POSTERN_CLI || join(dirname(BIN), 'postern')

/** A person in a browser context: registers through the sign-up form and keeps the page. */
async function person (t, world, prefix, width = 1280) {
  const ctx = await t.context()
  await ctx.setDefaultTimeout(20_000)
  const page = await ctx.newPage()
  await page.setViewportSize({ width, height: width < 500 ? 844 : 800 })
  const errors = []
  page.on('pageerror', (e) => errors.push(e.message))
  const p = { page, errors, username: randName(prefix), password: 'pw-' + randomBytes(8).toString('hex') }
  await page.goto(world.base + '/#/register')
  await page.getByLabel('Username').fill(p.username)
  await page.getByLabel('Password', { exact: true }).fill(p.password)
  await page.getByLabel('Password again').fill(p.password)
  await page.getByRole('button', { name: 'Create account' }).click()
  p.recoveryKey = (await page.getByTestId('recovery-key').textContent({ timeout: 30_000 })).trim()
  check(/^[0-9A-Z]{4}(-[0-9A-Z]{4})+$/.test(p.recoveryKey), `recovery key ${p.recoveryKey}`)
  await page.getByLabel('I have kept my recovery key').check()
  await page.getByRole('button', { name: 'Continue' }).click()
  await page.getByRole('navigation', { name: 'Sections' }).waitFor()
  return p
}

/** Go to a section of the web client by its address (as a bookmark would). */
async function go (p, world, hash) {
  await p.page.evaluate((h) => { location.hash = h }, hash)
}

/** a asks b to be friends in the Friends page; b accepts in theirs. */
async function befriendInUi (world, a, b) {
  await go(a, world, '#/friends')
  await a.page.getByLabel('Their username').fill(b.username)
  await a.page.getByRole('button', { name: 'Send request' }).click()
  await a.page.getByText('waiting').waitFor()
  await go(b, world, '#/friends')
  const row = b.page.getByRole('listitem').filter({ hasText: a.username })
  await row.getByRole('button', { name: 'Accept' }).click()
  await b.page.getByRole('listitem').filter({ hasText: a.username }).getByRole('button', { name: 'Message' }).waitFor()
}

/** p opens the direct conversation with friend from the Friends page. */
async function openChatWith (world, p, friend) {
  await go(p, world, '#/friends')
  await p.page.getByRole('listitem').filter({ hasText: friend.username }).getByRole('button', { name: 'Message' }).click()
  await p.page.getByLabel('Message', { exact: true }).waitFor()
}

async function send (p, text) {
  await p.page.getByLabel('Message', { exact: true }).fill(text)
  await p.page.getByRole('button', { name: 'Send' }).click()
  await p.page.locator('.msg.mine .bubble', { hasText: text }).waitFor()
}

async function sees (p, text, what) {
  try {
    await p.page.locator('.msg .bubble', { hasText: text }).waitFor({ timeout: 20_000 })
  } catch {
    throw new Error(`${p.username} does not see “${text}” (${what})${p.errors.length ? ': page errors ' + p.errors.join('; ') : ''}`)
  }
}

/** p opens the conversation named name in the sidebar (going back to the list first on a phone). */
async function openFromSidebar (world, p, name) {
  await go(p, world, '#/')
  await p.page.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: new RegExp(name) }).click()
  await p.page.getByLabel('Message', { exact: true }).waitFor()
}

/** A person on the C CLI, with a home of their own. */
function cliPerson (world, prefix) {
  const home = mkdtempSync(join(tmpdir(), 'postern-browser-cli-'))
  const p = { username: randName(prefix), password: 'pw-' + randomBytes(8).toString('hex'), home }
  p.run = (args, input) => new Promise((resolve, reject) => {
    const c = execFile(CLI, ['--server', world.base, '--home', home, ...args],
      { env: { ...process.env, POSTERN_PASSWORD: p.password }, timeout: 60_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`postern ${args.join(' ')}: ${stderr.slice(0, 300) || err.message}`))
        else resolve(stdout)
      })
    if (input !== undefined) c.stdin.end(input)
  })
  return p
}


/** A free port on 127.0.0.1 (bound, read, closed). */
function freePort () {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)) })
  })
}

/**
 * The Tunes example (examples/partner-web): built, registered with the server as a public client whose redirect
 * URI is its /cb, and served by its own server.mjs on a free port. Returns { origin, clientId, stop() }.
 */
async function startTunes (w) {
  execFileSync('sh', [join(ROOT, 'examples/partner-web/build.sh')], { stdio: 'ignore', timeout: 120_000 })
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const out = execFileSync(BIN, ['app', 'create', '--data-dir', w.dataDir, '--public', '--name', 'Tunes',
    '--redirect-uri', `${origin}/cb`, '--scopes', 'friends:read messages:send messages:read messages:delete'],
  { encoding: 'utf8', timeout: 15_000 })
  const clientId = out.match(/^client_id:\s*(\S+)/m)[1]
  const proc = spawn(process.execPath, [...process.execArgv, join(ROOT, 'examples/partner-web/server.mjs'), '--port', String(port),
    '--client-id', clientId, '--postern', w.base], { stdio: ['ignore', 'pipe', 'pipe'] })
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the Tunes server did not start')), 10_000)
    const poll = () => fetch(origin + '/').then(() => { clearTimeout(timer); resolve() }, () => setTimeout(poll, 100))
    poll()
  })
  return { origin, clientId, stop: () => proc.kill('SIGKILL') }
}

/** Let pages of ctx reach origin too (the tier's contexts reach only the Postern server). */
async function allowOrigin (ctx, origin) {
  await ctx.route((u) => u.href.startsWith(origin + '/') || u.href === origin, (route) => route.continue())
}

/** Every file under dir (the server's database and its WAL included). */
function filesUnder (dir) {
  const out = []
  for (const n of readdirSync(dir)) {
    const f = join(dir, n)
    if (statSync(f).isDirectory()) out.push(...filesUnder(f))
    else out.push(f)
  }
  return out
}

/** fn(...), and on failure a screenshot of every page of the test's contexts under SCREEN_DIR/failed-NAME-N.png. */
function shotsOnFailure (name, fn) {
  return async (w, t) => {
    const contexts = []
    const tt = { async context () { const c = await t.context(); contexts.push(c); return c } }
    try {
      await fn(w, tt)
    } catch (e) {
      mkdirSync(SCREEN_DIR, { recursive: true })
      let i = 0
      for (const c of contexts) for (const p of c.pages()) await p.screenshot({ path: join(SCREEN_DIR, `failed-${name}-${i++}.png`) }).catch(() => {})
      throw e
    }
  }
}

export function addWebClientTests (TESTS) {
  const push = TESTS.push.bind(TESTS)
  TESTS = { push: ([name, fn, ms]) => push([name, shotsOnFailure(name, fn), ms]) }
  TESTS.push(['web.two_people_talk_live_and_a_third_joins_a_group', async (w, t) => {
    const alice = await person(t, w, 'alice', 1280)
    const bob = await person(t, w, 'bob', 390)
    await befriendInUi(w, alice, bob)
    await openChatWith(w, alice, bob)
    await openFromSidebar(w, bob, alice.username).catch(async () => openChatWith(w, bob, alice))
    await send(alice, 'hello bob, from the web')
    await sees(bob, 'hello bob, from the web', 'live, with the conversation open')
    await send(bob, 'hi alice!')
    await sees(alice, 'hi alice!', 'live')
    // a third person joins: alice makes a group with bob and carol
    const carol = await person(t, w, 'carol', 1280)
    await befriendInUi(w, alice, carol)
    await go(alice, w, '#/new-group')
    await alice.page.getByRole('checkbox', { name: bob.username }).check()
    await alice.page.getByRole('checkbox', { name: carol.username }).check()
    await alice.page.getByRole('button', { name: 'Create group' }).click()
    await alice.page.getByLabel('Message', { exact: true }).waitFor()
    await send(alice, 'welcome to the group')
    await openFromSidebar(w, carol, alice.username)
    await sees(carol, 'welcome to the group', 'in the new group')
    await openFromSidebar(w, bob, carol.username)
    await sees(bob, 'welcome to the group', 'in the new group')
    await send(carol, 'glad to be here')
    await sees(alice, 'glad to be here', 'a group message from carol')
    await sees(bob, 'glad to be here', 'a group message from carol')
    for (const p of [alice, bob, carol]) check(p.errors.length === 0, `${p.username}'s page threw: ${p.errors.join('; ')}`)
  }, 180_000])

  TESTS.push(['web.canary_never_reaches_the_servers_files', async (w, t) => {
    const canary = 'canary-' + randomBytes(12).toString('hex')
    const a = await person(t, w, 'cana', 1280)
    const b = await person(t, w, 'canb', 1280)
    await befriendInUi(w, a, b)
    await openChatWith(w, a, b)
    await send(a, `the secret is ${canary}`)
    await openFromSidebar(w, b, a.username)
    await sees(b, canary, 'the canary, decrypted in the browser')
    const needles = [Buffer.from(canary), Buffer.from(canary, 'utf16le'), Buffer.from(Buffer.from(canary).toString('base64url').slice(0, 16))]
    for (const f of filesUnder(w.dataDir)) {
      const bytes = readFileSync(f)
      for (const n of needles) check(!bytes.includes(n), `the canary is in ${f}`)
    }
  }, 180_000])

  TESTS.push(['web.cli_and_browser_talk_in_direct_and_group_threads_across_rotation', async (w, t) => {
    const web = await person(t, w, 'webby', 1280)
    const cli = cliPerson(w, 'clio')
    const cli2 = cliPerson(w, 'clia')
    for (const c of [cli, cli2]) await c.run(['register', c.username])
    await cli.run(['friends', 'add', web.username])
    await go(web, w, '#/friends')
    await web.page.getByRole('listitem').filter({ hasText: cli.username }).getByRole('button', { name: 'Accept' }).click()
    await openChatWith(w, web, { username: cli.username })
    await send(web, 'browser to terminal')
    const out = await cli.run(['read', web.username])
    check(out.includes('browser to terminal'), `the CLI reads: ${out.slice(0, 400)}`)
    await cli.run(['send', web.username, 'terminal to browser'])
    await sees(web, 'terminal to browser', 'from the CLI, live')
    // a group of three, then a fourth added: the browser's sending session rotates to cover the new member,
    // who reads what comes after and not what came before
    const cli3 = cliPerson(w, 'clib')
    await cli3.run(['register', cli3.username])
    for (const c of [cli2, cli3]) await c.run(['friends', 'add', web.username])
    await go(web, w, '#/friends')
    for (const c of [cli2, cli3]) {
      await web.page.getByRole('listitem').filter({ hasText: c.username }).getByRole('button', { name: 'Accept' }).click()
      await web.page.getByRole('listitem').filter({ hasText: c.username }).getByRole('button', { name: 'Message' }).waitFor()
    }
    await go(web, w, '#/new-group')
    await web.page.getByRole('checkbox', { name: cli.username }).check()
    await web.page.getByRole('checkbox', { name: cli2.username }).check()
    await web.page.getByRole('button', { name: 'Create group' }).click()
    await web.page.getByLabel('Message', { exact: true }).waitFor()
    await send(web, 'group before rotation')
    const threadId = decodeURIComponent(web.page.url().split('#/t/')[1])
    const r0 = await cli2.run(['read', threadId])
    check(r0.includes('group before rotation'), `a CLI member of the group reads: ${r0.slice(0, 400)}`)
    await cli2.run(['send', threadId, 'from the terminal to the group'])
    await sees(web, 'from the terminal to the group', 'a CLI group message, live')
    await go(web, w, `#/settings/thread/${encodeURIComponent(threadId)}`)
    await web.page.getByLabel('Add a friend').selectOption({ label: cli3.username })
    await web.page.getByRole('button', { name: 'Add', exact: true }).click()
    await web.page.getByRole('status').filter({ hasText: 'Added' }).waitFor()
    await go(web, w, `#/t/${encodeURIComponent(threadId)}`)
    await send(web, 'group after rotation')
    const r1 = await cli.run(['read', threadId])
    check(r1.includes('group before rotation') && r1.includes('group after rotation'), `a first member reads: ${r1.slice(0, 500)}`)
    const r3 = await cli3.run(['read', threadId])
    check(r3.includes('group after rotation'), `the member added later reads: ${r3.slice(0, 500)}`)
    check(!r3.includes('group before rotation'), `the member added later reads what came before they joined: ${r3.slice(0, 500)}`)
    await cli3.run(['send', threadId, 'hello from the newest member'])
    await sees(web, 'hello from the newest member', 'from the CLI member added later')
  }, 180_000])

  TESTS.push(['web.protocol_vectors_pass_inside_chromium', async (w, t) => {
    // the protocol module as the web client bundles it (esbuild), with its self-test, run in a page
    const bundle = execFileSync('esbuild', [join(ROOT, 'web/src/proto/index.js'), '--bundle', '--format=iife',
      '--global-name=PosternSelftest', '--platform=browser', '--external:fs', '--external:path', '--external:crypto'],
    { encoding: 'utf8', maxBuffer: 64 << 20, cwd: join(ROOT, 'web') })
    const vectors = {
      proto: JSON.parse(readFileSync(join(ROOT, 'tests/vectors/proto_v2.json'), 'utf8')),
      merkle: JSON.parse(readFileSync(join(ROOT, 'tests/vectors/merkle.json'), 'utf8')),
    }
    // the same checks in Node first: chromium must run every one of them
    const P = await import(join(ROOT, 'web/src/proto/index.js'))
    await P.ready()
    const inNode = P.runVectors(vectors)
    check(inNode.failed === 0 && inNode.passed > 0, `the vectors in node: ${JSON.stringify(inNode).slice(0, 300)}`)
    const page = await (await t.context()).newPage()
    await page.goto(w.base + '/')
    const res = await page.evaluate(async ([src, v]) => {
      // CDP evaluation is not bound by the page's policy; the bundle is the same code the page runs
      (0, eval)(src)
      await globalThis.PosternSelftest.ready()
      return globalThis.PosternSelftest.runVectors(v)
    }, [bundle, vectors])
    check(res && res.passed === inNode.passed, `chromium ran ${res && res.passed} checks, node ${inNode.passed}`)
    check(res.failed === 0, `vectors failed in chromium: ${JSON.stringify(res.failures).slice(0, 600)}`)
  }, 180_000])

  TESTS.push(['web.partner_app_story_with_a_friend_on_the_web_client', async (w, t) => {
    const tunes = await startTunes(w)
    try {
      const alice = await person(t, w, 'alice', 1280)
      const bob = await person(t, w, 'bob', 1280)
      await befriendInUi(w, alice, bob)
      // alice signs in to Tunes with Postern (code + PKCE in the page, Postern's own sign-in and consent)
      await allowOrigin(alice.page.context(), tunes.origin)
      const app = await alice.page.context().newPage()
      app.on('dialog', (d) => d.accept())
      await app.goto(tunes.origin + '/')
      await app.getByRole('button', { name: 'Sign in with Postern' }).click()
      await app.waitForURL((u) => u.href.startsWith(w.base + '/oauth/authorize'))
      await logInThroughForm(app, alice)
      await app.getByRole('button', { name: /^allow\b/i }).click()
      await app.waitForURL((u) => u.href.startsWith(tunes.origin))
      // the app's device shows its code; alice approves it in the web client
      const code = (await app.locator('p.code').textContent({ timeout: 20_000 })).trim()
      check(code.length >= 6, `the app's approval code: ${code}`)
      await go(alice, w, '#/settings/apps')
      await alice.page.getByLabel('The app’s code').fill(code)
      await alice.page.getByRole('button', { name: 'Approve', exact: true }).click()
      await alice.page.getByRole('status').filter({ hasText: 'Approved' }).waitFor()
      await app.getByRole('button', { name: 'I approved it' }).click()
      // she picks bob on Postern's share page and shares a title with a note
      await app.getByRole('button', { name: 'Share' }).first().click()
      await app.getByRole('button', { name: 'Pick friends on Postern…' }).click()
      await app.waitForURL((u) => u.href.startsWith(w.base + '/oauth/share'))
      await app.getByRole('checkbox', { name: bob.username }).check()
      await app.getByRole('button', { name: /^(continue|share)\b/i }).click()
      await app.waitForURL((u) => u.href.startsWith(tunes.origin))
      await app.getByRole('button', { name: 'Share' }).first().click()
      await app.getByLabel('Your note (end-to-end encrypted)').fill('you will love this one')
      await app.getByRole('button', { name: 'Send' }).click()
      await app.getByText('you will love this one').first().waitFor({ timeout: 20_000 })
      // bob sees the share card labelled with the app, opens it (a click for the reports), allows Tunes, replies
      await go(bob, w, '#/')
      await bob.page.getByRole('list', { name: 'Conversations' }).getByRole('link').filter({ hasText: 'via Tunes' }).first().click()
      await bob.page.locator('.share', { hasText: 'you will love this one' }).waitFor({ timeout: 20_000 })
      await bob.page.getByRole('button', { name: /^Open in Tunes/ }).click()
      await bob.page.getByRole('button', { name: 'Opened' }).waitFor()
      await bob.page.getByRole('button', { name: 'Allow' }).click()
      await bob.page.getByText('can now read this conversation').waitFor()
      await send(bob, 'thanks alice, playing it now')
      // the reply appears live in Tunes, decrypted there
      await app.getByText('thanks alice, playing it now').waitFor({ timeout: 20_000 })
      await screenshot(app, 'tunes-share-and-reply')
      await screenshot(bob.page, 'web-share-card')
      await bob.page.setViewportSize({ width: 1280, height: 800 })
      // alice deletes the share from Tunes; it is gone for bob too
      await app.getByRole('button', { name: 'Delete this share' }).first().click()
      await app.getByText('Deleted').first().waitFor({ timeout: 20_000 })
      await bob.page.reload()
      await bob.page.getByLabel('Password').fill(bob.password)
      await bob.page.getByRole('button', { name: 'Unlock' }).click()
      await openFromSidebar(w, bob, 'alice')
      await bob.page.getByText('This message was deleted.').waitFor({ timeout: 20_000 })
      // and alice's access log in the web client names what Tunes did
      await go(alice, w, '#/settings/access-log')
      await alice.page.getByText('Shared something for you').first().waitFor()
      for (const p of [alice, bob]) check(p.errors.length === 0, `${p.username}'s page threw: ${p.errors.join('; ')}`)
    } finally {
      tunes.stop()
    }
  }, 240_000])

  TESTS.push(['web.second_browser_is_approved_by_code_and_reads', async (w, t) => {
    const a = await person(t, w, 'two', 1280)
    const friend = await person(t, w, 'twof', 1280)
    await befriendInUi(w, a, friend)
    await openChatWith(w, friend, a)
    await send(friend, 'before the second browser')
    // the same person signs in on another browser: a new device, which shows an approval code
    const ctx = await t.context()
    const page2 = await ctx.newPage()
    await page2.goto(w.base + '/#/login')
    await page2.getByLabel('Username').fill(a.username)
    await page2.getByLabel('Password').fill(a.password)
    await page2.getByRole('button', { name: 'Sign in' }).click()
    const code = (await page2.getByTestId('approval-code').textContent({ timeout: 20_000 })).trim()
    await go(a, w, '#/settings/devices')
    await a.page.getByLabel('Approval code').fill(code)
    await a.page.getByRole('button', { name: 'Approve', exact: true }).click()
    await a.page.getByRole('status').filter({ hasText: 'Device approved' }).waitFor()
    await page2.getByRole('navigation', { name: 'Sections' }).waitFor({ timeout: 30_000 })
    // the second browser reads what is sent from now on, and can write
    await send(friend, 'after the second browser')
    const p2 = { page: page2, errors: [], username: a.username }
    await openFromSidebar(w, p2, friend.username)
    await sees(p2, 'after the second browser', 'on the newly approved browser')
    await send(p2, 'hello from my second browser')
    await sees(friend, 'hello from my second browser', 'sent by the second browser')
  }, 180_000])

  TESTS.push(['web.a_changed_identity_is_shown_and_must_be_looked_at', async (w, t) => {
    const web = await person(t, w, 'idw', 1280)
    const cli = cliPerson(w, 'idc')
    await cli.run(['register', cli.username])
    await cli.run(['friends', 'add', web.username])
    await go(web, w, '#/friends')
    await web.page.getByRole('listitem').filter({ hasText: cli.username }).getByRole('button', { name: 'Accept' }).click()
    await openChatWith(w, web, { username: cli.username })
    await send(web, 'before the reset')
    // the other person loses everything and resets their identity: a new key the browser never saw
    await cli.run(['identity', 'reset', '--yes'])
    await go(web, w, '#/')
    await openFromSidebar(w, web, cli.username)
    await web.page.getByRole('alert').filter({ hasText: 'safety number changed' }).waitFor({ timeout: 20_000 })
    await web.page.getByRole('link', { name: 'Review safety number' }).click()
    await web.page.getByRole('alert').filter({ hasText: 'identity key changed' }).waitFor()
    await screenshot(web.page, 'web-identity-changed')
    await web.page.getByRole('button', { name: 'Accept the new number' }).click()
    await web.page.getByRole('button', { name: 'Accept the new number' }).waitFor({ state: 'detached' })
    check(!(await web.page.getByRole('alert').filter({ hasText: 'identity key changed' }).count()), 'the warning stays after accepting')
  }, 180_000])

  TESTS.push(['web.history_paging_keyboard_send_delete_and_leave', async (w, t) => {
    const web = await person(t, w, 'hist', 1280)
    const cli = cliPerson(w, 'histc')
    const cli2 = cliPerson(w, 'histd')
    for (const c of [cli, cli2]) {
      await c.run(['register', c.username])
      await c.run(['friends', 'add', web.username])
    }
    await go(web, w, '#/friends')
    for (const c of [cli, cli2]) {
      await web.page.getByRole('listitem').filter({ hasText: c.username }).getByRole('button', { name: 'Accept' }).click()
      await web.page.getByRole('listitem').filter({ hasText: c.username }).getByRole('button', { name: 'Message' }).waitFor()
    }
    // more than a page of history: the oldest come on request
    for (let i = 1; i <= 45; i++) await cli.run(['send', web.username, `history ${i}`])
    await openChatWith(w, web, { username: cli.username })
    await sees(web, 'history 45', 'the newest message')
    check(!(await web.page.locator('.msg .bubble', { hasText: /^history 1$/ }).count()), 'the first page already holds the oldest message')
    await web.page.getByRole('button', { name: 'Show earlier messages' }).click()
    await web.page.locator('.msg .bubble', { hasText: /^history 1$/ }).waitFor()
    // the keyboard alone: Enter sends, Shift+Enter is a new line
    const box = web.page.getByLabel('Message', { exact: true })
    await box.focus()
    await web.page.keyboard.type('typed line one')
    await web.page.keyboard.press('Shift+Enter')
    await web.page.keyboard.type('and line two')
    await web.page.keyboard.press('Enter')
    await web.page.locator('.msg.mine .bubble', { hasText: 'typed line one\nand line two' }).waitFor()
    check((await box.inputValue()) === '', 'the compose box is empty after sending')
    // deleting one's own message, after saying yes
    const mine = web.page.locator('.msg.mine', { hasText: 'typed line one' })
    await mine.getByRole('button', { name: 'Delete this message' }).click()
    await web.page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click()
    await web.page.locator('.msg.mine .bubble', { hasText: 'This message was deleted.' }).waitFor()
    const readBack = await cli.run(['read', web.username, '--limit', '5'])
    check(!readBack.includes('typed line one'), `the CLI still reads the deleted message: ${readBack.slice(0, 400)}`)
    // a group, then leaving it
    await go(web, w, '#/new-group')
    await web.page.getByRole('checkbox', { name: cli.username }).check()
    await web.page.getByRole('checkbox', { name: cli2.username }).check()
    await web.page.getByRole('button', { name: 'Create group' }).click()
    await web.page.getByLabel('Message', { exact: true }).waitFor()
    await send(web, 'hello group, leaving soon')
    const threadId = decodeURIComponent(web.page.url().split('#/t/')[1])
    await go(web, w, `#/settings/thread/${encodeURIComponent(threadId)}`)
    await web.page.getByRole('button', { name: 'Leave group' }).click()
    await web.page.getByRole('dialog').getByRole('button', { name: 'Leave' }).click()
    await web.page.waitForFunction(() => location.hash === '#/')
    await cli.run(['send', threadId, 'after web left'])
    const after = await cli2.run(['read', threadId])
    check(after.includes('after web left'), `the group goes on without the browser: ${after.slice(0, 300)}`)
  }, 240_000])

  const SCREENS = [
    ['inbox', '#/'], ['thread', null], ['friends', '#/friends'], ['new-group', '#/new-group'],
    ['devices', '#/settings/devices'], ['sessions', '#/settings/sessions'], ['connected-apps', '#/settings/apps'],
    ['access-log', '#/settings/access-log'], ['security', '#/settings/security'], ['safety-number', null],
  ]
  TESTS.push(['web.every_screen_at_phone_and_desktop_no_sideways_no_serious_axe', async (w, t) => {
    const a = await person(t, w, 'look', 1280)
    const b = await person(t, w, 'lookb', 1280)
    await befriendInUi(w, a, b)
    await openChatWith(w, a, b)
    await send(a, 'a message long enough to wrap on a phone screen, with a very-long-word-without-any-breaks-at-all-in-it-to-test-wrapping')
    const thread = a.page.url().split('#')[1]
    const problems = []
    for (const [name, hash] of SCREENS) {
      const h = hash || (name === 'thread' ? '#' + thread : `#/contact/${encodeURIComponent(await userIdOf(a, b))}`)
      await go(a, w, h)
      await a.page.waitForLoadState('networkidle').catch(() => {})
      await a.page.waitForTimeout(300)
      await screenshot(a.page, `web-${name}`)
      try { await noSideways(a.page) } catch (e) { problems.push(`${name}: ${e.message}`) }
      try {
        for (const v of await axe(a.page)) console.log(`# web-${name}: axe (not failing): ${v}`)
      } catch (e) { problems.push(`${name}: ${e.message}`) }
    }
    // the sign-in screens, signed out
    const page = await (await t.context()).newPage()
    for (const [name, hash] of [['sign-in', '#/login'], ['sign-up', '#/register']]) {
      await page.goto(w.base + '/' + hash)
      await page.getByRole('heading', { level: 1 }).waitFor()
      await screenshot(page, `web-${name}`)
      try { await noSideways(page) } catch (e) { problems.push(`${name}: ${e.message}`) }
      try { await axe(page) } catch (e) { problems.push(`${name}: ${e.message}`) }
    }
    check(problems.length === 0, problems.join(' | '))
  }, 180_000])
}

async function userIdOf (a, b) {
  // the friend's user id, as the Friends page links it
  await a.page.evaluate(() => { location.hash = '#/friends' })
  const href = await a.page.getByRole('listitem').filter({ hasText: b.username }).getByRole('link', { name: 'Safety number' }).getAttribute('href')
  return decodeURIComponent(href.split('#/contact/')[1])
}
