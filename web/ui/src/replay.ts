// Track replay: command staff pick members and a time window inside the
// visible retention (7 days), load their tracks and play them with a time
// slider: each member's trail up to the slider's time and a dot where they
// were then. The window (with the room's POIs and drawings) can be
// exported as KML.

import * as maplibregl from './vendor/maplibre-gl.mjs';
import { Api } from './api';
import { h } from './dom';
import { currentLang, t } from './i18n';

interface Track { user: string; callsign: string; name: string; coords: [number, number][]; times: number[] }

const VISIBLE_MS = 7 * 24 * 3600 * 1000;

// localInput formats a time for <input type="datetime-local"> in local time.
function localInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 19);
}

export class TrackReplay {
  readonly el: HTMLDetailsElement;
  private who = h('fieldset', { class: 'replay-who' }, h('legend', { text: t('replayWho') }));
  private from = h('input', { type: 'datetime-local', step: 1, id: 'replay-from', 'aria-label': t('from') }) as HTMLInputElement;
  private to = h('input', { type: 'datetime-local', step: 1, id: 'replay-to', 'aria-label': t('to') }) as HTMLInputElement;
  private toNow = true; // "to" follows the clock until someone sets it
  private slider = h('input', { type: 'range', id: 'replay-slider', min: 0, max: 1000, value: 0, 'aria-label': t('replayTime'), disabled: true }) as HTMLInputElement;
  private clock = h('output', { id: 'replay-clock', text: '–' });
  private playBtn = h('button', { id: 'replay-play', disabled: true, onclick: () => this.toggle() }, t('play')) as HTMLButtonElement;
  private speed = h('select', { id: 'replay-speed', 'aria-label': t('replaySpeed') },
    ...[10, 60, 300, 1800].map(v => h('option', { value: v, text: `×${v}`, selected: v === 60 }))) as HTMLSelectElement;
  private status = h('span', { class: 'replay-status', id: 'replay-status' });
  private tracks: Track[] = [];
  private start = 0;
  private end = 0;
  private timer: number | null = null;

  constructor(private api: Api, private room: string, private map: () => maplibregl.Map, private onError: (e: unknown) => void) {
    const now = Date.now();
    this.from.value = localInput(now - 3600 * 1000);
    this.to.value = localInput(now);
    this.from.min = this.to.min = localInput(now - VISIBLE_MS);
    this.slider.addEventListener('input', () => this.show(this.timeAt()));
    this.to.addEventListener('input', () => { this.toNow = false; });
    this.el = h('details', { class: 'replay', id: 'replay-box' }, h('summary', { text: t('replay') }),
      this.who,
      h('div', { class: 'replay-window' }, h('label', { for: 'replay-from', text: t('from') }), this.from, h('label', { for: 'replay-to', text: t('to') }), this.to),
      h('div', {}, h('button', { id: 'replay-load', onclick: () => this.load() }, t('replayLoad')), ' ',
        h('button', { class: 'secondary', id: 'replay-kml', onclick: () => this.exportKML() }, t('exportKML')), ' ', this.status),
      h('div', { class: 'replay-controls' }, this.playBtn, this.slider, this.speed, this.clock)) as HTMLDetailsElement;
  }

  // setMembers lists the room's members to pick from (all picked at first).
  setMembers(members: { user: { id: string; name: string; callsign?: string } }[]) {
    const picked = new Set([...this.who.querySelectorAll<HTMLInputElement>('input:checked')].map(i => i.value));
    const first = this.who.querySelectorAll('input').length === 0;
    this.who.replaceChildren(h('legend', { text: t('replayWho') }), ...members.map(m => h('label', {},
      h('input', { type: 'checkbox', value: m.user.id, checked: first || picked.has(m.user.id), class: 'replay-member' }), ' ', m.user.callsign || m.user.name)));
  }

  private chosen(): string[] { return [...this.who.querySelectorAll<HTMLInputElement>('input:checked')].map(i => i.value); }

  private window(): { from: string; to: string } | null {
    if (this.toNow) this.to.value = localInput(Date.now());
    const from = new Date(this.from.value).getTime(), to = this.toNow ? Date.now() : new Date(this.to.value).getTime();
    if (!(from < to)) { this.status.textContent = t('replayBadWindow'); return null; }
    return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
  }

  private query(w: { from: string; to: string }): string {
    return `user=${encodeURIComponent(this.chosen().join(','))}&from=${encodeURIComponent(w.from)}&to=${encodeURIComponent(w.to)}`;
  }

