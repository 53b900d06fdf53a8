// The Einsatzraum dashboard (command staff, large screen) and field client
// (phone, ?field or a narrow screen): login, rooms, the live map with
// officers, POIs and data layers, and the chats beside it.
import * as maplibregl from './vendor/maplibre-gl.mjs';
import { Protocol } from 'pmtiles';
import { Api, ApiError, Force, Live, LiveState, PositionItem, Room } from './api';
import { category, currentLang, errorText, kindName, t, toggleLang } from './i18n';
import { Alarm, AlarmBoard, holdButton, tone } from './alarms';
import { compressPhoto, isOffline, newClientID, Outbox, OutboxItem } from './outbox';
import { LocationSharer } from './location';
import { h } from './dom';
import { circlePolygon, emptyFC } from './mapgeo';
import { Crossing, GeofenceLog } from './fences';
import { TrackReplay } from './replay';
import { VertexEditor } from './vertexedit';
import { Pages, showAccount, showAdmin, showConfirm, showForgot, showRegister, showReset, showTOTPRequired } from './account';

const api = new Api();
const outbox = new Outbox(api);
const sharer = new LocationSharer(api, outbox);
sharer.onChange = () => { for (const el of document.querySelectorAll('.sharing-slot')) el.replaceChildren(sharingPill()); current?.sharingChanged(); };
outbox.onChange = (item, sent) => current?.outboxChanged(item, sent);
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/sw.js').then(() => navigator.serviceWorker.ready).then(() => { (window as any).ez.serviceWorker = true; }).catch(() => {});
}

// wipeLocal forgets everything of the operation on this device: the
// login, the outbox, the copies the service worker keeps.
async function wipeLocal() {
  api.setToken('');
  if (sharer.active) await sharer.stop();
  await outbox.clear();
  navigator.serviceWorker?.controller?.postMessage('wipe');
}

// sharingPill says on every page that the location is being shared, and
// how often (it adapts to movement and battery); a tap stops it.
function sharingPill(): HTMLElement | string {
  if (!sharer.active) return '';
  return h('button', { class: 'sharing-pill', id: 'sharing-status', title: t('stopSharing'), onclick: () => { sharer.stop(); } }, `📍 ${t('sharing')} · ${t(`mode_${sharer.mode}` as any)}`);
}
const app = document.getElementById('app')!;
const field = new URLSearchParams(location.search).has('field') || window.matchMedia('(max-width: 800px)').matches;
if (field) document.body.classList.add('field');


// FONT is the font of every label: its glyphs come from this server.
const FONT = 'Noto Sans Regular';

// arrowImage is the heading arrow (an SDF image, coloured by the layer).
function arrowImage(): ImageData {
  const size = 24;
  const c = document.createElement('canvas');
  c.width = c.height = size;
  const g = c.getContext('2d')!;
  g.fillStyle = '#000';
  g.beginPath(); g.moveTo(size / 2, 2); g.lineTo(size - 4, size - 4); g.lineTo(size / 2, size - 9); g.lineTo(4, size - 4); g.closePath(); g.fill();
  return g.getImageData(0, 0, size, size);
}

// Test and debugging hooks (read-only views of the state).
const debug: any = ((window as any).ez = { officers: 0, pois: 0, messages: 0, mapReady: false, live: 'offline' });

function header(title: string, live?: Live): HTMLElement {
  const status = h('span', { class: 'status', role: 'status', 'aria-live': 'polite', id: 'live-status', text: t('offline') });
  if (live) live.onState = (s: LiveState) => { status.className = `status ${s}`; status.textContent = t(s); debug.live = s; };
  return h('header', {},
    h('h1', { text: title }),
    live ? status : null,
    live ? h('button', { class: 'secondary', id: 'back', onclick: () => { location.hash = ''; } }, t('back')) : null,
    h('button', { class: 'secondary', onclick: () => { toggleLang(); route(); } }, t('language')),
    api.token ? h('span', { class: 'sharing-slot' }, sharingPill()) : null,
    api.token ? h('button', { class: 'secondary', onclick: async () => { await api.req('POST', '/api/v1/auth/logout').catch(() => {}); await wipeLocal(); route(); } }, t('logout')) : null,
  );
}

function showLogin() {
  const err = h('p', { class: 'error', role: 'alert' });
  const email = h('input', { type: 'email', id: 'email', autocomplete: 'username', required: true }) as HTMLInputElement;
  const pw = h('input', { type: 'password', id: 'password', autocomplete: 'current-password', required: true }) as HTMLInputElement;
  // The one-time code: asked for when the account has a second factor.
  const otp = h('input', { type: 'text', id: 'otp', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 16 }) as HTMLInputElement;
  const otpRow = h('div', { hidden: true }, h('label', { for: 'otp', text: t('otp') }), otp);
  const links = h('p', { class: 'login-links' }, h('a', { href: '#forgot', id: 'to-forgot', text: t('forgotPassword') }));
  api.req('GET', '/api/v1/auth/config').then(c => { if (c.registration) links.prepend(h('a', { href: '#register', id: 'to-register', text: t('register') }), ' · '); }).catch(() => {});
  const form = h('form', { class: 'login', onsubmit: async (e: Event) => {
    e.preventDefault();
    try {
      const r = await api.req('POST', '/api/v1/auth/login', { email: email.value, password: pw.value, otp: otp.value, device_name: field ? 'Einsatzraum mobil' : 'Einsatzraum Dashboard' });
      api.setToken(r.token);
      if (r.totp_enrolment_required) return showTOTPRequired(pages);
      route();
    } catch (e) {
      if (e instanceof ApiError && (e.code === 'otp_required' || e.code === 'invalid_otp')) { otpRow.hidden = false; otp.focus(); }
      err.textContent = `${t('loginFailed')}: ${e instanceof ApiError ? errorText(e.code) : t('err_network')}`;
    }
  } },
    h('h2', { text: t('title') }),
    h('label', { for: 'email', text: t('email') }), email,
    h('label', { for: 'password', text: t('password') }), pw, otpRow,
    h('button', { type: 'submit', id: 'login' }, t('login')), err, links);
  app.replaceChildren(header(t('title')), form);
  email.focus();
}

// pages gives the account pages what they need of this one.
const pages: Pages = { api, app, header: (title: string) => header(title), route: () => route(), alertError: (e: unknown) => alertError(e) };

async function showRooms() {
  const rooms = (await api.req('GET', '/api/v1/rooms')).items as Room[];
  const list = h('nav', { class: 'rooms', 'aria-label': t('rooms') }, h('h2', { text: t('rooms') }));
  if (!rooms.length) list.append(h('p', { text: t('noRooms') }));
  for (const r of rooms) list.append(h('button', { class: 'room-link' + (r.archived_at ? ' archived' : ''), onclick: () => { location.hash = `#room/${r.id}`; } },
    h('strong', { text: r.name }), r.archived_at ? h('span', { class: 'tag', text: ` (${t('archived')})` }) : null, h('br'), r.description || ''));
  const name = h('input', { id: 'room-name', required: true, maxlength: 200, placeholder: t('name') }) as HTMLInputElement;
  const desc = h('input', { id: 'room-description', maxlength: 2000, placeholder: t('description') }) as HTMLInputElement;
  const create = h('form', { class: 'new-room', onsubmit: async (e: Event) => {
    e.preventDefault();
    try { const r = await api.req('POST', '/api/v1/rooms', { name: name.value, description: desc.value }); location.hash = `#room/${r.id}`; }
    catch (err) { alertError(err); }
  } }, h('h3', { text: t('newRoom') }), name, desc, h('button', { type: 'submit', id: 'room-create' }, t('create')));
  const me = await api.req('GET', '/api/v1/me').catch(() => null);
  const nav = h('p', { class: 'account-links' }, h('a', { href: '#account', id: 'to-account', text: t('account') }),
    me?.roles?.includes('admin') ? ' · ' : null, me?.roles?.includes('admin') ? h('a', { href: '#admin', id: 'to-admin', text: t('admin') }) : null);
  app.replaceChildren(header(t('rooms')), list, create, nav);
}

// ---- The room view ----

let current: RoomView | null = null;

class RoomView {
  live = new Live(api);
  map!: maplibregl.Map;
  officers = new Map<string, PositionItem>();
  pois = new Map<string, any>();
  pendingPOIs = new Map<string, any>(); // POIs in the outbox, by client_id
  drawings = new Map<string, any>(); // the room's drawings, by ID, as the API gives them
  sketchBar = h('div', { class: 'sketch-bar', hidden: true },
    h('button', { id: 'draw-finish', onclick: () => this.finishSketch() }, t('finish')), ' ',
    h('button', { class: 'secondary', id: 'draw-cancel', onclick: () => this.endSketch() }, t('cancel')));
  sketch: [number, number][] | null = null; // the points of a drawing being made
  photos = new Map<string, any>(); // photo messages with a position, as map markers
  chats: any[] = [];
  chat: any = null;
  members: any[] = [];
  addingPOI = false;
  renderQueued = false;
  msgList = h('div', { class: 'messages', role: 'log', 'aria-live': 'polite', id: 'messages', onscroll: () => { if (this.msgList.scrollTop < 40) this.loadOlder(); } });
  tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': t('chats') });
  memberBox = h('section', { class: 'members', 'aria-label': t('members') });
  roomBox = h('section', { class: 'room-admin', 'aria-label': t('roomSettings') });
  forceList = h('ul', { class: 'force-list', id: 'forces' });
  forceQuery = h('input', { type: 'search', id: 'force-search', 'aria-label': t('searchForces'), placeholder: t('searchForces') }) as HTMLInputElement;
  forceBox = h('details', { class: 'forces' }, h('summary', { text: t('forces') }), this.forceQuery, this.forceList);
  forcesQueued = false;
  orderAcks = new Map<string, { text: string; acked: number; all: number }>(); // the caller's orders in the open chat
  markTimer: number | null = null;
  chatMembers: any[] = [];
  replyTo: any = null;
  replyChip = h('div', { class: 'reply-chip', id: 'reply-chip', hidden: true });
  olderCursor = '';
  loadingOlder = false;
  prio!: HTMLSelectElement;
  askAck!: HTMLInputElement;
  pendingBox = h('details', { class: 'pending-acks', id: 'pending-acks' }, h('summary', { text: t('pendingAcks') }));
  unseen = 0; // urgent messages, alarms and mentions while the page was not looked at
  audio: AudioContext | null = null;
  me = '';
  alarmBoard!: AlarmBoard;
  fenceLog!: GeofenceLog;
  replay: TrackReplay | null = null; // the dashboard's track replay
  editor: VertexEditor | null = null; // a drawing whose shape is being edited
  mapLoaded: Promise<void> = Promise.resolve(); // settles when the map's own sources and layers are there
  pendingAlarms: GeoJSON.FeatureCollection = emptyFC();
  pulse = setInterval(() => { // an open alarm's marker pulses
    if (!this.map?.getLayer('alarms')) return;
    const r = 10 + 8 * Math.abs(Math.sin(Date.now() / 400));
    this.map.setPaintProperty('alarms', 'circle-radius', r);
  }, 100);
  dataLayerIDs: string[] = []; // the map layers of the data layers, for popups
  measuring = false;
  searchMarker: maplibregl.Popup | null = null;
  pane: 'map' | 'chat' = 'map';
  paneUnread = 0;
  mainEl = h('main', { class: 'room' });
  mapTab = h('button', { role: 'tab', id: 'tab-map', onclick: () => this.showPane('map') }, t('map'));
  chatTab = h('button', { role: 'tab', id: 'tab-chat', onclick: () => this.showPane('chat') }, t('chats'));
  newJump = h('button', { class: 'new-jump', id: 'new-messages', hidden: true, onclick: () => { this.msgList.scrollTop = this.msgList.scrollHeight; this.newJump.hidden = true; } }, `${t('newMessages')} ↓`);
  fitted = false; // the view was fitted to the forces once
  measureFrom: maplibregl.LngLat | null = null;
  layerBox = h('fieldset', { class: 'layers' }, h('legend', { text: t('layers') }));

