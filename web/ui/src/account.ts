// Account pages: registering with an official email, the links mailed
// for confirming and resetting, setting up the second factor, the own
// account (password, second factor, app passwords for TAK devices,
// devices), and the administrators' account list. No page here shows chat
// content.

import { Api, ApiError } from './api';
import { h } from './dom';
import { errorText, t } from './i18n';

export interface Pages {
  api: Api;
  app: HTMLElement;
  header: (title: string) => HTMLElement;
  route: () => void;
  alertError: (err: unknown) => void;
}

function errText(e: unknown): string { return e instanceof ApiError ? errorText(e.code) : t('err_network'); }

function form(title: string, onsubmit: (e: Event) => void, ...kids: (Node | string | null)[]): HTMLElement {
  return h('form', { class: 'login', onsubmit: (e: Event) => { e.preventDefault(); onsubmit(e); } }, h('h2', { text: title }), ...kids);
}

function input(id: string, type: string, label: string, attrs: Record<string, any> = {}): [HTMLLabelElement, HTMLInputElement] {
  return [h('label', { for: id, text: label }) as HTMLLabelElement, h('input', { id, type, required: true, ...attrs }) as HTMLInputElement];
}

// showRegister: name, official email, password; the answer is always
// "mail sent" (who has an account stays unknown).
export function showRegister(p: Pages) {
  const msg = h('p', { role: 'status', id: 'register-status' });
  const [ln, name] = input('reg-name', 'text', t('name'), { autocomplete: 'name', maxlength: 200 });
  const [le, email] = input('reg-email', 'email', t('email'), { autocomplete: 'email' });
  const [lp, pw] = input('reg-password', 'password', t('passwordNew'), { autocomplete: 'new-password', minlength: 10 });
  p.app.replaceChildren(p.header(t('register')), form(t('register'), async () => {
    try {
      await p.api.req('POST', '/api/v1/auth/register', { name: name.value, email: email.value, password: pw.value });
      msg.textContent = t('registerSent');
      (window as any).ez.registered = true;
    } catch (e) { msg.textContent = errText(e); }
  }, ln, name, le, email, lp, pw, h('button', { type: 'submit', id: 'register-send' }, t('register')), msg,
  h('p', {}, h('a', { href: '#', text: t('backToLogin') }))));
  name.focus();
}

// showForgot asks for the email a reset link goes to.
export function showForgot(p: Pages) {
  const msg = h('p', { role: 'status', id: 'forgot-status' });
  const [le, email] = input('forgot-email', 'email', t('email'), { autocomplete: 'email' });
  p.app.replaceChildren(p.header(t('forgotPassword')), form(t('forgotPassword'), async () => {
    try { await p.api.req('POST', '/api/v1/auth/reset', { email: email.value }); msg.textContent = t('resetSent'); } catch (e) { msg.textContent = errText(e); }
  }, le, email, h('button', { type: 'submit', id: 'forgot-send' }, t('send')), msg, h('p', {}, h('a', { href: '#', text: t('backToLogin') }))));
  email.focus();
}

// showConfirm follows a confirmation link.
export async function showConfirm(p: Pages, token: string) {
  const msg = h('p', { role: 'status', id: 'confirm-status' });
  p.app.replaceChildren(p.header(t('title')), h('div', { class: 'login' }, msg, h('p', {}, h('a', { href: '#', id: 'to-login', text: t('backToLogin') }))));
  try {
    await p.api.req('POST', '/api/v1/auth/confirm', { token });
    msg.textContent = t('confirmed');
    (window as any).ez.confirmed = true;
  } catch (e) { msg.textContent = errText(e); }
}

// showReset sets a new password with a reset link.
export function showReset(p: Pages, token: string) {
  const msg = h('p', { role: 'status', id: 'reset-status' });
  const [lp, pw] = input('reset-password', 'password', t('passwordNew'), { autocomplete: 'new-password', minlength: 10 });
  p.app.replaceChildren(p.header(t('title')), form(t('resetPassword'), async () => {
    try {
      await p.api.req('POST', '/api/v1/auth/reset/confirm', { token, password: pw.value });
      msg.textContent = t('passwordSet');
    } catch (e) { msg.textContent = errText(e); }
  }, lp, pw, h('button', { type: 'submit', id: 'reset-send' }, t('save')), msg, h('p', {}, h('a', { href: '#', text: t('backToLogin') }))));
  pw.focus();
}

