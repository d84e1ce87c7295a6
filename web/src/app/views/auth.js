// auth.js — the screens before the messenger: sign in, create an account (with the recovery key shown once),
// a new device waiting for approval (or approved with the recovery key), and unlocking the keys this browser
// keeps encrypted under the password.
import { h, mount } from '../dom.js';
import * as engine from '../engine.js';

function field(id, label, attrs) {
  return [h('label', { for: id }, label), h('input', { id, name: id, ...attrs })];
}

function errorBox() {
  return h('p', { class: 'notice error', role: 'alert', hidden: true });
}

function showError(box, e) {
  box.hidden = false;
  box.textContent = e && e.message ? e.message : String(e);
}

/** The sign-in / sign-up screen; onDone() once this device can read and write. */
export function authScreen({ mode, onDone }) {
  const root = h('div', { class: 'auth' });
  const server = location.host;
  const render = (m) => mount(root, m === 'register' ? registerForm() : loginForm());

  function loginForm() {
    const err = errorBox();
    const form = h('form', { class: 'card stack', 'aria-labelledby': 'auth-title' },
      h('h1', { id: 'auth-title' }, 'Sign in'),
      h('p', { class: 'muted small' }, `to Postern on ${server}`),
      field('username', 'Username', { type: 'text', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' }),
      field('password', 'Password', { type: 'password', autocomplete: 'current-password', required: true }),
      err,
      h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary grow' }, 'Sign in')),
      h('p', { class: 'small' }, 'New here? ', h('a', { href: '#/register', onclick: (e) => { e.preventDefault(); history.replaceState(null, '', '#/register'); render('register'); } }, 'Create an account')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const btn = form.querySelector('button[type=submit]');
      btn.disabled = true;
      err.hidden = true;
      try {
        const r = await engine.login(form.username.value.trim(), form.password.value, deviceName());
        if (r.approvalCode) mount(root, approvalScreen(r.approvalCode, onDone));
        else onDone();
      } catch (ex) {
        showError(err, ex);
        btn.disabled = false;
      }
    });
    setTimeout(() => form.username.focus(), 0);
    return [h('div', { class: 'brand' }, 'Postern'), form];
  }

  function registerForm() {
    const err = errorBox();
    const form = h('form', { class: 'card stack', 'aria-labelledby': 'auth-title' },
      h('h1', { id: 'auth-title' }, 'Create your account'),
      h('p', { class: 'muted small' }, `on ${server}. Messages are end-to-end encrypted: this server cannot read them.`),
      field('username', 'Username', { type: 'text', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false', 'aria-describedby': 'username-help' }),
      h('p', { id: 'username-help', class: 'muted small' }, 'Friends find you by it: 3–32 letters, digits, dots, dashes or underscores.'),
      field('password', 'Password', { type: 'password', autocomplete: 'new-password', required: true, minlength: 8, 'aria-describedby': 'password-help' }),
      h('p', { id: 'password-help', class: 'muted small' }, 'At least 8 characters. It also locks your keys in this browser.'),
      field('password2', 'Password again', { type: 'password', autocomplete: 'new-password', required: true }),
      err,
      h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary grow' }, 'Create account')),
      h('p', { class: 'small' }, 'Already have an account? ', h('a', { href: '#/login', onclick: (e) => { e.preventDefault(); history.replaceState(null, '', '#/login'); render('login'); } }, 'Sign in')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      err.hidden = true;
      if (form.password.value !== form.password2.value) {
        showError(err, 'The two passwords differ.');
        form.password2.focus();
        return;
      }
      const btn = form.querySelector('button[type=submit]');
      btn.disabled = true;
      btn.textContent = 'Creating your keys…';
      try {
        const r = await engine.register(form.username.value.trim(), form.password.value, deviceName());
        mount(root, recoveryScreen(r.recoveryKey, onDone));
      } catch (ex) {
        showError(err, ex);
        btn.disabled = false;
        btn.textContent = 'Create account';
      }
    });
    setTimeout(() => form.username.focus(), 0);
    return [h('div', { class: 'brand' }, 'Postern'), form];
  }

  render(mode);
  return root;
}

function deviceName() {
  const ua = navigator.userAgent;
  const browser = /Firefox\//.test(ua) ? 'Firefox' : /Edg\//.test(ua) ? 'Edge' : /Chrom(e|ium)\//.test(ua) ? 'Chromium' : /Safari\//.test(ua) ? 'Safari' : 'a browser';
  return `Web (${browser})`;
}

/** The recovery key, shown once, with what it is for; the person confirms having kept it. */
function recoveryScreen(key, onDone) {
  const ok = h('input', { type: 'checkbox', id: 'kept' });
  const go = h('button', { type: 'button', class: 'primary', disabled: true, onclick: onDone }, 'Continue');
  ok.addEventListener('change', () => { go.disabled = !ok.checked; });
  const card = h('section', { class: 'card stack', 'aria-labelledby': 'rk-title' },
    h('h1', { id: 'rk-title', tabindex: '-1' }, 'Your recovery key'),
    h('p', null, 'Write it down and keep it somewhere safe, away from this computer. It is shown this once.'),
    h('p', { class: 'recovery', 'data-testid': 'recovery-key' }, key),
    h('p', { class: 'muted small' }, 'If you lose every device you are signed in on, it is the only way to add a new one and keep your identity. Without it you must reset your identity, and everyone you talk to is told it changed.'),
    h('div', { class: 'row' }, ok, h('label', { for: 'kept' }, 'I have kept my recovery key')),
    h('div', { class: 'row end' }, go));
  setTimeout(() => card.querySelector('h1').focus(), 0);
  return h('div', null, h('div', { class: 'brand' }, 'Postern'), card);
}

/** A new device: approve it from another one with the code, or with the recovery key. */
function approvalScreen(code, onDone) {
  const err = errorBox();
  const status = h('p', { role: 'status', class: 'muted small' }, 'Waiting for approval…');
  const controller = new AbortController();
  engine.waitApproval(controller.signal).then(() => onDone(), (e) => { if (!controller.signal.aborted) showError(err, e); });
  const form = h('form', { class: 'stack' },
    field('recovery', 'Or enter your recovery key', { type: 'text', autocomplete: 'off', spellcheck: 'false' }),
    h('div', { class: 'row end' }, h('button', { type: 'submit' }, 'Use recovery key')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.hidden = true;
    try {
      await engine.recover(form.recovery.value.trim());
      controller.abort();
      onDone();
    } catch (ex) {
      showError(err, ex);
    }
  });
  return h('div', null, h('div', { class: 'brand' }, 'Postern'),
    h('section', { class: 'card stack', 'aria-labelledby': 'ap-title' },
      h('h1', { id: 'ap-title' }, 'Approve this browser'),
      h('p', null, 'This is a new device for your account. On a device you are already signed in on, approve it with this code (in the web client: Settings → Devices → Approve; in the terminal: postern devices approve CODE):'),
      h('p', { class: 'recovery', 'data-testid': 'approval-code' }, code),
      h('p', { class: 'muted small' }, 'Check that the code matches on both screens. Until it is approved, this browser cannot read or send.'),
      status, form, err));
}

/** Keys are kept in this browser encrypted under the password: ask for it again after a reload. */
export function unlockScreen({ username, onDone, onForget }) {
  const err = errorBox();
  const form = h('form', { class: 'card stack', 'aria-labelledby': 'ul-title' },
    h('h1', { id: 'ul-title' }, 'Unlock Postern'),
    h('p', { class: 'muted small' }, `Your keys for ${username} are kept in this browser, encrypted under your password.`),
    h('input', { type: 'text', name: 'username', autocomplete: 'username', value: username, hidden: true, readonly: true }),
    field('password', 'Password', { type: 'password', autocomplete: 'current-password', required: true }),
    err,
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary grow' }, 'Unlock')),
    h('p', { class: 'small' }, h('button', { type: 'button', class: 'link', onclick: async () => { await engine.forgetBrowser(); onForget(); } }, 'Sign in as someone else (forgets this browser’s keys)')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.hidden = true;
    try {
      await engine.unlock(form.password.value);
      onDone();
    } catch (ex) {
      showError(err, ex);
    }
  });
  setTimeout(() => form.password.focus(), 0);
  return h('div', { class: 'auth' }, h('div', { class: 'brand' }, 'Postern'), form);
}
