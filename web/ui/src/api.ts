// The REST client and the live connection with resume.

export class ApiError extends Error {
  constructor(public status: number, public code: string, message: string) { super(message); }
}

export class Api {
  token = sessionStorage.getItem('ez.token') || '';

  async req<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (r.status === 204) return undefined as T;
    const j = await r.json().catch(() => ({}));
    if (!r.ok) throw new ApiError(r.status, j?.error?.code || 'error', j?.error?.message || r.statusText);
    return j as T;
  }

  async upload<T = any>(path: string, file: Blob, name: string, fields: Record<string, string> = {}): Promise<T> {
    const fd = new FormData();
    for (const [k, v] of Object.entries(fields)) fd.append(k, v);
    fd.append('file', file, name);
    const r = await fetch(path, { method: 'POST', headers: { Authorization: `Bearer ${this.token}` }, body: fd });
    const j = await r.json().catch(() => ({}));
    if (!r.ok) throw new ApiError(r.status, j?.error?.code || 'error', j?.error?.message || r.statusText);
    return j as T;
  }

  // blobURL fetches an authenticated resource (a photo, a PDF) as an object URL.
  private blobs = new Map<string, Promise<string>>();
  blobURL(path: string): Promise<string> {
    let p = this.blobs.get(path);
    if (!p) {
      p = fetch(path, { headers: { Authorization: `Bearer ${this.token}` } }).then(async r => {
        if (!r.ok) throw new ApiError(r.status, 'download_failed', r.statusText);
        return URL.createObjectURL(await r.blob());
      });
      this.blobs.set(path, p);
    }
    return p;
  }

  setToken(tok: string) {
    this.token = tok;
    if (tok) sessionStorage.setItem('ez.token', tok); else sessionStorage.removeItem('ez.token');
  }
}

// PositionItem is one member's latest position in a positions frame
// (API.md, "Live events").
export interface PositionItem {
  user: string;
  callsign: string;
  name?: string;
  lat: number;
  lon: number;
  ts: string;
  accuracy_m: number;
  heading?: number;
  speed_mps?: number;
  stale: boolean;
  state?: 'live' | 'stale';
  last_seen?: string;
  stale_at?: string;
}

// Force is a room member in GET /api/v1/rooms/{room}/forces.
export interface Force {
  user: { id: string; name: string; callsign?: string };
  role: string;
  state: 'live' | 'stale' | 'offline';
  last_seen?: string;
  lat?: number;
  lon?: number;
  heading?: number;
  speed_mps?: number;
}

// Room is a room as GET /api/v1/rooms lists it.
export interface Room {
  id: string;
  name: string;
  description?: string;
  seq: number;
  my_role?: string;
  archived_at?: string;
}

export type LiveState = 'live' | 'reconnecting' | 'offline';

// Live keeps one WebSocket, subscribes to the rooms asked for, remembers the
// last seq per room and resumes from it after every reconnect, so no event
// is lost across network drops.
export class Live {
  private ws: WebSocket | null = null;
  private rooms = new Map<string, number>(); // room -> last seq seen
  private backoff = 500;
  private closed = false;
  onEvent: (room: string, seq: number, ev: any) => void = () => {};
  onPositions: (room: string, items: PositionItem[], removed: string[]) => void = () => {};
  onState: (s: LiveState) => void = () => {};
  onError: (code: string, msg: string) => void = () => {};

  constructor(private api: Api) {}

  start() { this.closed = false; this.connect(); }
  stop() { this.closed = true; this.ws?.close(); this.onState('offline'); }

  follow(room: string, since: number) {
    if (!this.rooms.has(room)) this.rooms.set(room, since);
    this.send({ type: 'subscribe', room, since: this.rooms.get(room) });
  }

  sendPosition(p: Record<string, unknown>) { this.send({ type: 'position', ...p }); }

  private send(v: unknown) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(v));
  }

  private connect() {
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${proto}://${location.host}/api/v1/ws?access_token=${encodeURIComponent(this.api.token)}`);
    this.ws = ws;
    ws.onopen = () => {
      this.backoff = 500;
      for (const [room, since] of this.rooms) this.send({ type: 'subscribe', room, since });
    };
    ws.onmessage = (m) => {
      const f = JSON.parse(m.data);
      switch (f.type) {
        case 'event': {
          const last = this.rooms.get(f.room) ?? 0;
          if (f.seq <= last) return; // already seen (a replay after resume)
          this.rooms.set(f.room, f.seq);
          this.onEvent(f.room, f.seq, f.event);
          break;
        }
        case 'subscribed': this.onState('live'); break;
        case 'positions': this.onPositions(f.room, f.items || [], f.removed || []); break;
        case 'wipe': this.closed = true; this.api.setToken(''); location.reload(); break;
        case 'error': this.onError(f.error?.code, f.error?.message); break;
      }
    };
    ws.onclose = (e) => {
      if (this.closed || e.code === 4003) { this.onState('offline'); return; }
      this.onState('reconnecting');
      setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, 15000);
    };
  }
}