// totpBox enrols the second factor: the QR code (and the secret for typing
// in), a first code, then the recovery codes, shown once.
export function totpBox(p: Pages, done: () => void): HTMLElement {
  const box = h('section', { class: 'totp', id: 'totp-box' });
  const start = h('button', { id: 'totp-start', onclick: async () => {
    let e: any;
    try { e = await p.api.req('POST', '/api/v1/me/totp'); } catch (err) { p.alertError(err); return; }
    const [lc, code] = input('totp-code', 'text', t('totpCode'), { inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: 6 });
    const msg = h('p', { role: 'alert' });
    box.replaceChildren(h('p', { text: t('totpScan') }), h('img', { src: e.qr, alt: e.uri, width: 240, height: 240, id: 'totp-qr' }),
      h('p', {}, `${t('totpSecret')}: `, h('code', { id: 'totp-secret', text: e.secret })),
      form(t('totpConfirm'), async () => {
        try {
          const r = await p.api.req('POST', '/api/v1/me/totp/confirm', { code: code.value });
          box.replaceChildren(h('p', { text: t('recoveryCodes') }), h('ol', { id: 'recovery-codes' }, ...r.recovery_codes.map((c: string) => h('li', {}, h('code', { text: c })))),
            h('button', { id: 'totp-done', onclick: done }, t('continue')));
          (window as any).ez.totpEnrolled = true;
        } catch (err) { msg.textContent = errText(err); }
      }, lc, code, h('button', { type: 'submit', id: 'totp-confirm' }, t('totpConfirm')), msg));
    (window as any).ez.totpSecret = e.secret;
    code.focus();
  } }, t('totpSetUp'));
  box.append(h('p', { text: t('totpWhy') }), start);
  return box;
}

// showTOTPRequired: a login whose role needs a second factor it has not
// set up opens only this page.
export function showTOTPRequired(p: Pages) {
  p.app.replaceChildren(p.header(t('totpSetUp')), h('div', { class: 'account' }, h('p', { text: t('totpRequired') }), totpBox(p, () => { location.hash = ''; p.route(); })));
}

// showAccount: password change, second factor, app passwords, devices.
export async function showAccount(p: Pages) {
  const me = await p.api.req('GET', '/api/v1/me');
  const [lc, current] = input('pw-current', 'password', t('passwordCurrent'), { autocomplete: 'current-password' });
  const [ln, next] = input('pw-new', 'password', t('passwordNew'), { autocomplete: 'new-password', minlength: 10 });
  const others = h('input', { type: 'checkbox', id: 'pw-others', checked: true }) as HTMLInputElement;
  const pwMsg = h('p', { role: 'status', id: 'pw-status' });
  const pwForm = me.source === 'ldap' ? h('p', { text: t('directoryPassword') }) : form(t('changePassword'), async () => {
    try {
      await p.api.req('POST', '/api/v1/me/password', { current: current.value, password: next.value, end_other_devices: others.checked });
      pwMsg.textContent = t('passwordSet');
      current.value = next.value = '';
      await listDevices();
    } catch (e) { pwMsg.textContent = errText(e); }
  }, lc, current, ln, next, h('label', {}, others, ' ', t('endOtherDevices')), h('button', { type: 'submit', id: 'pw-save' }, t('save')), pwMsg);

  const devices = h('ul', { class: 'devices', id: 'my-devices' });
  const listDevices = async () => {
    const ds = (await p.api.req('GET', '/api/v1/me/devices')).items;
    devices.replaceChildren(...ds.map((d: any) => h('li', { class: d.revoked_at ? 'revoked' : '' },
      `${d.name}${d.scope === 'tak' ? ' (TAK)' : ''} · ${new Date(d.last_seen_at).toLocaleString()}`,
      d.revoked_at ? ` · ${t('wiped')}` : h('button', { class: 'secondary', onclick: async () => {
        await p.api.req('DELETE', `/api/v1/me/devices/${d.id}`).catch(p.alertError); await listDevices();
      } }, t('wipe')))));
  };
  const rooms = (await p.api.req('GET', '/api/v1/rooms')).items;
  const appRoom = h('select', { id: 'app-room' }, ...rooms.map((r: any) => h('option', { value: r.id, text: r.name }))) as HTMLSelectElement;
  const [lapp, appName] = input('app-name', 'text', t('takDevice'), { maxlength: 80, placeholder: 'ATAK Pixel 8' });
  const appOut = h('p', { role: 'status', id: 'app-password' });
  const appForm = form(t('appPasswords'), async () => {
    try {
      const r = await p.api.req('POST', '/api/v1/me/app-passwords', { name: appName.value, room: appRoom.value });
      appOut.replaceChildren(`${t('appPasswordOnce')} `, h('code', { text: r.token }), ` · ${t('email')}: ${me.email}`);
      await listDevices();
    } catch (e) { appOut.textContent = errText(e); }
  }, h('p', { text: t('appPasswordHow') }), lapp, appName, h('label', { for: 'app-room', text: t('room') }), appRoom,
  h('button', { type: 'submit', id: 'app-create' }, t('create')), appOut);

  const page = h('div', { class: 'account' }, h('p', {}, h('strong', { text: me.name }), ` · ${me.email}`), pwForm,
    h('h2', { text: t('totp') }), totpBox(p, () => showAccount(p)), appForm, h('h2', { text: t('devices') }), devices,
    h('p', {}, h('a', { href: '#', text: t('back') })));
  p.app.replaceChildren(p.header(t('account')), page);
  await listDevices();
}