  // A reporter's own stale time (TAK clients send one) greys a marker out
  // when it passes, without waiting for the next positions frame.
  staleTimer = setInterval(() => { if ([...this.officers.values()].some(o => o.stale_at && !o.stale)) this.queueRender(); }, 5000);

  constructor(public room: Room) {}

  async open() {
    const basemap = await api.req('GET', '/api/v1/config').then(c => c.basemap).catch(() => false);
    this.me = (await api.req('GET', '/api/v1/me').catch(() => ({ id: '' }))).id;
    this.alarmBoard = new AlarmBoard(api, () => this.me, (a: Alarm) => a.user === this.me || this.room.my_role === 'lead', (u: string) => this.nameOf(u));
    this.alarmBoard.onShow = (a: Alarm) => this.map.flyTo({ center: [a.lon!, a.lat!], zoom: Math.max(this.map.getZoom(), 16) });
    this.alarmBoard.onChange = (open: Alarm[]) => this.alarmsChanged(open);
    this.fenceLog = new GeofenceLog(api, this.room.id, (u: string) => this.nameOf(u));
    this.fenceLog.onShow = (c: Crossing) => this.map.flyTo({ center: [c.lon, c.lat], zoom: Math.max(this.map.getZoom(), 16) });
    if (!field) this.replay = new TrackReplay(api, this.room.id, () => this.map, alertError);
    const text = h('input', { type: 'text', id: 'compose-text', 'aria-label': t('message'), placeholder: t('message') }) as HTMLInputElement;
    const fileIn = h('input', { type: 'file', id: 'compose-file', 'aria-label': t('file'), accept: 'image/*,application/pdf,audio/*,video/*', hidden: true }) as HTMLInputElement;
    const camIn = h('input', { type: 'file', id: 'compose-camera', 'aria-label': t('photo'), accept: 'image/*', capture: 'environment', hidden: true }) as HTMLInputElement;
    for (const inp of [fileIn, camIn]) inp.addEventListener('change', () => { const f = inp.files?.[0]; if (f) this.sendFile(f); inp.value = ''; });
    this.prio = h('select', { id: 'compose-priority', 'aria-label': t('priority') },
      h('option', { value: 'normal', text: t('prioNormal') }), h('option', { value: 'urgent', text: t('prioUrgent') }), h('option', { value: 'flash', text: t('prioFlash') })) as HTMLSelectElement;
    this.askAck = h('input', { type: 'checkbox', id: 'compose-ack' }) as HTMLInputElement;
    const compose = h('form', { class: 'compose', onsubmit: (e: Event) => { e.preventDefault(); const v = text.value.trim(); if (v) { this.sendText(v); text.value = ''; } } },
      text, fileIn, camIn,
      field ? null : h('span', { class: 'order' }, this.prio, ' ', this.askAck, h('label', { for: 'compose-ack', text: t('askAck') })),
      h('button', { type: 'button', class: 'secondary', id: 'attach', onclick: () => fileIn.click() }, t('file')),
      field ? h('button', { type: 'button', class: 'secondary', id: 'camera', onclick: () => camIn.click() }, t('photo')) : null,
      h('button', { type: 'submit', id: 'send' }, t('send')));
    const toolbar = h('div', { class: 'toolbar' },
      h('button', { id: 'show-all', onclick: () => this.showAll() }, t('showAll')),
      h('button', { id: 'add-poi', class: 'secondary', onclick: () => { this.addingPOI = true; this.hint(t('addPOIHint')); } }, t('addPOI')),
      h('button', { id: 'share-location', class: 'secondary', onclick: () => this.shareLocation() }, sharer.active ? t('stopSharing') : t('shareLocation')),
      h('button', { id: 'measure', class: 'secondary', onclick: () => this.startMeasure() }, t('measure')),
      field || this.room.my_role === 'observer' ? null : h('button', { id: 'draw', class: 'secondary', onclick: () => this.startSketch() }, t('draw')),
      this.sketchBar,
      this.placeSearch(),
      this.layerBox);
    if (field && this.room.my_role !== 'observer') { // the emergency button: held 1.5 s, so a pocket cannot press it
      toolbar.prepend(holdButton(t('emergency'), 1500, () => {
        api.req('POST', `/api/v1/rooms/${this.room.id}/alarms`, { kind: 'emergency' })
          .then((a: Alarm) => { this.alarmBoard.set(a); debug.alarmSent = a.id; })
          .catch(alertError);
      }));
    }
    this.forceQuery.addEventListener('input', () => this.loadForces());
    this.forceBox.addEventListener('toggle', () => this.loadForces());
    const notifyBtn = 'Notification' in window && Notification.permission === 'default'
      ? h('button', { class: 'secondary', id: 'notify-on', onclick: () => { Notification.requestPermission().then(() => notifyBtn?.remove()); } }, t('notifyOn')) : null;
    const side = h('aside', { class: 'side' }, this.forceBox, field ? null : this.pendingBox, this.fenceLog.el, this.replay?.el, this.tabs, this.msgList, this.replyChip, compose, this.memberBox, this.roomBox, notifyBtn);
    if (this.room.archived_at) { // read-only for everyone: say so, offer no writing
      side.prepend(h('p', { class: 'archived-note', role: 'status', id: 'archived-note', text: t('archivedNote') }));
      compose.hidden = true;
    }
    window.addEventListener('focus', () => { this.unseen = 0; this.updateTitle(); });
    const mapEl = h('div', { id: 'map', role: 'application', 'aria-label': t('map') });
    this.mainEl.replaceChildren(h('div', { class: 'mapwrap' }, mapEl, toolbar, this.fenceLog.notices), side);
    this.msgList.addEventListener('scroll', () => { if (this.msgList.scrollHeight - this.msgList.scrollTop - this.msgList.clientHeight < 80) this.newJump.hidden = true; });
    side.insertBefore(this.newJump, this.replyChip);
    // On a phone one pane at a time, switched by the tab bar at the bottom.
    const paneBar = field ? h('nav', { class: 'pane-tabs', role: 'tablist', 'aria-label': t('view') }, this.mapTab, this.chatTab) : null;
    app.replaceChildren(header(this.room.name, this.live), this.alarmBoard.el, this.mainEl, paneBar || '');
    if (field) this.showPane(location.hash.endsWith('/chat') ? 'chat' : 'map');
    this.alarmBoard.el.hidden = true;
    await this.initMap(mapEl, basemap);

    this.live.onEvent = (room, _seq, ev) => { if (room === this.room.id) this.onEvent(ev); };
    this.live.onPositions = (room, items, removed) => {
      if (room !== this.room.id) return;
      for (const it of items) this.officers.set(it.user, it);
      for (const u of removed) this.officers.delete(u);
      if (!this.fitted && this.officers.size) { this.fitted = true; this.showAll(); } // open on all forces
      this.queueRender();
      this.queueForces();
    };
    this.live.start();
    this.live.follow(this.room.id, this.room.seq);
    await Promise.all([this.loadChats(), this.loadPOIs(), this.loadLayers(), this.loadAlarms(), this.fenceLog.load().catch(() => {})]);
    await this.mapLoaded; // the drawings' source comes with the map's load
    await this.loadDrawings().catch(() => {});
  }

  // loadAlarms puts the room's open alarms on the board (the live ones
  // arrive as events).
  async loadAlarms() {
    const open = (await api.req('GET', `/api/v1/rooms/${this.room.id}/alarms?state=open`)).items as Alarm[];
    for (const a of open) this.alarmBoard.set(a);
  }

  // nameOf is a member's call sign, else their name.
  nameOf(user: string): string {
    const m = this.members.find(m => m.user.id === user);
    return m ? (m.user.callsign || m.user.name) : user;
  }

  // alarmsChanged shows the open alarms on the map (pulsing) and counts
  // them in the tab title.
  alarmsChanged(open: Alarm[]) {
    debug.alarms = open.length;
    if (open.length) document.title = `(${open.length}) ${t('emergency')} · ${this.room.name}`;
    else this.updateTitle();
    const fc: GeoJSON.FeatureCollection = { type: 'FeatureCollection', features: open.filter(a => a.lat !== undefined).map(a => ({
      type: 'Feature', properties: { id: a.id, acked: a.acks.length > 0 }, geometry: { type: 'Point', coordinates: [a.lon!, a.lat!] } })) };
    this.map?.getSource<maplibregl.GeoJSONSource>('alarms')?.setData(fc);
    this.pendingAlarms = fc;
  }

  close() {
    clearInterval(this.staleTimer);
    clearInterval(this.pulse);
    this.alarmBoard?.stop();
    this.replay?.stop();
    document.title = t('title');
    this.live.stop();
    this.map?.remove();
  }

  hint(msg: string) { document.getElementById('live-status')?.setAttribute('title', msg); this.map.getCanvas().style.cursor = 'crosshair'; }

