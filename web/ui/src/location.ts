// Location sharing is a state of the app, not of a page: it is kept in
// localStorage, survives navigation and reloads, and adapts its rate to
// how the officer moves and to the battery. Positions go over HTTP; while
// the network is down they wait in the outbox and follow in order.
import { Api } from './api';
import { newClientID, Outbox } from './outbox';

export type SharingMode = 'fast' | 'walking' | 'standing' | 'saving';

// Seconds between reports per mode: driving often, standing rarely, a low
// battery (below 20 %, not charging) half as often again.
const INTERVAL: Record<SharingMode, number> = { fast: 5, walking: 15, standing: 60, saving: 120 };

export class LocationSharer {
  active = localStorage.getItem('ez.sharing') === '1';
  mode: SharingMode = 'walking';
  last: GeolocationPosition | null = null; // the latest fix (for photos and alarms)
  onChange: () => void = () => {};
  private watch: number | null = null;
  private highAccuracy = true;
  private sentAt = 0;
  private sentFix: { lat: number; lon: number } | null = null;
  private lowBattery = false;

  constructor(private api: Api, private outbox: Outbox) {
    const nav = navigator as Navigator & { getBattery?: () => Promise<{ level: number; charging: boolean; addEventListener: (t: string, f: () => void) => void }> };
    nav.getBattery?.().then(b => {
      const check = () => { this.lowBattery = b.level < 0.2 && !b.charging; this.adapt(); };
      b.addEventListener('levelchange', check);
      b.addEventListener('chargingchange', check);
      check();
    }).catch(() => {});
    if (this.active) this.watchPosition();
  }

  start() {
    this.active = true;
    localStorage.setItem('ez.sharing', '1');
    this.watchPosition();
    this.onChange();
  }

  // stop ends sharing: the officer leaves every map at once.
  async stop() {
    this.active = false;
    localStorage.removeItem('ez.sharing');
    if (this.watch !== null) navigator.geolocation.clearWatch(this.watch);
    this.watch = null;
    this.onChange();
    await this.api.req('DELETE', '/api/v1/positions/me').catch(() => {});
  }

  private watchPosition() {
    if (!navigator.geolocation) return;
    if (this.watch !== null) navigator.geolocation.clearWatch(this.watch);
    this.watch = navigator.geolocation.watchPosition(p => this.fix(p), () => {},
      { enableHighAccuracy: this.highAccuracy, maximumAge: 5000 });
  }

  // adapt picks the mode from the last fix and the battery, and asks the
  // GPS for high accuracy only while the officer moves.
  private adapt() {
    const speed = this.last?.coords.speed ?? null;
    const mode: SharingMode = this.lowBattery ? 'saving'
      : speed !== null && speed >= 4 ? 'fast'
        : speed !== null && speed < 0.5 ? 'standing' : 'walking';
    const high = mode === 'fast' || mode === 'walking';
    if (mode !== this.mode) { this.mode = mode; this.onChange(); }
    if (high !== this.highAccuracy && this.active) { this.highAccuracy = high; this.watchPosition(); }
  }

  private fix(p: GeolocationPosition) {
    this.last = p;
    this.adapt();
    const c = p.coords;
    const moved = this.sentFix ? distanceM(this.sentFix.lat, this.sentFix.lon, c.latitude, c.longitude) : Infinity;
    const due = Date.now() - this.sentAt >= INTERVAL[this.mode] * 1000;
    if (!due && moved < 25) return; // a move of 25 m is always reported
    const pos: Record<string, unknown> = { lat: c.latitude, lon: c.longitude, accuracy_m: c.accuracy, ts: new Date(p.timestamp || Date.now()).toISOString() };
    if (c.heading !== null && !Number.isNaN(c.heading)) pos.heading = c.heading;
    if (c.speed !== null && !Number.isNaN(c.speed)) pos.speed_mps = c.speed;
    this.sentAt = Date.now();
    this.sentFix = { lat: c.latitude, lon: c.longitude };
    this.outbox.add({ id: newClientID(), kind: 'positions', body: { items: [pos] } }).catch(() => {});
  }
}

function distanceM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const r = Math.PI / 180;
  const x = (lon2 - lon1) * r * Math.cos((lat1 + lat2) / 2 * r);
  const y = (lat2 - lat1) * r;
  return Math.hypot(x, y) * 6371008.8;
}