// showAdmin: find accounts, see their devices, disable (every device out
// at once) and enable them, reset a lost second factor.
export async function showAdmin(p: Pages) {
  const q = h('input', { type: 'search', id: 'admin-search', placeholder: t('searchUsers'), 'aria-label': t('searchUsers') }) as HTMLInputElement;
  const list = h('table', { class: 'admin-users', id: 'admin-users' });
  const load = async () => {
    const us = (await p.api.req('GET', `/api/v1/admin/users?q=${encodeURIComponent(q.value)}&limit=200`)).items;
    list.replaceChildren(h('tr', {}, ...[t('name'), t('email'), t('role'), t('state'), ''].map(x => h('th', { text: x }))),
      ...us.map((u: any) => {
        const devs = h('td', { class: 'admin-devices', colspan: 5 });
        const row = h('tr', { 'data-user': u.id, class: `state-${u.state}` },
          h('td', { text: `${u.name}${u.callsign ? ` (${u.callsign})` : ''}` }), h('td', { text: u.email }),
          h('td', { text: (u.roles || []).join(', ') }), h('td', { class: 'state', text: t(`state_${u.state}` as any) }),
          h('td', {},
            u.state === 'disabled'
              ? h('button', { class: 'secondary', 'data-action': 'enable', onclick: async () => { await p.api.req('POST', `/api/v1/admin/users/${u.id}/enable`).catch(p.alertError); await load(); } }, t('enable'))
              : h('button', { class: 'danger', 'data-action': 'disable', onclick: async () => { await p.api.req('POST', `/api/v1/admin/users/${u.id}/disable`).catch(p.alertError); await load(); } }, t('disable')),
            ' ', h('button', { class: 'secondary', 'data-action': 'devices', onclick: async () => {
              const ds = (await p.api.req('GET', `/api/v1/admin/users/${u.id}/devices`)).items;
              devs.replaceChildren(h('ul', {}, ...ds.map((d: any) => h('li', {}, `${d.name} · ${new Date(d.last_seen_at).toLocaleString()}${d.revoked_at ? ` · ${t('wiped')}` : ''}`,
                d.revoked_at ? null : h('button', { class: 'secondary', onclick: async () => { await p.api.req('DELETE', `/api/v1/admin/devices/${d.id}`).catch(p.alertError); row.querySelector<HTMLButtonElement>('[data-action=devices]')?.click(); } }, t('wipe'))))));
              if (!row.nextElementSibling?.classList.contains('devices-row')) row.after(h('tr', { class: 'devices-row' }, devs));
            } }, t('devices')),
            ' ', h('button', { class: 'secondary', onclick: async () => { await p.api.req('DELETE', `/api/v1/admin/users/${u.id}/totp`).catch(p.alertError); } }, t('resetTOTP'))));
        return row;
      }));
    (window as any).ez.adminUsers = us.length;
  };
  q.addEventListener('input', () => { load().catch(p.alertError); });
  p.app.replaceChildren(p.header(t('admin')), h('div', { class: 'account admin' }, q, list, h('p', {}, h('a', { href: '#', text: t('back') }))));
  await load();
}
