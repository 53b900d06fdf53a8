// Alarms on the screen: an open alarm takes over the top of the screen
// (who, where, since when), beeps and pulses on the map until someone
// takes it on; the tab title counts open alarms. The field view's
// emergency button raises one after the officer holds it down.

import { Api } from './api';
import { t } from './i18n';

export interface Alarm {
  id: string;
  room: string;
  user: string;
  kind: string;
  state: 'open' | 'cancelled';
  lat?: number;
  lon?: number;
  text?: string;
  acks: { user: string; at: string }[];
  created_at: string;
}

type Names = (user: string) => string;

// AlarmBoard shows a room's open alarms.
export class AlarmBoard {
  private alarms = new Map<string, Alarm>();
  private beeper: number | null = null;
  private audio: AudioContext | null = null;
  readonly el: HTMLElement;
  onChange: (open: Alarm[]) => void = () => {};
  onShow: (a: Alarm) => void = () => {};

  constructor(private api: Api, private me: () => string, private canCancel: (a: Alarm) => boolean, private names: Names) {
    this.el = document.createElement('section');
    this.el.className = 'alarm-board';
    this.el.setAttribute('role', 'alert');
    this.el.setAttribute('aria-live', 'assertive');
  }

  // set puts an alarm (new or changed) on the board, or takes it off when
  // it was cancelled.
  set(a: Alarm) {
    if (a.state !== 'open') this.alarms.delete(a.id);
    else this.alarms.set(a.id, a);
    this.render();
  }

  open(): Alarm[] { return [...this.alarms.values()]; }

  private render() {
    const open = this.open().sort((x, y) => x.created_at.localeCompare(y.created_at));
    this.el.replaceChildren(...open.map(a => this.card(a)));
    this.el.hidden = open.length === 0;
    const unacked = open.some(a => a.acks.length === 0);
    if (unacked && this.beeper === null) this.beeper = window.setInterval(() => this.beep(), 2000);
    if (!unacked && this.beeper !== null) { clearInterval(this.beeper); this.beeper = null; }
    if (unacked) this.beep();
    this.onChange(open);
  }

  private card(a: Alarm): HTMLElement {
    const since = new Date(a.created_at).toLocaleTimeString();
    const where = a.lat !== undefined && a.lon !== undefined ? `${a.lat.toFixed(5)}, ${a.lon.toFixed(5)}` : t('alarmNoPosition');
    const who = this.names(a.user);
    const card = document.createElement('div');
    card.className = `alarm ${a.acks.length ? 'acked' : 'unacked'}`;
    card.id = `alarm-${a.id}`;
    const title = document.createElement('strong');
    title.textContent = `${a.kind === 'officer_down' ? t('officerDown') : t('emergency')}: ${who}`;
    const info = document.createElement('span');
    info.textContent = ` · ${t('since')} ${since} · ${where}${a.text ? ` · ${a.text}` : ''}` +
      (a.acks.length ? ` · ${t('takenOnBy')} ${a.acks.map(k => this.names(k.user)).join(', ')}` : '');
    card.append(title, info);
    const button = (label: string, id: string, fn: () => void) => {
      const b = document.createElement('button');
      b.textContent = label;
      b.id = id;
      b.onclick = fn;
      card.append(' ', b);
    };
    if (a.lat !== undefined) button(t('showOnMap'), `alarm-show-${a.id}`, () => this.onShow(a));
    if (!a.acks.some(k => k.user === this.me())) button(t('takeOn'), `alarm-ack-${a.id}`, () => { this.api.req('POST', `/api/v1/alarms/${a.id}/ack`).then(x => this.set(x)).catch(() => {}); });
    if (this.canCancel(a)) button(t('cancelAlarm'), `alarm-cancel-${a.id}`, () => { this.api.req('POST', `/api/v1/alarms/${a.id}/cancel`).then(x => this.set(x)).catch(() => {}); });
    return card;
  }

  private beep() { this.audio = tone(this.audio, [880, 660]); }

  stop() {
    if (this.beeper !== null) clearInterval(this.beeper);
    this.audio?.close().catch(() => {});
  }
}

// holdButton makes a button that fires only after it was held down for ms
// (a pocket cannot press it by accident); a ring fills while it is held.
export function holdButton(label: string, ms: number, fire: () => void): HTMLButtonElement {
  const b = document.createElement('button');
  b.className = 'emergency';
  b.id = 'emergency';
  b.type = 'button';
  b.textContent = label;
  b.setAttribute('aria-label', `${label} (${t('holdToSend')})`);
  let timer: number | null = null;
  let downAt = 0;
  const cancel = () => { if (timer !== null) { clearTimeout(timer); timer = null; } b.classList.remove('holding'); };
  b.addEventListener('pointerdown', (e) => {
    e.preventDefault();
    downAt = e.timeStamp;
    b.classList.add('holding');
    timer = window.setTimeout(() => { timer = null; b.classList.remove('holding'); fire(); }, ms);
  });
  // A busy phone may run the timer late: a release after the full hold
  // still sends (the event's own time says how long it was held).
  b.addEventListener('pointerup', (e) => {
    const held = timer !== null && e.timeStamp - downAt >= ms;
    cancel();
    if (held) fire();
  });
  for (const ev of ['pointerleave', 'pointercancel']) b.addEventListener(ev, cancel);
  b.addEventListener('contextmenu', (e) => e.preventDefault());
  return b;
}

// tone plays short beeps of the given frequencies one after the other,
// made in the browser (nothing is loaded); it returns the audio context to
// reuse. Without audio it does nothing.
export function tone(audio: AudioContext | null, freqs: number[]): AudioContext | null {
  try {
    audio ??= new AudioContext();
    const now = audio.currentTime;
    for (const [i, f] of freqs.entries()) {
      const o = audio.createOscillator();
      const g = audio.createGain();
      o.frequency.value = f;
      g.gain.value = 0.15;
      o.connect(g).connect(audio.destination);
      o.start(now + i * 0.25);
      o.stop(now + i * 0.25 + 0.2);
    }
    return audio;
  } catch {
    return audio;
  }
}
