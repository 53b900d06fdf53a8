// Geofence crossings on the screen: each crossing of a geofenced drawing
// shows as a notice at the top of the map for a while, and stays in the
// room's geofence log (the latest 100, loaded when the room opens, newest
// first), from which the place can be shown on the map.

import { Api } from './api';
import { h } from './dom';
import { currentLang, t } from './i18n';

export interface Crossing {
  seq?: number;
  drawing: string;
  label: string;
  user: string;
  transition: 'enter' | 'leave';
  lat: number;
  lon: number;
  at: string;
}

type Names = (user: string) => string;

export class GeofenceLog {
  readonly el: HTMLDetailsElement;
  readonly notices = h('div', { class: 'fence-notices', 'aria-live': 'assertive', id: 'fence-notices' });
  private list = h('ol', { class: 'fence-log', id: 'fence-log' });
  private count = h('span', { class: 'count', text: '0' });
  private seen = new Set<string>();
  onShow: (c: Crossing) => void = () => {};

  constructor(private api: Api, private room: string, private names: Names) {
    this.el = h('details', { class: 'fences', id: 'fence-box' }, h('summary', {}, `${t('fenceLog')} (`, this.count, ')'), this.list) as HTMLDetailsElement;
  }

  // load puts the room's latest crossings into the log, oldest at the bottom.
  async load() {
    const r = await this.api.req('GET', `/api/v1/rooms/${this.room}/geofence-crossings?limit=100`);
    for (const c of [...r.items].reverse()) this.add(c, false);
  }

  // add logs a crossing once; live ones also show as a notice.
  add(c: Crossing, live: boolean) {
    const key = `${c.drawing}/${c.user}/${c.at}/${c.transition}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const text = this.describe(c);
    const item = h('li', { class: `fence-${c.transition}` },
      h('time', { datetime: c.at, text: new Date(c.at).toLocaleTimeString(currentLang() === 'de' ? 'de-DE' : 'en-GB') }), ' ', text, ' ',
      h('button', { class: 'link', onclick: () => this.onShow(c) }, t('showOnMap')));
    this.list.prepend(item);
    this.count.textContent = String(this.list.children.length);
    (window as any).ez.fenceLog = this.list.children.length;
    if (!live) return;
    const notice = h('div', { class: `fence-notice fence-${c.transition}`, role: 'status', onclick: () => { this.onShow(c); notice.remove(); } }, text);
    this.notices.prepend(notice);
    setTimeout(() => notice.remove(), 10000);
  }

  // describe says who crossed what: "Fuchs 14/21 betritt Absperrung Nord".
  describe(c: Crossing): string {
    return `${this.names(c.user)} ${c.transition === 'enter' ? t('fenceEntered') : t('fenceLeft')} ${c.label || t('geofence')}`;
  }
}