  async initMap(el: HTMLElement, basemap: boolean) {
    const glyphs = `${location.origin}/api/v1/basemap/glyphs/{fontstack}/{range}.pbf`;
    const style: maplibregl.StyleSpecification & { sources: Record<string, maplibregl.SourceSpecification>; layers: maplibregl.LayerSpecification[] } = {
      version: 8,
      glyphs,
      sources: {
        grid: { type: 'geojson', data: emptyFC() },
        officers: { type: 'geojson', data: emptyFC() },
        pois: { type: 'geojson', data: emptyFC() },
        photos: { type: 'geojson', data: emptyFC() },
      },
      layers: [
        { id: 'background', type: 'background', paint: { 'background-color': '#e9edf0' } },
        { id: 'grid', type: 'line', source: 'grid', paint: { 'line-color': '#b9c3cc', 'line-width': 1 } },
        { id: 'grid-labels', type: 'symbol', source: 'grid', layout: { 'text-field': ['get', 'label'], 'text-font': [FONT], 'text-size': 11, 'symbol-placement': 'line' }, paint: { 'text-color': '#7a8793' } },
      ],
    };
    let center: [number, number] = [9.99, 53.55];
    if (basemap) { // the street map: its style, tiles, glyphs and sprites all come from this server
      const base = await api.req('GET', '/api/v1/basemap/style.json').catch(() => null);
      if (base) {
        const src = base.sources.basemap;
        if (typeof src.url === 'string' && src.url.startsWith('pmtiles://')) maplibregl.addProtocol('pmtiles', new Protocol().tile);
        if (Array.isArray(src.bounds)) center = [(src.bounds[0] + src.bounds[2]) / 2, (src.bounds[1] + src.bounds[3]) / 2];
        Object.assign(style.sources, base.sources);
        style.layers = base.layers;
        style.sprite = base.sprite;
        style.glyphs = base.glyphs;
      }
    }
    this.map = new maplibregl.Map({
      container: el, style, center, zoom: 13,
      attributionControl: { compact: field },
      transformRequest: (url: string) => url.startsWith(location.origin + '/api/') ? { url, headers: { Authorization: `Bearer ${api.token}` } } : { url },
    });
    this.mapLoaded = new Promise<void>(resolve => this.map.once('load', () => resolve()));
    this.map.addControl(new maplibregl.NavigationControl(), 'top-right');
    this.map.addControl(new maplibregl.ScaleControl({}), 'bottom-left');
    this.map.on('load', () => {
      this.map.addImage('heading-arrow', arrowImage(), { sdf: true, pixelRatio: 2 });
      this.map.addSource('alarms', { type: 'geojson', data: this.pendingAlarms });
      this.map.addLayer({ id: 'alarms', type: 'circle', source: 'alarms', paint: { 'circle-radius': 12, 'circle-color': '#d50000', 'circle-opacity': 0.35,
        'circle-stroke-color': '#d50000', 'circle-stroke-width': 3 } });
      // The situation picture under everything that moves: areas filled
      // lightly, lines and outlines in the drawing's colour, labels.
      this.map.addSource('drawings', { type: 'geojson', data: emptyFC() });
      this.map.addSource('sketch', { type: 'geojson', data: emptyFC() });
      const drawColor: maplibregl.ExpressionSpecification = ['coalesce', ['get', 'color'], ['match', ['get', 'category'], 'cordon', '#d50000', 'sector', '#1565c0', 'route', '#6a1b9a', 'area', '#2e7d32', '#37474f']];
      this.map.addLayer({ id: 'drawings-fill', type: 'fill', source: 'drawings', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': drawColor, 'fill-opacity': 0.15 } });
      this.map.addLayer({ id: 'drawings-line', type: 'line', source: 'drawings', filter: ['!=', ['geometry-type'], 'Point'], paint: { 'line-color': drawColor, 'line-width': 2.5,
        'line-dasharray': ['case', ['==', ['get', 'category'], 'cordon'], ['literal', [2, 1]], ['literal', [1, 0]]] } });
      this.map.addLayer({ id: 'drawings-point', type: 'circle', source: 'drawings', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 7, 'circle-color': drawColor, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
      this.map.addLayer({ id: 'drawings-label', type: 'symbol', source: 'drawings', layout: { 'text-field': ['get', 'label'], 'text-font': [FONT], 'text-size': 12, 'text-offset': [0, 1] }, paint: { 'text-color': drawColor, 'text-halo-color': '#fff', 'text-halo-width': 1.5 } });
      this.map.addLayer({ id: 'sketch', type: 'line', source: 'sketch', paint: { 'line-color': '#d50000', 'line-width': 2, 'line-dasharray': [1, 1] } });
      // A replayed window: trails, and where each member was at the slider's time.
      this.map.addSource('replay', { type: 'geojson', data: emptyFC() });
      this.map.addLayer({ id: 'replay-trail', type: 'line', source: 'replay', filter: ['==', ['geometry-type'], 'LineString'], paint: { 'line-color': '#ef6c00', 'line-width': 3, 'line-opacity': 0.8 } });
      this.map.addLayer({ id: 'replay-head', type: 'circle', source: 'replay', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 7, 'circle-color': '#ef6c00', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
      this.map.addLayer({ id: 'replay-label', type: 'symbol', source: 'replay', filter: ['==', ['geometry-type'], 'Point'], layout: { 'text-field': ['get', 'callsign'], 'text-font': [FONT], 'text-size': 12, 'text-offset': [0, 1.2], 'text-anchor': 'top' }, paint: { 'text-color': '#8a3c00', 'text-halo-color': '#fff', 'text-halo-width': 1.5 } });
      this.map.addLayer({ id: 'photos', type: 'circle', source: 'photos', paint: { 'circle-radius': 6, 'circle-color': '#f9a825', 'circle-stroke-color': '#5d4037', 'circle-stroke-width': 2 } });
      this.map.addLayer({ id: 'pois', type: 'circle', source: 'pois', paint: { 'circle-radius': 8, 'circle-color': ['case', ['==', ['get', 'pending'], true], '#9aa4ad', '#c2185b'], 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
      this.map.addLayer({ id: 'poi-labels', type: 'symbol', source: 'pois', layout: { 'text-field': ['get', 'name'], 'text-font': [FONT], 'text-size': 13, 'text-offset': [0, 1.3], 'text-anchor': 'top' }, paint: { 'text-color': '#6a0f32', 'text-halo-color': '#fff', 'text-halo-width': 1.5 } });
      this.map.addLayer({ id: 'officers', type: 'circle', source: 'officers', paint: {
        'circle-radius': 7, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2,
        'circle-color': ['case', ['get', 'stale'], '#9aa4ad', '#0a4fa3'] } });
      // Heading as an arrow ahead of the dot, turned with the map (the
      // offset turns with it: the arrow sits on the side the officer heads to).
      this.map.addLayer({ id: 'officer-heading', type: 'symbol', source: 'officers', filter: ['!=', ['get', 'heading'], null],
        layout: { 'icon-image': 'heading-arrow', 'icon-rotate': ['get', 'heading'], 'icon-rotation-alignment': 'map',
          'icon-offset': [0, -13], 'icon-allow-overlap': true, 'icon-ignore-placement': true },
        paint: { 'icon-color': ['case', ['get', 'stale'], '#9aa4ad', '#0a4fa3'] } });
      this.map.addLayer({ id: 'officer-labels', type: 'symbol', source: 'officers', minzoom: 11, layout: { 'text-field': ['get', 'callsign'], 'text-font': [FONT], 'text-size': 12, 'text-offset': [0, 1.2], 'text-anchor': 'top', 'text-optional': true }, paint: { 'text-color': ['case', ['get', 'stale'], '#7a8793', '#0b2545'], 'text-halo-color': '#fff', 'text-halo-width': 1.5 } });
      this.updateGrid();
      this.queueRender();
      debug.mapReady = true;
    });
    this.map.on('moveend', () => this.updateGrid());
    this.map.on('click', (e: maplibregl.MapMouseEvent) => {
      if (this.addingPOI) { this.addingPOI = false; this.map.getCanvas().style.cursor = ''; this.poiDialog(e.lngLat.lat, e.lngLat.lng); return; }
      if (this.measuring) { this.measureClick(e.lngLat); return; }
      if (this.sketch) { this.sketch.push([e.lngLat.lng, e.lngLat.lat]); this.drawSketch(); return; }
      const layerIDs = ['officers', 'pois', 'photos', 'drawings-fill', 'drawings-line', 'drawings-point', ...this.dataLayerIDs.filter(id => this.map.getLayer(id))];
      const f = this.map.queryRenderedFeatures(e.point, { layers: layerIDs })[0];
      if (!f) return;
      const p = f.properties;
      const at = f.geometry.type === 'Point' ? (f.geometry as GeoJSON.Point).coordinates as [number, number] : [e.lngLat.lng, e.lngLat.lat] as [number, number];
      if (f.layer.id.startsWith('drawings-')) {
        const d = this.drawings.get(p.id);
        const del = h('button', { class: 'danger', id: 'delete-drawing', onclick: async () => {
          if (del.dataset.armed !== '1') { del.dataset.armed = '1'; del.textContent = t('confirmDelete'); return; }
          await api.req('DELETE', `/api/v1/drawings/${p.id}`).catch(alertError);
          popup.remove();
        } }, t('delete'));
        const mine = d && (d.created_by === this.me || this.room.my_role === 'lead') && !this.room.archived_at;
        const edit = h('button', { class: 'secondary', id: 'edit-drawing', onclick: () => { popup.remove(); this.editDrawing(d); } }, t('editShape'));
        const popup = new maplibregl.Popup().setLngLat(e.lngLat).setDOMContent(h('div', { class: 'popup-drawing' }, h('strong', { text: p.label || '' }), h('br'),
          t(`dcat_${p.category}` as any), d?.geofence ? h('div', { text: `${t('geofence')}: ${t(`fence_${d.geofence.on}` as any)}` }) : null,
          mine ? h('div', {}, field ? null : edit, ' ', del) : null)).addTo(this.map);
        return;
      }
      if (f.layer.id.startsWith('layer-')) { // a data layer's feature: all it says
        const rows = Object.entries(p).filter(([, v]) => v !== null && v !== '').slice(0, 30)
          .map(([k, v]) => h('tr', {}, h('th', { text: k }), h('td', { text: String(v) })));
        new maplibregl.Popup({ maxWidth: '360px' }).setLngLat(at).setDOMContent(h('div', { class: 'popup-feature' }, h('table', {}, ...rows))).addTo(this.map);
        debug.featurePopups = (debug.featurePopups || 0) + 1;
        return;
      }
      if (f.layer.id === 'photos') {
        const img = h('img', { alt: p.text, style: 'max-width:240px' }) as HTMLImageElement;
        api.blobURL(`/api/v1/attachments/${p.attachment}/thumbnail`).then(u => { img.src = u; });
        new maplibregl.Popup().setLngLat(at).setDOMContent(h('div', {}, img, h('br'), p.text)).addTo(this.map);
        return;
      }
      if (p.pending) { // still in the outbox
        new maplibregl.Popup().setLngLat(at).setDOMContent(h('div', { class: 'popup-poi' }, h('strong', { text: p.name }), h('br'), `⏳ ${t('pending')}`)).addTo(this.map);
        return;
      }
      let armed = false; // delete asks first: the first click arms the button
      const del = h('button', { class: 'danger', id: 'delete-poi', onclick: async () => {
        if (!armed) { armed = true; del.textContent = t('confirmDelete'); return; }
        await api.req('DELETE', `/api/v1/rooms/${this.room.id}/pois/${p.id}`).catch(alertError);
        popup.remove();
      } }, t('delete'));
      const body = f.layer.id === 'officers'
        ? h('div', { class: 'popup-officer' }, h('strong', { text: p.callsign }), h('br'), p.name || '', h('br'), timeOf(p.ts), p.stale ? ` (${t('stale')})` : '', h('br'), `${t('accuracy')}: ${Math.round(p.accuracy_m)} m`,
            p.heading !== undefined && p.heading !== null ? h('div', { text: `${t('heading')}: ${Math.round(p.heading)}°` }) : null,
            p.speed_mps !== undefined && p.speed_mps !== null ? h('div', { text: `${t('speed')}: ${Math.round(p.speed_mps * 3.6)} km/h` }) : null)
        : h('div', { class: 'popup-poi' }, h('strong', { text: p.name }), h('br'), category(p.category), h('br'), p.description || '', h('br'), del);
      const popup = new maplibregl.Popup().setLngLat(at).setDOMContent(body).addTo(this.map);
    });
    for (const layer of ['officers', 'pois', 'photos']) {
      this.map.on('mouseenter', layer, () => { this.map.getCanvas().style.cursor = 'pointer'; });
      this.map.on('mouseleave', layer, () => { this.map.getCanvas().style.cursor = this.addingPOI ? 'crosshair' : ''; });
    }
  }

  // updateGrid draws a graticule fitting the zoom, so positions stay
  // readable without a basemap.
  updateGrid() {
    const b = this.map.getBounds();
    const span = Math.max(b.getEast() - b.getWest(), b.getNorth() - b.getSouth());
    const step = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20].find(s => span / s < 12) || 30;
    const fs: GeoJSON.Feature<GeoJSON.LineString>[] = [];
    const digits = Math.max(0, -Math.floor(Math.log10(step)));
    for (let x = Math.ceil(b.getWest() / step) * step; x <= b.getEast(); x += step)
      fs.push({ type: 'Feature', properties: { label: `${x.toFixed(digits)}° E` }, geometry: { type: 'LineString', coordinates: [[x, Math.max(b.getSouth(), -85)], [x, Math.min(b.getNorth(), 85)]] } });
    for (let y = Math.ceil(b.getSouth() / step) * step; y <= b.getNorth(); y += step)
      fs.push({ type: 'Feature', properties: { label: `${y.toFixed(digits)}° N` }, geometry: { type: 'LineString', coordinates: [[b.getWest(), y], [b.getEast(), y]] } });
    this.map.getSource<maplibregl.GeoJSONSource>('grid')?.setData({ type: 'FeatureCollection', features: fs });
  }

  queueRender() {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      const src = this.map?.getSource<maplibregl.GeoJSONSource>('officers');
      if (src) src.setData({ type: 'FeatureCollection', features: [...this.officers.values()].map(o => ({
        type: 'Feature', id: undefined, properties: { user: o.user, callsign: o.callsign, name: o.name || '', ts: o.ts, accuracy_m: o.accuracy_m, heading: o.heading ?? null, speed_mps: o.speed_mps ?? null, stale: !!o.stale || (!!o.stale_at && Date.parse(o.stale_at) <= Date.now()) },
        geometry: { type: 'Point', coordinates: [o.lon, o.lat] } })) });
      const ps = this.map?.getSource<maplibregl.GeoJSONSource>('pois');
      if (ps) ps.setData({ type: 'FeatureCollection', features: [...this.pendingPOIs.values(), ...this.pois.values()] }); // pending ones below: the POI the server made covers its pending copy
      this.map?.getSource<maplibregl.GeoJSONSource>('photos')?.setData({ type: 'FeatureCollection', features: [...this.photos.values()] });
      // With many officers, call signs show only when zoomed in: placing
      // thousands of labels on every frame is what makes a map stutter.
      const labelZoom = this.officers.size > 300 ? 14.5 : 11;
      const labels = this.map?.getLayer('officer-labels');
      if (labels && labels.minzoom !== labelZoom) this.map.setLayerZoomRange('officer-labels', labelZoom, 24);
      debug.officers = this.officers.size;
      debug.pois = this.pois.size;
      debug.pendingPOIs = this.pendingPOIs.size;
      debug.positions = () => Object.fromEntries([...this.officers.values()].map(o => [o.user, [o.lon, o.lat]]));
      debug.project = (lon: number, lat: number) => { const p = this.map.project([lon, lat]); return [p.x, p.y]; };
      debug.visibility = (id: string) => this.map.getLayoutProperty(id, 'visibility') ?? 'visible';
      debug.poiIDs = () => [...this.pois.keys()];
      debug.dataPoint = () => { // the screen position of a rendered data layer point that nothing covers, for the browser test
        const ids = this.dataLayerIDs.filter(id => id.endsWith('-point') && this.map.getLayer(id));
        for (const f of this.map.queryRenderedFeatures({ layers: ids })) {
          const p = this.map.project((f.geometry as GeoJSON.Point).coordinates as [number, number]);
          const box: [[number, number], [number, number]] = [[p.x - 12, p.y - 12], [p.x + 12, p.y + 12]];
          if (this.map.queryRenderedFeatures(box, { layers: ['officers', 'pois', 'photos', 'alarms'] }).length === 0) return [p.x, p.y];
        }
        return null;
      };
      debug.poiAt = (id: string) => this.pois.get(id)?.geometry.coordinates;
      debug.rendered = (ids: string[]) => this.map.queryRenderedFeatures({ layers: ids.filter(id => this.map.getLayer(id)) }).length;
      debug.center = () => { const c = this.map.getCenter(); return [c.lng, c.lat, this.map.getZoom()]; };
      debug.synthetic = (n: number) => { // load test: n made-up officers around the view
        const c = this.map.getCenter();
        for (let i = 0; i < n; i++) this.officers.set(`synthetic-${i}`, { user: `synthetic-${i}`, callsign: `Test ${i}`, ts: new Date().toISOString(), accuracy_m: 5, stale: i % 7 === 0, lon: c.lng + (Math.random() - 0.5) * 0.2, lat: c.lat + (Math.random() - 0.5) * 0.12 });
        this.queueRender();
      };
    });
  }

  // placeSearch is the search box for places, streets, addresses, POIs and
  // layer features (GET /api/v1/geocode, nearer the map's centre first):
  // picking a hit flies the map there and marks the spot.
  placeSearch(): HTMLElement {
    const input = h('input', { type: 'search', id: 'place-search', 'aria-label': t('searchPlaces'), placeholder: t('searchPlaces'), autocomplete: 'off' }) as HTMLInputElement;
    const list = h('ul', { class: 'place-hits', id: 'place-hits', role: 'listbox', hidden: true });
    let timer = 0;
    let hits: any[] = [];
    const go = (f: any) => {
      const [lon, lat] = f.geometry.coordinates;
      list.hidden = true;
      input.value = f.properties.name;
      this.map.flyTo({ center: [lon, lat], zoom: f.properties.kind === 'place' ? 15 : 17, duration: 800 });
      this.searchMarker?.remove();
      this.searchMarker = new maplibregl.Popup({ closeOnClick: true }).setLngLat([lon, lat])
        .setDOMContent(h('div', { class: 'popup-place' }, h('strong', { text: f.properties.name }), h('br'), kindName(f.properties.kind))).addTo(this.map);
      debug.flewTo = { lon, lat, name: f.properties.name };
    };
    const search = async () => {
      const q = input.value.trim();
      if (q.length < 2) { list.hidden = true; return; }
      const c = this.map.getCenter();
      try {
        hits = (await api.req('GET', `/api/v1/geocode?q=${encodeURIComponent(q)}&lat=${c.lat.toFixed(5)}&lon=${c.lng.toFixed(5)}&limit=8`)).features;
      } catch (err) { alertError(err); return; }
      list.replaceChildren(...hits.map((f, i) => h('li', { role: 'option' }, h('button', { type: 'button', class: 'place-hit', id: `place-hit-${i}`, onclick: () => go(f) },
        h('span', { text: f.properties.name }), ' ', h('small', { text: kindName(f.properties.kind) })))));
      if (!hits.length) list.append(h('li', { class: 'none', text: t('noHits') }));
      list.hidden = false;
      debug.placeHits = hits.length;
    };
    input.addEventListener('input', () => { clearTimeout(timer); timer = window.setTimeout(search, 250); });
    input.addEventListener('keydown', (e: KeyboardEvent) => {
      if (e.key === 'Enter') { e.preventDefault(); clearTimeout(timer); if (hits.length) go(hits[0]); else search(); }
      if (e.key === 'Escape') list.hidden = true;
    });
    return h('div', { class: 'place-search' }, input, list);
  }

  async showAll() {
    try {
      const e = await api.req('GET', `/api/v1/rooms/${this.room.id}/positions/extent`);
      const [w, s, east, n] = e.bbox;
      this.map.fitBounds([[w, s], [east < w ? east + 360 : east, n]], { padding: 60, maxZoom: 16, duration: 600 });
    } catch (err) { alertError(err); }
  }

  // shareLocation starts sharing the device's position, or stops it when
  // it runs: the officer leaves every room's map at once.
  shareLocation() {
    if (sharer.active) sharer.stop(); else sharer.start();
  }

  // startMeasure waits for two clicks on the map and shows the distance
  // and bearing between them.
  startMeasure() {
    this.measuring = true;
    this.measureFrom = null;
    this.hint(t('measureHint'));
  }

  measureClick(at: maplibregl.LngLat) {
    if (!this.measureFrom) { this.measureFrom = at; return; }
    const from = this.measureFrom;
    this.measuring = false;
    this.measureFrom = null;
    this.map.getCanvas().style.cursor = '';
    const line: GeoJSON.Feature<GeoJSON.LineString> = { type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: [[from.lng, from.lat], [at.lng, at.lat]] } };
    const src = this.map.getSource<maplibregl.GeoJSONSource>('measure');
    if (src) src.setData(line);
    else {
      this.map.addSource('measure', { type: 'geojson', data: line });
      this.map.addLayer({ id: 'measure', type: 'line', source: 'measure', paint: { 'line-color': '#d84315', 'line-width': 2, 'line-dasharray': [2, 1] } });
    }
    const d = from.distanceTo(at);
    const text = `${t('distance')}: ${d < 1000 ? `${Math.round(d)} m` : `${(d / 1000).toFixed(2)} km`} · ${t('bearing')}: ${Math.round(bearing(from, at))}°`;
    new maplibregl.Popup({ closeOnClick: true }).setLngLat(at).setDOMContent(h('div', { id: 'measure-result', text })).addTo(this.map);
    debug.measured = d;
  }

  // queueForces reloads the open list of forces at most every 2 s.
  queueForces() {
    if (this.forcesQueued || !(this.forceBox as HTMLDetailsElement).open) return;
    this.forcesQueued = true;
    setTimeout(() => { this.forcesQueued = false; this.loadForces(); }, 2000);
  }

  // loadForces shows every room member with the state of their position,
  // filtered by the search box; a click flies the map to them.
  async loadForces() {
    if (!(this.forceBox as HTMLDetailsElement).open) return;
    const q = encodeURIComponent(this.forceQuery.value.trim());
    const forces = (await api.req('GET', `/api/v1/rooms/${this.room.id}/forces?q=${q}`).catch(() => ({ items: [] }))).items as Force[];
    const label = { live: t('stateLive'), stale: t('stateStale'), offline: t('stateOffline') };
    this.forceList.replaceChildren(...forces.map(f => {
      const text = `${f.user.callsign || '–'} · ${f.user.name} · ${label[f.state]}${f.last_seen ? ` (${t('lastSeen')} ${timeOf(f.last_seen)})` : ''}`;
      return h('li', { class: `force ${f.state}` }, f.lat !== undefined && f.lon !== undefined
        ? h('button', { class: 'link', onclick: () => this.map.flyTo({ center: [f.lon!, f.lat!], zoom: Math.max(this.map.getZoom(), 15) }) }, text)
        : text);
    }));
    debug.forces = forces.length;
  }

  poiDialog(lat: number, lon: number) {
    const name = h('input', { id: 'poi-name', required: true }) as HTMLInputElement;
    const cat = h('select', { id: 'poi-category' }, ...['meeting_point', 'command_post', 'medical', 'roadblock', 'hazard', 'info'].map(c => h('option', { value: c, text: category(c) }))) as HTMLSelectElement;
    const desc = h('input', { id: 'poi-description' }) as HTMLInputElement;
    const dlg = h('dialog', { 'aria-label': t('addPOI') }) as HTMLDialogElement;
    dlg.append(h('form', { method: 'dialog', onsubmit: async (e: Event) => {
      e.preventDefault();
      // Through the outbox: a POI set without network is kept and shown
      // grey until the server has it.
      dlg.close(); dlg.remove();
      await outbox.add({ id: newClientID(), kind: 'poi', room: this.room.id, body: { name: name.value, category: cat.value, description: desc.value, lat, lon } }).catch(alertError);
    } },
      h('label', { for: 'poi-name', text: t('name') }), name, h('label', { for: 'poi-category', text: t('category') }), cat,
      h('label', { for: 'poi-description', text: t('description') }), desc,
      h('div', {}, h('button', { type: 'submit', id: 'poi-save' }, t('save')), ' ', h('button', { type: 'button', class: 'secondary', onclick: () => { dlg.close(); dlg.remove(); } }, t('cancel')))));
    document.body.append(dlg);
    dlg.showModal();
    name.focus();
  }

  async loadDrawings() {
    const fc = await api.req('GET', `/api/v1/rooms/${this.room.id}/drawings`);
    for (const f of fc.features) this.drawings.set(f.id, { ...f.properties, geometry: f.geometry });
    this.renderDrawings();
  }

  // renderDrawings puts the drawings on the map; a circle (a point with a
  // radius) is drawn as a polygon of 64 corners.
  renderDrawings() {
    const fs = [...this.drawings.values()].map((d: any) => ({ type: 'Feature', properties: { id: d.id, label: d.label, category: d.category, color: d.color ?? null },
      geometry: d.radius_m && d.geometry.type === 'Point' ? circlePolygon(d.geometry.coordinates, d.radius_m) : d.geometry }));
    this.map?.getSource<maplibregl.GeoJSONSource>('drawings')?.setData({ type: 'FeatureCollection', features: fs as GeoJSON.Feature[] });
    debug.drawings = this.drawings.size;
  }

  // editDrawing puts handles on the drawing's corners to drag; the bar
  // saves or cancels.
  editDrawing(d: any) {
    if (this.editor || !d) return;
    this.editor = new VertexEditor(this.map, d, async patch => {
      try { await api.req('PATCH', `/api/v1/drawings/${d.id}`, patch); } catch (err) { alertError(err); throw err; }
    }, () => { this.editor = null; });
    this.sketchBar.after(this.editor.bar);
  }

  // startSketch begins a drawing: clicks add corners, "finish" asks what it is.
  startSketch() {
    this.sketch = [];
    this.hint(t('drawHint'));
    this.sketchBar.hidden = false;
  }

  drawSketch() {
    const pts = this.sketch || [];
    this.map.getSource<maplibregl.GeoJSONSource>('sketch')?.setData({ type: 'FeatureCollection', features: pts.length > 1
      ? [{ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: pts } }] : [] });
    debug.sketchPoints = pts.length;
  }

  endSketch() {
    this.sketch = null;
    this.sketchBar.hidden = true;
    this.map.getCanvas().style.cursor = '';
    this.drawSketch();
  }

  // finishSketch asks for label, category, colour and geofence and saves
  // the drawing: three or more corners make an area, two a line.
  finishSketch() {
    const pts = this.sketch || [];
    if (pts.length < 2) { this.endSketch(); return; }
    const area = pts.length >= 3;
    const geometry = area ? { type: 'Polygon', coordinates: [[...pts, pts[0]]] } : { type: 'LineString', coordinates: pts };
    this.endSketch();
    const label = h('input', { id: 'drawing-label' }) as HTMLInputElement;
    const cat = h('select', { id: 'drawing-category' }, ...(area ? ['cordon', 'sector', 'area'] : ['route']).map(c => h('option', { value: c, text: t(`dcat_${c}` as any) }))) as HTMLSelectElement;
    const fence = h('select', { id: 'drawing-geofence' }, ...['', 'enter', 'leave', 'both'].map(v => h('option', { value: v, text: v ? t(`fence_${v}` as any) : t('noGeofence') }))) as HTMLSelectElement;
    const dlg = h('dialog', { 'aria-label': t('draw') }) as HTMLDialogElement;
    dlg.append(h('form', { onsubmit: async (e: Event) => {
      e.preventDefault();
      const body: Record<string, unknown> = { geometry, label: label.value, category: cat.value };
      if (area && fence.value) body.geofence = { on: fence.value };
      try { await api.req('POST', `/api/v1/rooms/${this.room.id}/drawings`, body); dlg.close(); dlg.remove(); } catch (err) { alertError(err); }
    } }, h('label', { for: 'drawing-label', text: t('label') }), label, h('label', { for: 'drawing-category', text: t('category') }), cat,
      area ? h('label', { for: 'drawing-geofence', text: t('geofence') }) : null, area ? fence : null,
      h('div', {}, h('button', { type: 'submit', id: 'drawing-save' }, t('save')), ' ', h('button', { type: 'button', class: 'secondary', onclick: () => { dlg.close(); dlg.remove(); } }, t('cancel')))));
    document.body.append(dlg);
    dlg.showModal();
    label.focus();
  }

  async loadPOIs() {
    const fc = await api.req('GET', `/api/v1/rooms/${this.room.id}/pois`);
    for (const f of fc.features) this.pois.set(f.id, f);
    for (const it of await outbox.items().catch(() => [] as OutboxItem[])) if (it.kind === 'poi' && it.room === this.room.id) this.outboxChanged(it);
    const pos = await api.req('GET', `/api/v1/rooms/${this.room.id}/positions`);
    for (const f of pos.features) this.officers.set(f.properties.user, { ...f.properties, lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1] });
    this.queueRender();
  }

  async loadLayers() {
    const layers = (await api.req('GET', '/api/v1/layers')).items as any[];
    const colors = ['#2e7d32', '#ef6c00', '#6a1b9a', '#00838f', '#5d4037'];
    const add = () => layers.forEach((l, i) => {
      const id = `layer-${l.id}`;
      if (this.map.getSource(id)) return;
      this.map.addSource(id, { type: 'vector', tiles: [`${location.origin}/api/v1/layers/${l.id}/tiles/{z}/{x}/{y}.mvt`], maxzoom: 16 });
      const color = colors[i % colors.length];
      this.map.addLayer({ id: `${id}-fill`, type: 'fill', source: id, 'source-layer': l.id, filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': color, 'fill-opacity': 0.12 } }, 'pois');
      this.map.addLayer({ id: `${id}-line`, type: 'line', source: id, 'source-layer': l.id, filter: ['!=', ['geometry-type'], 'Point'], paint: { 'line-color': color, 'line-width': 1 } }, 'pois');
      this.map.addLayer({ id: `${id}-point`, type: 'circle', source: id, 'source-layer': l.id, filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 4, 'circle-color': color, 'circle-opacity': 0.8 } }, 'pois');
      this.dataLayerIDs.push(`${id}-fill`, `${id}-line`, `${id}-point`);
    });
    for (const l of layers) {
      const box = h('input', { type: 'checkbox', id: `toggle-${l.id}`, checked: true, onchange: (e: Event) => {
        const vis = (e.target as HTMLInputElement).checked ? 'visible' : 'none';
        for (const s of ['fill', 'line', 'point']) this.map.setLayoutProperty(`layer-${l.id}-${s}`, 'visibility', vis);
      } });
      const swatch = h('span', { class: 'swatch', style: `background:${colors[layers.indexOf(l) % colors.length]}`, 'aria-hidden': 'true' });
      this.layerBox.append(h('div', {}, box, ' ', swatch, ' ', h('label', { for: `toggle-${l.id}`, text: `${l.name} (${l.count})` })));
    }
    this.mapLoaded.then(add); // above the map's own layers, which come with its load
  }

  async loadChats() {
    this.chats = (await api.req('GET', `/api/v1/rooms/${this.room.id}/chats`)).items;
    this.members = (await api.req('GET', `/api/v1/rooms/${this.room.id}/members`)).items;
    const tabs: Node[] = this.chats.map(c => h('button', { role: 'tab', 'data-chat': c.id, 'aria-selected': String(this.chat?.id === c.id), onclick: () => this.openChat(c) },
      c.name, c.unread && c.id !== this.chat?.id ? h('span', { class: 'badge', text: String(c.unread) }) : null));
    if (this.room.my_role !== 'observer') tabs.push(h('button', { id: 'new-chat', class: 'secondary', onclick: () => this.newChatDialog() }, `+ ${t('newChat')}`));
    this.tabs.replaceChildren(...tabs);
    this.updateTitle();
    this.renderRoomAdmin(); // also in a room without chats yet
    this.replay?.setMembers(this.members);
    if (!this.chat && this.chats.length) await this.openChat(this.chats[0]);
  }

  async openChat(c: any) {
    this.chat = c;
    for (const b of this.tabs.querySelectorAll('button[role=tab]')) {
      b.setAttribute('aria-selected', String(b.getAttribute('data-chat') === c.id));
      if (b.getAttribute('data-chat') === c.id) b.querySelector('.badge')?.remove();
    }
    this.updateTitle();
    // The newest messages first; older ones load when the list is
    // scrolled to its top.
    const r = await api.req('GET', `/api/v1/chats/${c.id}/messages?order=desc&limit=100`);
    this.msgList.replaceChildren();
    this.orderAcks.clear();
    debug.messages = 0;
    for (const m of [...r.items].reverse()) this.appendMessage(m);
    for (const it of await outbox.items().catch(() => [] as OutboxItem[])) if (it.chat === c.id && it.kind !== 'positions') this.renderOutboxItem(it);
    this.olderCursor = r.next_cursor || '';
    this.msgList.scrollTop = this.msgList.scrollHeight;
    this.queueMarkRead();
    await this.renderMembers();
    await this.showReadBy();
  }

  async renderMembers() {
    if (!this.chat) return;
    const ms = (await api.req('GET', `/api/v1/chats/${this.chat.id}/members`)).items as any[];
    this.chatMembers = ms;
    const mine = this.chat.my_permissions || [];
    const canManage = mine.includes('manage');
    const rows = ms.map(m => h('tr', {}, h('td', { text: `${m.user.callsign || ''} ${m.user.name}` }),
      h('td', {}, ...['read', 'write', 'manage'].map(p => {
        const id = `perm-${m.user.id}-${p}`;
        const box = h('input', { type: 'checkbox', id, checked: m.permissions.includes(p), disabled: !canManage || p === 'read', onchange: async (e: Event) => {
          const on = (e.target as HTMLInputElement).checked;
          const next = on ? [...new Set([...m.permissions, p])] : m.permissions.filter((x: string) => x !== p);
          try { await api.req('PUT', `/api/v1/chats/${this.chat.id}/members/${m.user.id}`, { permissions: next }); } catch (err) { alertError(err); }
          this.renderMembers();
        } });
        return h('span', {}, box, h('label', { for: id, text: t(p as any) }), ' ');
      }))));
    const open = this.memberBox.querySelector('details')?.hasAttribute('open');
    const extra: (HTMLElement | null)[] = [];
    if (canManage && !this.room.archived_at) {
      const inChat = new Set(ms.map(m => m.user.id));
      const candidates = this.members.filter(m => !inChat.has(m.user.id));
      if (candidates.length) {
        const pick = h('select', { id: 'chat-add-user', 'aria-label': t('addMember') }, ...candidates.map(m => h('option', { value: m.user.id, text: `${m.user.callsign || ''} ${m.user.name}`.trim() }))) as HTMLSelectElement;
        extra.push(h('form', { class: 'chat-add', onsubmit: async (e: Event) => {
          e.preventDefault();
          try { await api.req('PUT', `/api/v1/chats/${this.chat.id}/members/${pick.value}`, { permissions: ['read', 'write'] }); } catch (err) { alertError(err); }
          this.renderMembers();
        } }, pick, ' ', h('button', { type: 'submit', id: 'chat-add' }, t('addMember'))));
      }
      extra.push(h('button', { type: 'button', class: 'secondary', id: 'chat-rename', onclick: async () => {
        const name = window.prompt(t('rename'), this.chat.name);
        if (name && name.trim() && name !== this.chat.name) {
          try { await api.req('PATCH', `/api/v1/chats/${this.chat.id}`, { name }); } catch (err) { alertError(err); }
        }
      } }, t('renameChat')));
    }
    this.memberBox.replaceChildren(h('details', { open: open || false }, h('summary', { text: `${t('members')} · ${t('rights')} (${ms.length})` }), h('table', {}, ...rows), ...extra));
    this.renderRoomAdmin();
  }

  // renderRoomAdmin is the room's settings for its leads: rename, archive
  // or restore, the members with their roles, and adding colleagues by
  // name from the directory.
  renderRoomAdmin() {
    if (this.room.my_role !== 'lead') { this.roomBox.replaceChildren(); return; }
    const open = this.roomBox.querySelector('details')?.hasAttribute('open');
    const archived = !!this.room.archived_at;
    const patch = async (body: any) => {
      try { Object.assign(this.room, await api.req('PATCH', `/api/v1/rooms/${this.room.id}`, body)); route(); } catch (err) { alertError(err); }
    };
    const actions = h('div', { class: 'room-actions' },
      h('button', { type: 'button', class: 'secondary', id: 'room-rename', onclick: () => {
        const name = window.prompt(t('rename'), this.room.name);
        if (name && name.trim() && name !== this.room.name) patch({ name });
      } }, t('rename')), ' ',
      h('button', { type: 'button', class: archived ? '' : 'danger', id: 'room-archive', onclick: () => patch({ archived: !archived }) }, archived ? t('restore') : t('archive')));
    const rows = this.members.map(m => h('tr', {}, h('td', { text: `${m.user.callsign || ''} ${m.user.name}`.trim() }),
      h('td', {}, m.user.id === this.me ? t(`role_${m.role}` as any) : h('select', { 'aria-label': t('role'), disabled: archived, onchange: async (e: Event) => {
        try { await api.req('PUT', `/api/v1/rooms/${this.room.id}/members/${m.user.id}`, { role: (e.target as HTMLSelectElement).value }); } catch (err) { alertError(err); }
      } }, ...['lead', 'member', 'observer'].map(r => h('option', { value: r, selected: r === m.role, text: t(`role_${r}` as any) }))))));
    const search = h('input', { type: 'search', id: 'user-search', placeholder: t('addByName'), 'aria-label': t('addByName'), autocomplete: 'off', disabled: archived }) as HTMLInputElement;
    const role = h('select', { id: 'user-role', 'aria-label': t('role') }, ...['member', 'observer', 'lead'].map(r => h('option', { value: r, text: t(`role_${r}` as any) }))) as HTMLSelectElement;
    const hits = h('ul', { class: 'user-hits', id: 'user-hits' });
    let timer = 0;
    search.addEventListener('input', () => {
      clearTimeout(timer);
      timer = window.setTimeout(async () => {
        if (search.value.trim().length < 2) { hits.replaceChildren(); return; }
        const inRoom = new Set(this.members.map(m => m.user.id));
        try {
          const us = (await api.req('GET', `/api/v1/users?q=${encodeURIComponent(search.value.trim())}&limit=10`)).items as any[];
          hits.replaceChildren(...us.filter(u => !inRoom.has(u.id)).map(u => h('li', {}, h('button', { type: 'button', class: 'user-hit', onclick: async () => {
            try { await api.req('PUT', `/api/v1/rooms/${this.room.id}/members/${u.id}`, { role: role.value }); search.value = ''; hits.replaceChildren(); } catch (err) { alertError(err); }
          } }, `${u.callsign || ''} ${u.name}`.trim()))));
          debug.userHits = us.length;
        } catch (err) { alertError(err); }
      }, 250);
    });
    this.roomBox.replaceChildren(h('details', { open: open || false }, h('summary', { text: t('roomSettings') }), actions,
      h('table', {}, ...rows), h('div', { class: 'user-add' }, search, ' ', role), hits));
  }

  newChatDialog() {
    const name = h('input', { id: 'chat-name', required: true }) as HTMLInputElement;
    const boxes = this.members.map(m => h('div', {}, h('input', { type: 'checkbox', id: `cm-${m.user.id}`, value: m.user.id }), ' ', h('label', { for: `cm-${m.user.id}`, text: `${m.user.callsign} ${m.user.name} (${m.role})` })));
    const dlg = h('dialog', {}) as HTMLDialogElement;
    dlg.append(h('form', { onsubmit: async (e: Event) => {
      e.preventDefault();
      const ids = [...dlg.querySelectorAll('input[type=checkbox]:checked')].map(b => (b as HTMLInputElement).value);
      try { const c = await api.req('POST', `/api/v1/rooms/${this.room.id}/chats`, { name: name.value, members: ids }); dlg.close(); dlg.remove(); this.chat = c; await this.loadChats(); await this.openChat(c); }
      catch (err) { alertError(err); }
    } }, h('label', { for: 'chat-name', text: t('name') }), name, ...boxes,
      h('div', {}, h('button', { type: 'submit', id: 'chat-create' }, t('create')), ' ', h('button', { type: 'button', class: 'secondary', onclick: () => { dlg.close(); dlg.remove(); } }, t('cancel')))));
    document.body.append(dlg);
    dlg.showModal();
  }

  // queueMarkRead moves the read marker of the open chat to its newest
  // message a moment after it was shown (while the page is looked at).
  queueMarkRead() {
    if (this.markTimer !== null) return;
    this.markTimer = window.setTimeout(() => {
      this.markTimer = null;
      if (!this.chat || document.visibilityState !== 'visible') return;
      const seqs = [...this.msgList.querySelectorAll<HTMLElement>('[data-seq]')].map(e => Number(e.dataset.seq)).filter(n => n > 0);
      if (seqs.length) api.req('POST', `/api/v1/chats/${this.chat.id}/read`, { seq: Math.max(...seqs) }).catch(() => {});
    }, 1500);
  }

  // showReadBy marks the caller's own messages with how many members
  // have read them.
  async showReadBy() {
    if (!this.chat) return;
    const marks = (await api.req('GET', `/api/v1/chats/${this.chat.id}/reads`).catch(() => ({ items: [] }))).items as { user: string; seq: number }[];
    const others = Math.max(0, this.chatMembers.length - 1);
    for (const el of this.msgList.querySelectorAll<HTMLElement>('[data-mine="true"]')) {
      const seq = Number(el.dataset.seq);
      const n = marks.filter(k => k.user !== this.me && k.seq >= seq).length;
      let label = el.querySelector('.read-by');
      if (!label) {
        label = h('button', { type: 'button', class: 'link read-by', onclick: () => this.showReaders(el) });
        el.querySelector('.who')?.append(' · ', label);
      }
      label.textContent = `${t('readBy')} ${n}/${others}`;
    }
    debug.readBy = marks.length;
  }

  // showReaders lists who has read one of the caller's messages and who
  // has not yet, under the message (a second click closes the list).
  async showReaders(el: HTMLElement) {
    const old = el.querySelector('.readers');
    if (old) { old.remove(); return; }
    try {
      const st = await api.req('GET', `/api/v1/messages/${el.dataset.id}/reads`);
      const line = (u: string, at?: string) => h('li', { text: at ? `${this.nameOf(u)} · ${timeOf(at)}` : this.nameOf(u) });
      el.append(h('div', { class: 'readers', id: `readers-${el.dataset.id}` },
        h('strong', { text: t('readBy') }), h('ul', {}, ...st.read.map((r: any) => line(r.user, r.at))),
        st.unread.length ? h('strong', { text: t('notYetRead') }) : null, h('ul', {}, ...st.unread.map((u: string) => line(u)))));
      debug.readers = st.read.length;
    } catch (err) { alertError(err); }
  }

  // bumpBadge counts a new message on the tab of a chat not open.
  bumpBadge(chatID: string) {
    const tab = this.tabs.querySelector(`[data-chat="${chatID}"]`);
    if (!tab) return;
    let badge = tab.querySelector('.badge');
    if (!badge) { badge = h('span', { class: 'badge', text: '0' }); tab.append(badge); }
    badge.textContent = String(Number(badge.textContent || '0') + 1);
    this.updateTitle();
  }

  // updateTitle counts in the tab title what is unread: the badges of the
  // other chats plus what came while the page was not looked at (open
  // alarms take the title over, see alarmsChanged).
  updateTitle() {
    if (debug.alarms) return;
    const badges = [...this.tabs.querySelectorAll('.badge')].reduce((n, b) => n + Number(b.textContent || '0'), 0);
    const n = badges + this.unseen;
    document.title = n ? `(${n}) ${this.room.name}` : this.room.name;
    debug.titleCount = n;
  }

  // setReply marks the message the next one answers (null: none).
  setReply(m: any) {
    this.replyTo = m;
    this.replyChip.hidden = !m;
    if (m) this.replyChip.replaceChildren(`${t('replyTo')} ${m.sender.callsign || m.sender.name}: ${(m.text || m.kind).slice(0, 60)} `,
      h('button', { class: 'link', 'aria-label': t('cancel'), onclick: () => this.setReply(null) }, '✕'));
    document.getElementById('compose-text')?.focus();
  }

  // loadOlder prepends the next older page of the open chat, keeping the
  // reader's place in the list.
  async loadOlder() {
    if (!this.chat || !this.olderCursor || this.loadingOlder) return;
    this.loadingOlder = true;
    try {
      const r = await api.req('GET', `/api/v1/chats/${this.chat.id}/messages?order=desc&limit=100&before_seq=${this.olderCursor}`);
      const height = this.msgList.scrollHeight;
      for (const m of r.items) this.appendMessage(m, true);
      this.msgList.scrollTop = this.msgList.scrollHeight - height;
      this.olderCursor = r.next_cursor || '';
    } finally { this.loadingOlder = false; }
  }

  appendMessage(m: any, prepend = false) {
    if (m.client_id) this.msgList.querySelector(`[data-client-id="${m.client_id}"]`)?.remove();
    if (!this.chat || m.chat !== this.chat.id || this.msgList.querySelector(`[data-id="${m.id}"]`)) return;
    if (!prepend) this.noteNewMessage(m);
    const el = h('article', { class: `msg ${m.priority && m.priority !== 'normal' ? `prio-${m.priority}` : ''}`, 'data-id': m.id, 'data-kind': m.kind, 'data-seq': m.seq, 'data-mine': String(m.sender?.id === this.me) },
      h('div', { class: 'who', text: `${m.sender.callsign || m.sender.name} · ${timeOf(m.created_at)}${m.priority === 'urgent' ? ` · ${t('prioUrgent')}` : m.priority === 'flash' ? ` · ${t('prioFlash')}` : ''}` }));
    const fly = (lon: number, lat: number) => this.map.flyTo({ center: [lon, lat], zoom: Math.max(this.map.getZoom(), 15) });
    if (m.reply_to) el.append(h('blockquote', { class: 'quote', text: `${m.reply_to.sender.callsign || m.reply_to.sender.name}: ${m.reply_to.text || m.reply_to.kind}` }));
    if ((m.mentions || []).includes(this.me)) el.classList.add('mentioned');
    if (m.deleted) {
      el.append(h('div', { class: 'text deleted', text: t('deleted') }));
      if (prepend) this.msgList.prepend(el); else this.msgList.append(el);
      return;
    }
    if (m.text) el.append(h('div', { class: 'text', text: m.text }));
    if (m.edited_at) el.append(h('span', { class: 'edited', text: `(${t('edited')})` }));
    if (m.kind === 'location' && m.location) el.append(h('button', { class: 'secondary', onclick: () => fly(m.location.lon, m.location.lat) }, `${t('location')}: ${m.location.lat.toFixed(5)}, ${m.location.lon.toFixed(5)}`));
    if (m.kind === 'poi' && m.poi) {
      const p = this.pois.get(m.poi.id);
      el.append(h('button', { class: 'secondary', onclick: () => { const q = this.pois.get(m.poi.id); if (q) fly(q.geometry.coordinates[0], q.geometry.coordinates[1]); } }, `${t('poi')}: ${p?.properties?.name || ''}`));
    }
    if (m.attachment) {
      const base = `/api/v1/attachments/${m.attachment.id}`;
      if (m.kind === 'photo') {
        const img = h('img', { alt: m.text || t('photo'), tabindex: 0 }) as HTMLImageElement;
        api.blobURL(`${base}/thumbnail`).then(u => { img.src = u; }).catch(() => api.blobURL(base).then(u => { img.src = u; }));
        const open = () => api.blobURL(base).then(u => window.open(u, '_blank'));
        img.addEventListener('click', open);
        img.addEventListener('keydown', (e) => { if ((e as KeyboardEvent).key === 'Enter') open(); });
        el.append(img);
        if (m.location) {
          el.append(h('button', { class: 'secondary', onclick: () => fly(m.location.lon, m.location.lat) }, `${t('location')}`));
          this.photos.set(m.id, { type: 'Feature', properties: { message: m.id, attachment: m.attachment.id, text: m.text || '' }, geometry: { type: 'Point', coordinates: [m.location.lon, m.location.lat] } });
          this.queueRender();
        }
      } else if (m.kind === 'audio' || m.kind === 'video') {
        const media = h(m.kind, { controls: true }) as HTMLMediaElement;
        const load = () => api.blobURL(base).then(u => { media.src = u; });
        // A phone asks before it loads a large video (mobile data, battery).
        if (field && m.kind === 'video' && (m.attachment.size || 0) > 20 * 1024 * 1024) {
          const ask: HTMLElement = h('button', { class: 'secondary load-video', onclick: () => { ask.replaceWith(media); load(); } }, `${t('loadVideo')} (${fileInfo(m.attachment)})`);
          el.append(ask);
        } else {
          load();
          el.append(media, h('div', { class: 'file-info', text: fileInfo(m.attachment) }));
        }
      } else {
        el.append(h('button', { class: 'secondary', onclick: () => api.blobURL(base).then(u => window.open(u, '_blank')) }, `${t('file')}: ${m.attachment.name || m.text || 'PDF'} (${fileInfo(m.attachment)})`));
      }
    }
    if (m.ack_required) el.append(this.ackControl(m));
    el.append(h('button', { class: 'link reply', 'aria-label': t('reply'), onclick: () => this.setReply(m) }, `↩ ${t('reply')}`));
    if (m.sender?.id === this.me) {
      if (m.kind === 'text') el.append(' ', h('button', { class: 'link msg-action', onclick: () => {
        const text = window.prompt(t('edit'), m.text || '');
        if (text && text.trim() && text !== m.text) api.req('PATCH', `/api/v1/messages/${m.id}`, { text }).catch(alertError);
      } }, t('edit')));
      let armed = false; // deleting asks first
      const del: HTMLElement = h('button', { class: 'link msg-action', onclick: () => {
        if (!armed) { armed = true; del.textContent = t('confirmDelete'); return; }
        api.req('DELETE', `/api/v1/messages/${m.id}`).catch(alertError);
      } }, t('delete'));
      el.append(' ', del);
    }
    if (prepend) {
      this.msgList.prepend(el);
    } else {
      const atBottom = this.msgList.scrollHeight - this.msgList.scrollTop - this.msgList.clientHeight < 80;
      this.msgList.append(el);
      if (atBottom || m.sender?.id === this.me) this.msgList.scrollTop = this.msgList.scrollHeight;
    }
    debug.messages = this.msgList.children.length;
  }

  // ackControl is an order's acknowledgement line: the sender sees how
  // many took note (the list on click), everyone else a button to take
  // note.
  ackControl(m: any): HTMLElement {
    const box = h('div', { class: 'acks', 'data-acks': m.id });
    const mine = m.sender.id === this.me;
    const show = async () => {
      const st = await api.req('GET', `/api/v1/messages/${m.id}/acks`).catch(() => null);
      if (!st) return;
      const acked = st.acked.length, all = acked + st.pending.length;
      if (mine) {
        const list = h('div', { class: 'ack-list', hidden: true },
          ...st.acked.map((k: any) => h('div', { text: `✓ ${this.nameOf(k.user)} ${timeOf(k.at)}` })),
          ...st.pending.map((u: string) => h('div', { text: `… ${this.nameOf(u)}` })));
        box.replaceChildren(h('button', { class: 'link ack-count', onclick: () => { list.hidden = !list.hidden; } }, `${t('acks')}: ${acked}/${all}`), list);
        this.orderAcks.set(m.id, { text: m.text || '', acked, all });
        this.renderPending();
      } else if (st.acked.some((k: any) => k.user === this.me)) {
        box.replaceChildren(h('span', { class: 'ack-done', text: `✓ ${t('acked')}` }));
      } else {
        box.replaceChildren(h('button', { class: 'ack-it', onclick: async () => { await api.req('POST', `/api/v1/messages/${m.id}/ack`).catch(alertError); show(); } }, t('ackIt')));
      }
    };
    (box as any).refresh = show;
    show();
    return box;
  }

  // renderPending lists the caller's orders in the open chat that not
  // everyone has acknowledged yet.
  renderPending() {
    const rows = [...this.orderAcks.values()].filter(o => o.acked < o.all)
      .map(o => h('div', { class: 'pending-row', text: `${o.acked}/${o.all} · ${o.text}` }));
    this.pendingBox.replaceChildren(h('summary', { text: `${t('pendingAcks')} (${rows.length})` }), ...(rows.length ? rows : [h('div', { text: t('noPending') })]));
    debug.pendingAcks = rows.length;
  }

  // notify draws attention to something outside what is being looked at:
  // a sound, a count in the tab title, a vibration, and a system
  // notification when the user allowed them.
  notify(title: string, body: string, elsewhere = false) {
    if (!elsewhere && document.visibilityState === 'visible' && document.hasFocus()) return;
    this.audio = tone(this.audio, [988]);
    this.unseen++;
    this.updateTitle();
    navigator.vibrate?.([200, 100, 200]);
    if ('Notification' in window && Notification.permission === 'granted') new Notification(title, { body, tag: 'einsatzraum' });
    debug.notified = (debug.notified || 0) + 1;
  }

  async sendText(text: string) {
    if (!this.chat) return;
    const body: Record<string, unknown> = { kind: 'text', text };
    const order: Record<string, unknown> = this.prio ? { priority: this.prio.value, ack_required: this.askAck.checked } : {};
    if (this.replyTo) order.reply_to = this.replyTo.id;
    // @Callsign or @Name of a chat member mentions them.
    const mentions = this.chatMembers.filter(m => [m.user.callsign, m.user.name].some((n: string) => n && text.includes(`@${n}`))).map(m => m.user.id);
    if (mentions.length) order.mentions = mentions;
    this.setReply(null);
    if (this.prio) { this.prio.value = 'normal'; this.askAck.checked = false; }
    // Into the outbox first: shown at once as pending, sent when the
    // network takes it, never lost in between.
    await outbox.add({ id: newClientID(), kind: 'message', chat: this.chat.id, body: { ...body, ...order } }).catch(alertError);
  }

  async sendFile(f: File) {
    if (!this.chat) return;
    const file = await compressPhoto(f);
    const name = file === f ? f.name : f.name.replace(/\.[^.]*$/, '') + '.jpg';
    const body: Record<string, unknown> = {};
    const fix = sharer.active ? sharer.last : null; // where it was taken, only when the officer shares their position
    if (fix && file.type.startsWith('image/')) body.location = { lat: fix.coords.latitude, lon: fix.coords.longitude };
    await outbox.add({ id: newClientID(), kind: 'file', chat: this.chat.id, body, file, fileName: name }).catch(alertError);
  }

  // noteNewMessage keeps the newest message in view when the list is at
  // its end; otherwise it offers a jump to the new ones (and counts them
  // on the chat tab of the phone while the map is shown).
  noteNewMessage(m: any) {
    const list = this.msgList;
    const atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    requestAnimationFrame(() => {
      if (atEnd) list.scrollTop = list.scrollHeight;
      else if (m.sender?.id !== this.me) this.newJump.hidden = false;
    });
    if (field && this.pane === 'map' && m.sender?.id !== this.me) {
      this.paneUnread++;
      this.chatTab.textContent = `${t('chats')} (${this.paneUnread})`;
    }
  }

  // showPane switches the phone between the map and the chat.
  showPane(pane: 'map' | 'chat') {
    this.pane = pane;
    this.mainEl.dataset.pane = pane;
    this.mapTab.setAttribute('aria-selected', String(pane === 'map'));
    this.chatTab.setAttribute('aria-selected', String(pane === 'chat'));
    if (pane === 'chat') {
      this.paneUnread = 0;
      this.chatTab.textContent = t('chats');
      this.msgList.scrollTop = this.msgList.scrollHeight;
    } else requestAnimationFrame(() => this.map?.resize());
  }

  // outboxChanged shows what happens to an item of the outbox: pending
  // (kept, waiting for the network), sent (replaced by the message) or
  // failed (the server refused it: why, with retry and discard).
  outboxChanged(item: OutboxItem, sent?: any) {
    if (item.kind === 'poi' && item.room === this.room.id) {
      this.pendingPOIs.delete(item.id);
      if (item.state === 'pending') {
        this.pendingPOIs.set(item.id, { type: 'Feature', id: item.id, properties: { ...item.body, id: item.id, pending: true }, geometry: { type: 'Point', coordinates: [item.body.lon, item.body.lat] } });
      } else if (item.state === 'sent' && sent) {
        this.pois.set(sent.id, { type: 'Feature', id: sent.id, properties: sent, geometry: { type: 'Point', coordinates: [sent.lon, sent.lat] } });
      } else if (item.state === 'failed') {
        alertError(new ApiError(400, item.error || 'error', ''));
        outbox.discard(item.id);
      }
      this.queueRender();
      return;
    }
    if (item.kind === 'positions' || item.chat !== this.chat?.id) return;
    if (item.state === 'sent') {
      if (sent) this.appendMessage(sent);
      this.msgList.querySelector(`[data-client-id="${item.id}"]`)?.remove();
      debug.pending = this.msgList.querySelectorAll('.msg.pending').length;
      return;
    }
    this.renderOutboxItem(item);
  }

  // renderOutboxItem shows an outbox item in the open chat until the
  // server has it.
  renderOutboxItem(item: OutboxItem) {
    const text = item.body.text || item.fileName || '';
    const status = item.state === 'failed'
      ? h('span', { class: 'outbox-state failed' }, `⚠ ${errorText(item.error || 'error')} `,
        h('button', { class: 'link', onclick: () => outbox.retry(item.id) }, t('retry')), ' ',
        h('button', { class: 'link', onclick: async () => { await outbox.discard(item.id); el.remove(); } }, t('discard')))
      : h('span', { class: 'outbox-state' }, `⏳ ${t('pending')}`);
    const el = h('article', { class: `msg pending ${item.state}`, 'data-client-id': item.id, 'data-mine': 'true' },
      h('div', { class: 'who', text: `${t('me')} · ${timeOf(new Date(item.at).toISOString())}` }), h('div', { class: 'text', text }), status);
    const old = this.msgList.querySelector(`[data-client-id="${item.id}"]`);
    if (old) old.replaceWith(el); else { this.msgList.append(el); this.msgList.scrollTop = this.msgList.scrollHeight; }
    debug.pending = this.msgList.querySelectorAll('.msg.pending').length;
  }

  // sharingChanged updates the share button (sharing is the app's, see
  // LocationSharer).
  sharingChanged() {
    const btn = document.getElementById('share-location');
    if (btn) btn.textContent = sharer.active ? t('stopSharing') : t('shareLocation');
  }

  onEvent(ev: any) {
    switch (ev.type) {
      case 'message.created':
        this.appendMessage(ev.message);
        if (ev.message.chat === this.chat?.id) { this.queueMarkRead(); if (ev.message.sender.id === this.me) this.showReadBy(); }
        else if (ev.message.sender.id !== this.me) this.bumpBadge(ev.message.chat);
        if (ev.message.sender.id !== this.me && (ev.message.priority === 'urgent' || ev.message.priority === 'flash' || (ev.message.mentions || []).includes(this.me))) {
          this.notify(`${ev.message.sender.callsign || ev.message.sender.name}: ${ev.message.priority === 'flash' ? t('prioFlash') : t('prioUrgent')}`, ev.message.text || '',
            ev.message.chat !== this.chat?.id); // in a chat not open here: tell even while the page is looked at
        }
        break;
      case 'message.updated': {
        const el = this.msgList.querySelector(`[data-id="${ev.message.id}"]`);
        const text = el?.querySelector('.text');
        if (text) text.textContent = ev.message.text;
        if (el && !el.querySelector('.edited')) text?.after(h('span', { class: 'edited', text: `(${t('edited')})` }));
        break;
      }
      case 'message.deleted': {
        const el = this.msgList.querySelector(`[data-id="${ev.message}"]`);
        if (el) el.replaceChildren(el.querySelector('.who') || '', h('div', { class: 'text deleted', text: t('deleted') }));
        break;
      }
      case 'chat.read': if (ev.chat === this.chat?.id && ev.user !== this.me) this.showReadBy(); break;
      case 'message.acked': {
        const box = this.msgList.querySelector<HTMLElement>(`[data-acks="${ev.message}"]`);
        (box as any)?.refresh?.();
        break;
      }
      case 'poi.created': this.pois.set(ev.poi.id, { type: 'Feature', id: ev.poi.id, properties: ev.poi, geometry: { type: 'Point', coordinates: [ev.poi.lon, ev.poi.lat] } }); this.queueRender(); break;
      case 'poi.deleted': this.pois.delete(ev.poi); this.queueRender(); break;
      case 'drawing.created': case 'drawing.updated': this.drawings.set(ev.drawing.id, ev.drawing); this.renderDrawings(); break;
      case 'drawing.deleted': this.drawings.delete(ev.drawing); this.renderDrawings(); break;
      case 'geofence.crossed':
        this.fenceLog.add(ev as Crossing, true);
        this.notify(t('geofence'), this.fenceLog.describe(ev as Crossing));
        break;
      case 'alarm.raised': case 'alarm.acked': case 'alarm.cancelled':
        this.alarmBoard.set(ev.alarm);
        if (ev.type === 'alarm.raised' && ev.alarm.user !== this.me) this.notify(`${t('emergency')}: ${this.nameOf(ev.alarm.user)}`, ev.alarm.text || '');
        break;
      case 'chat.created': case 'chat.member.updated': case 'chat.member.removed': case 'member.updated': case 'member.removed': case 'chat.updated':
        this.loadChats().then(() => this.renderMembers()).catch(() => {});
        break;
      case 'room.updated':
        if (!!ev.archived !== !!this.room.archived_at || ev.name !== this.room.name) route(); // the header and what may be written change
        break;
    }
  }
}

// bearing is the initial great-circle bearing from a to b, in degrees
// clockwise from north.
function bearing(a: maplibregl.LngLat, b: maplibregl.LngLat): number {
  const r = Math.PI / 180;
  const y = Math.sin((b.lng - a.lng) * r) * Math.cos(b.lat * r);
  const x = Math.cos(a.lat * r) * Math.sin(b.lat * r) - Math.sin(a.lat * r) * Math.cos(b.lat * r) * Math.cos((b.lng - a.lng) * r);
  return (Math.atan2(y, x) / r + 360) % 360;
}

// fileInfo is an attachment's size and type for people ("52 MB, video/mp4").
function fileInfo(a: { size?: number; mime?: string }): string {
  const n = a.size || 0;
  const size = n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(n >= 10 * 1024 * 1024 ? 0 : 1)} MB` : `${Math.max(1, Math.round(n / 1024))} kB`;
  return a.mime ? `${size}, ${a.mime}` : size;
}

function timeOf(ts: string) { return new Date(ts).toLocaleTimeString(currentLang() === 'de' ? 'de-DE' : 'en-GB'); }

function alertError(err: unknown) {
  const msg = err instanceof ApiError ? errorText(err.code) : isOffline(err) ? t('err_network') : String(err);
  const box = h('div', { role: 'alert', class: 'error', style: 'position:fixed;bottom:1em;left:1em;background:#fff;padding:.6em;border:1px solid;z-index:10' }, msg);
  document.body.append(box);
  setTimeout(() => box.remove(), 6000);
}

async function route() {
  current?.close();
  current = null;
  document.documentElement.lang = localStorage.getItem('ez.lang') || 'de';
  const link = location.hash.match(/^#(confirm|reset)\/([A-Za-z0-9_-]+)$/); // a mailed link, logged in or not
  if (link) return link[1] === 'confirm' ? showConfirm(pages, link[2]) : showReset(pages, link[2]);
  if (!api.token) {
    if (location.hash === '#register') return showRegister(pages);
    if (location.hash === '#forgot') return showForgot(pages);
    return showLogin();
  }
  try {
    if (location.hash === '#account') return await showAccount(pages);
    if (location.hash === '#admin') return await showAdmin(pages);
    const m = location.hash.match(/^#room\/(.+)$/);
    if (!m) return await showRooms();
    const room = await api.req('GET', `/api/v1/rooms/${m[1]}`);
    current = new RoomView(room);
    await current.open();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) { await wipeLocal(); return showLogin(); }
    if (err instanceof ApiError && err.code === 'totp_enrolment_required') return showTOTPRequired(pages);
    alertError(err);
  }
}

window.addEventListener('hashchange', route);
// A page that could not be drawn without network is drawn when it is back.
window.addEventListener('online', () => { if (!current && api.token) route(); });
route();