  // load fetches the chosen members' tracks in the window and shows the start.
  async load() {
    const w = this.window();
    if (!w || this.chosen().length === 0) { if (w) this.status.textContent = t('replayNobody'); return; }
    this.pause();
    try {
      const fc = await this.api.req('GET', `/api/v1/rooms/${this.room}/tracks?${this.query(w)}`);
      this.tracks = fc.features.filter((f: any) => f.properties.count > 0).map((f: any) => ({
        user: f.properties.user, callsign: f.properties.callsign || f.properties.name, name: f.properties.name,
        coords: f.geometry.type === 'Point' ? [f.geometry.coordinates] : f.geometry.coordinates,
        times: f.properties.times.map((s: string) => new Date(s).getTime()),
      }));
    } catch (err) { this.onError(err); return; }
    const all = this.tracks.flatMap(tr => tr.times);
    this.status.textContent = `${this.tracks.length} ${t('replayTracks')}, ${all.length} ${t('replayPoints')}`;
    (window as any).ez.replayTracks = this.tracks.length;
    if (!all.length) { this.clear(); return; }
    this.start = Math.min(...all);
    this.end = Math.max(...all);
    this.slider.disabled = this.playBtn.disabled = false;
    this.slider.value = '0';
    const b = new maplibregl.LngLatBounds();
    for (const tr of this.tracks) for (const c of tr.coords) b.extend(c);
    this.map().fitBounds(b, { padding: 60, maxZoom: 17, duration: 0 });
    this.show(this.start);
  }

  private timeAt(): number { return this.start + (this.end - this.start) * Number(this.slider.value) / 1000; }

  // show draws every trail up to time at and each member's place then
  // (between two points, on the line between them).
  show(at: number) {
    const trails: GeoJSON.Feature[] = [], heads: GeoJSON.Feature[] = [];
    for (const tr of this.tracks) {
      let i = 0;
      while (i < tr.times.length && tr.times[i] <= at) i++;
      if (i === 0) continue; // not yet there
      const upTo = tr.coords.slice(0, i);
      let head = tr.coords[i - 1];
      if (i < tr.times.length) { // on the way to the next point
        const f = (at - tr.times[i - 1]) / Math.max(1, tr.times[i] - tr.times[i - 1]);
        const a = tr.coords[i - 1], b = tr.coords[i];
        head = [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f];
      }
      upTo.push(head);
      trails.push({ type: 'Feature', properties: { user: tr.user }, geometry: { type: 'LineString', coordinates: upTo } });
      heads.push({ type: 'Feature', properties: { user: tr.user, callsign: tr.callsign }, geometry: { type: 'Point', coordinates: head } });
    }
    this.map().getSource<maplibregl.GeoJSONSource>('replay')?.setData({ type: 'FeatureCollection', features: [...trails, ...heads] });
    this.clock.textContent = new Date(at).toLocaleString(currentLang() === 'de' ? 'de-DE' : 'en-GB');
    (window as any).ez.replayAt = at;
    (window as any).ez.replayHeads = heads.length;
  }

  private toggle() { if (this.timer === null) this.play(); else this.pause(); }

  // play moves the slider at the chosen speed (replayed seconds per second).
  play() {
    if (Number(this.slider.value) >= 1000) this.slider.value = '0';
    this.playBtn.textContent = t('pause');
    let last = performance.now();
    this.timer = window.setInterval(() => {
      const now = performance.now();
      const span = Math.max(1, this.end - this.start);
      const step = (now - last) * Number(this.speed.value) / span * 1000;
      last = now;
      const v = Math.min(1000, Number(this.slider.value) + step);
      this.slider.value = String(v);
      this.show(this.timeAt());
      if (v >= 1000) this.pause();
    }, 100);
  }

  pause() {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.playBtn.textContent = t('play');
  }

  private clear() {
    this.pause();
    this.tracks = [];
    this.slider.disabled = this.playBtn.disabled = true;
    this.map().getSource<maplibregl.GeoJSONSource>('replay')?.setData({ type: 'FeatureCollection', features: [] });
  }

  // exportKML downloads the window (the chosen members' tracks, the
  // room's POIs and drawings) as KML.
  async exportKML() {
    const w = this.window();
    if (!w) return;
    try {
      const path = `/api/v1/rooms/${this.room}/export.kml?${this.query(w)}`;
      const url = await this.api.blobURL(path);
      const a = h('a', { href: url, download: `einsatzraum-${this.room}.kml` }) as HTMLAnchorElement;
      document.body.append(a);
      a.click();
      a.remove();
      (window as any).ez.kmlExported = path;
    } catch (err) { this.onError(err); }
  }

  stop() { this.pause(); }
}
