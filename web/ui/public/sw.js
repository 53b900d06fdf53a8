// The service worker: the app shell offline, and the last answers of the
// API the app read (rooms, chats, messages, the map's style and tiles),
// so that a phone without network still shows its room and what was said
// there. Nothing comes from outside this server. Writing is not its job:
// the app's outbox keeps what is written until the network is back.
const VERSION = '__BUILD__';
const SHELL = 'shell-' + VERSION;
const API = 'api-v1'; // survives new versions: the last answers stay readable
const MAP = 'map-v1';
const SHELL_FILES = ['/', '/app.js', '/styles.css', '/manifest.webmanifest', '/icon-192.png', '/icon-512.png',
  '/vendor/maplibre-gl.mjs', '/vendor/maplibre-gl-shared.mjs', '/vendor/maplibre-gl-worker.mjs', '/vendor/maplibre-gl.css'];

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(SHELL).then((c) => c.addAll(SHELL_FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('shell-') && k !== SHELL).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

// The app says 'wipe' on logout and when its token was revoked: nothing of
// the operation stays on the phone.
self.addEventListener('message', (e) => {
  if (e.data === 'wipe') e.waitUntil(Promise.all([caches.delete(API), caches.delete(MAP)]));
});

// networkFirst answers from the network and keeps a copy; without network,
// from the copy.
async function networkFirst(req, cacheName) {
  const cache = await caches.open(cacheName);
  try {
    const res = await fetch(req);
    if (res.ok) await cache.put(req, res.clone());
    return res;
  } catch (err) {
    const hit = await cache.match(req);
    if (hit) return hit;
    throw err;
  }
}

// cacheFirst answers from the copy when there is one (files that do not
// change for a version, map tiles).
async function cacheFirst(req, cacheName) {
  const cache = await caches.open(cacheName);
  const hit = await cache.match(req);
  if (hit) return hit;
  const res = await fetch(req);
  if (res.ok) await cache.put(req, res.clone());
  return res;
}

self.addEventListener('fetch', (e) => {
  const req = e.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin) return;
  const p = url.pathname;
  if (req.mode === 'navigate') {
    e.respondWith(fetch(req).catch(() => caches.open(SHELL).then((c) => c.match('/'))));
    return;
  }
  if (p === '/api/v1/ws' || p.startsWith('/api/v1/attachments/') || p === '/api/v1/openapi.json' || p === '/metrics') return;
  if (p.startsWith('/api/v1/basemap/')) { // OpenStreetMap data: the same for the whole build of the basemap
    e.respondWith(cacheFirst(req, MAP));
    return;
  }
  if (p.startsWith('/api/v1/')) {
    e.respondWith(networkFirst(req, API));
    return;
  }
  e.respondWith(caches.open(SHELL).then((c) => c.match(req)).then((hit) => hit || fetch(req)));
});
