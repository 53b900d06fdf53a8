// The outbox: whatever an officer composes (messages, photos and files,
// positions) is kept in IndexedDB until the server has it, and sent in the
// order it was made whenever the network is there. Messages carry their
// client_id, so a send whose answer was lost is not posted twice.
import { Api, ApiError } from './api';

export type OutboxState = 'pending' | 'failed' | 'sent';

export interface OutboxItem {
  id: string; // the client_id of a message; any unique ID otherwise
  at: number; // when it was made (the order of sending)
  kind: 'message' | 'file' | 'positions' | 'poi';
  chat?: string;
  room?: string; // of a POI
  body: any; // the message body (without client_id), or {items} of positions
  file?: Blob; // a file to upload first (kind 'file')
  fileName?: string;
  attachment?: string; // the uploaded file's ID, once uploaded
  state: OutboxState;
  error?: string; // the server's code when it refused the item
}

// newClientID returns a UUID version 7 (RFC 9562): the time in
// milliseconds, then 74 random bits. IDs made later sort later, so the
// server files a message's client_id at the end of its index instead of
// on a page of its own (and crypto.getRandomValues, unlike
// crypto.randomUUID, works on plain http in a closed network too).
export function newClientID(now = Date.now()): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  let t = now;
  for (let i = 5; i >= 0; i--) { b[i] = t % 256; t = Math.floor(t / 256); }
  b[6] = (b[6] & 0x0f) | 0x70; // version 7
  b[8] = (b[8] & 0x3f) | 0x80; // variant 10
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const DB = 'einsatzraum';
const STORE = 'outbox';

function openDB(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(DB, 1);
    r.onupgradeneeded = () => { r.result.createObjectStore(STORE, { keyPath: 'id' }); };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

async function run<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDB();
  try {
    return await new Promise<T>((resolve, reject) => {
      const req = fn(db.transaction(STORE, mode).objectStore(STORE));
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  } finally { db.close(); }
}

// isOffline says whether an error means the server was not reached (a
// retry later may succeed) rather than a refusal.
export function isOffline(err: unknown): boolean {
  return !(err instanceof ApiError) || err.status >= 500 || err.status === 429;
}

export class Outbox {
  onChange: (item: OutboxItem, sent?: any) => void = () => {};
  private flushing = false;
  private again = false;

  constructor(private api: Api) {
    window.addEventListener('online', () => this.flush());
    setInterval(() => this.flush(), 10000);
  }

  async items(): Promise<OutboxItem[]> {
    const all = await run<OutboxItem[]>('readonly', s => s.getAll() as IDBRequest<OutboxItem[]>);
    return all.sort((a, b) => a.at - b.at);
  }

  // add keeps an item and starts sending.
  async add(item: Omit<OutboxItem, 'at' | 'state'>) {
    const full: OutboxItem = { ...item, at: Date.now() + Math.random() / 1000, state: 'pending' };
    await run('readwrite', s => s.put(full));
    this.onChange(full);
    this.flush();
  }

  // retry sends a refused item again; discard drops it.
  async retry(id: string) {
    const it = (await this.items()).find(i => i.id === id);
    if (!it) return;
    it.state = 'pending';
    it.error = undefined;
    await run('readwrite', s => s.put(it));
    this.onChange(it);
    this.flush();
  }

  async discard(id: string) {
    await run('readwrite', s => s.delete(id));
  }

  // clear forgets everything (logout, wipe).
  async clear() { await run('readwrite', s => s.clear()).catch(() => {}); }

  // flush sends the pending items in order; it stops at the first one the
  // network does not take and goes on at the next try.
  async flush() {
    if (this.flushing) { this.again = true; return; }
    if (!this.api.token) return;
    this.flushing = true;
    try {
      do {
        this.again = false;
        for (const it of await this.items()) {
          if (it.state !== 'pending') continue;
          try {
            const sent = await this.send(it);
            await run('readwrite', s => s.delete(it.id));
            it.state = 'sent';
            this.onChange(it, sent);
          } catch (err) {
            if (isOffline(err)) return; // the network or the server is down: later
            it.state = 'failed';
            it.error = err instanceof ApiError ? err.code : String(err);
            await run('readwrite', s => s.put(it));
            this.onChange(it);
          }
        }
      } while (this.again);
    } finally { this.flushing = false; }
  }

  private async send(it: OutboxItem): Promise<any> {
    switch (it.kind) {
      case 'positions':
        return this.api.req('POST', '/api/v1/positions', it.body);
      case 'poi':
        return this.api.req('POST', `/api/v1/rooms/${it.room}/pois`, { ...it.body, client_id: it.id });
      case 'file':
        if (!it.attachment && it.file) {
          const att = await this.api.upload(`/api/v1/chats/${it.chat}/attachments`, it.file, it.fileName || 'file');
          it.attachment = att.id;
          it.body = { ...it.body, kind: att.kind, attachment: { id: att.id } };
          it.file = undefined; // uploaded: the bytes need not stay on the phone
          await run('readwrite', s => s.put(it));
        }
        return this.api.req('POST', `/api/v1/chats/${it.chat}/messages`, { ...it.body, client_id: it.id });
      default:
        return this.api.req('POST', `/api/v1/chats/${it.chat}/messages`, { ...it.body, client_id: it.id });
    }
  }
}

// compressPhoto makes a photo small enough for a slow network before it is
// kept: at most 1600 px on its long side, JPEG at 80 %. Drawing it anew
// drops its EXIF metadata (the position goes into the message instead,
// only when the officer shares it). Anything that is not a photo, or fails
// to decode, is kept as it is.
export async function compressPhoto(f: File): Promise<Blob> {
  if (!f.type.startsWith('image/') || f.type === 'image/gif') return f;
  try {
    const img = await createImageBitmap(f);
    const scale = Math.min(1, 1600 / Math.max(img.width, img.height));
    const c = document.createElement('canvas');
    c.width = Math.round(img.width * scale);
    c.height = Math.round(img.height * scale);
    c.getContext('2d')!.drawImage(img, 0, 0, c.width, c.height);
    const out = await new Promise<Blob | null>(resolve => c.toBlob(resolve, 'image/jpeg', 0.8));
    return out || f;
  } catch { return f; }
}
