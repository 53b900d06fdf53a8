// Drives the dashboard and the field view in Debian's Chromium against a
// running demo server: EZ_URL, EZ_EMAIL, EZ_PASSWORD; screenshots go to
// EZ_SHOTS. Exits non-zero on the first failed check.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { createHmac } from 'node:crypto';

const url = process.env.EZ_URL, email = process.env.EZ_EMAIL, password = process.env.EZ_PASSWORD;
const shots = process.env.EZ_SHOTS || 'test-results';
mkdirSync(shots, { recursive: true });
const tinyJPEG = Buffer.from('/9j/2wCEAA0JCgsKCA0LCgsODg0PEyAVExISEyccHhcgLikxMC4pLSwzOko+MzZGNywtQFdBRkxOUlNSMj5aYVpQYEpRUk8BDg4OExETJhUVJk81LTVPT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT//AABEIACAAMAMBIgACEQEDEQH/xAGiAAABBQEBAQEBAQAAAAAAAAAAAQIDBAUGBwgJCgsQAAIBAwMCBAMFBQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+gEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoLEQACAQIEBAMEBwUEBAABAncAAQIDEQQFITEGEkFRB2FxEyIygQgUQpGhscEJIzNS8BVictEKFiQ04SXxFxgZGiYnKCkqNTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqCg4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2dri4+Tl5ufo6ery8/T19vf4+fr/2gAMAwEAAhEDEQA/AOSQVOgpiCp0FZywxyUGSIKnQUxBU6CsJYY9egx6CrCCo0FWEFc8sMevQZzyCp0FMQVOgr6+WGPjKDJEFToKYgqdBWEsMevQY9BVhBUaCrCCueWGPXoM/9k=', 'base64');

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
});
const t0 = Date.now();
// Waits are upper bounds, scaled for a loaded machine: make test runs this
// beside the race-enabled suite on two cores, where a step can take three
// times as long as alone (EZ_TIMEOUT_SCALE, default 3).
const timeoutScale = Number(process.env.EZ_TIMEOUT_SCALE || 3);
const T = (ms) => ms * timeoutScale;
const step = (m) => console.log('e2e:', m, `(${((Date.now() - t0) / 1000).toFixed(1)} s)`);
function check(ok, msg) { if (!ok) throw new Error('check failed: ' + msg); }
const ez = (page, fn, arg) => page.evaluate(fn, arg);

// totpCode is RFC 6238's code (SHA-1, 6 digits, 30 s) of a base32 secret at ms.
function totpCode(secret, ms) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(ms / 1000 / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const o = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}

async function openRoom(page, query = '', who = { email, password }) {
  await page.goto(url + '/' + query);
  await page.fill('#email', who.email);
  await page.fill('#password', who.password);
  await page.click('#login');
  await page.click('.room-link');
  await page.waitForFunction(() => window.ez && window.ez.mapReady && window.ez.live === 'live', null, { timeout: T(30000) });
}

try {
  const dashCtx = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  const dash = await dashCtx.newPage();
  dash.on('pageerror', (e) => console.log('page error:', e.message));
  await openRoom(dash);
  step('logged in, demo room open');

  // Officers move.
  await dash.waitForFunction(() => window.ez.officers >= 30, null, { timeout: T(20000) });
  const before = await ez(dash, () => window.ez.positions());
  await dash.waitForFunction((b) => Object.entries(window.ez.positions()).filter(([u, p]) => b[u] && (b[u][0] !== p[0] || b[u][1] !== p[1])).length >= 10, before, { timeout: T(20000) });
  step('officer markers move');

  // Show all forces on the street map: roads, water and place names drawn
  // from this server's tiles.
  await dash.click('#show-all');
  await dash.waitForFunction(() => window.ez.rendered(['roads-minor', 'roads-main', 'roads-motorway']) > 20 && window.ez.rendered(['place-names']) > 3, null, { timeout: T(15000) });
  await dash.screenshot({ path: shots + '/streets.png' });
  step('street map drawn (' + await ez(dash, () => window.ez.rendered(['roads-minor', 'roads-main', 'roads-motorway'])) + ' roads)');

  // Search a street by its abbreviation: the map flies there.
  await dash.fill('#place-search', 'Kulmbacher Str');
  await dash.waitForFunction(() => window.ez.placeHits > 0, null, { timeout: T(10000) });
  await dash.press('#place-search', 'Enter');
  await dash.waitForFunction(() => window.ez.flewTo && window.ez.flewTo.name === 'Kulmbacher Straße', null, { timeout: T(10000) });
  await dash.waitForFunction(() => { const [lon, lat, z] = window.ez.center(); const f = window.ez.flewTo; return Math.abs(lon - f.lon) < 1e-4 && Math.abs(lat - f.lat) < 1e-4 && z > 16.5; }, null, { timeout: T(15000) });
  await dash.waitForFunction(() => window.ez.rendered(['road-names']) > 0, null, { timeout: T(15000) });
  step('search flew to Kulmbacher Straße');
  await dash.click('#show-all');
  const toggle = dash.locator('.layers input[type=checkbox]').first();
  const layerID = (await toggle.getAttribute('id')).replace('toggle-', 'layer-') + '-point';
  check(await ez(dash, (id) => window.ez.visibility(id), layerID) === 'visible', 'layer visible at first');
  await toggle.uncheck();
  check(await dash.evaluate((id) => window.ez.visibility(id), layerID) === 'none', 'layer hidden after the toggle');
  await toggle.check();
  step('layer toggled');

  // Add a POI by clicking the map, then delete it from its popup.
  const poisBefore = await ez(dash, () => window.ez.pois);
  await dash.click('#add-poi');
  const box = await dash.locator('#map canvas').boundingBox();
  await dash.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await dash.fill('#poi-name', 'Testpunkt Browser');
  await dash.click('#poi-save');
  await dash.waitForFunction((n) => window.ez.pois === n + 1, poisBefore, { timeout: T(10000) });
  const newPOI = (await ez(dash, () => window.ez.poiIDs())).at(-1);
  const at = await ez(dash, (id) => window.ez.poiAt(id), newPOI);
  const [px, py] = await ez(dash, ([lon, lat]) => window.ez.project(lon, lat), at);
  await dash.waitForTimeout(500);
  await dash.mouse.click(box.x + px, box.y + py);
  await dash.click('#delete-poi'); // the first click asks
  await dash.waitForTimeout(300);
  check(await ez(dash, () => window.ez.pois) === poisBefore + 1, 'one click does not delete');
  await dash.click('#delete-poi');
  await dash.waitForFunction((n) => window.ez.pois === n, poisBefore, { timeout: T(10000) });
  step('POI added and deleted (after asking)');

  // A click on a school shows its properties.
  const pt = await ez(dash, () => window.ez.dataPoint());
  check(pt !== null, 'a data layer point is on screen');
  await dash.mouse.click(box.x + pt[0], box.y + pt[1]);
  await dash.waitForFunction(() => window.ez.featurePopups >= 1, null, { timeout: T(15000) });
  const popup = await dash.locator('.popup-feature').innerText();
  check(/amenity\s+(kindergarten|fire_station)/.test(popup) && /osm_id/.test(popup), 'the popup lists the feature\'s tags: ' + popup);
  step('layer feature popup');

  // Measure between two points of the map.
  await dash.click('#measure');
  await dash.mouse.click(box.x + box.width - 400, box.y + box.height - 150); // clear of the toolbar
  await dash.mouse.click(box.x + box.width - 150, box.y + box.height - 150);
  await dash.waitForSelector('#measure-result', { timeout: T(15000) });
  check(await ez(dash, () => window.ez.measured) > 0, 'a distance was measured');
  step('distance measured');

  // A message sent here arrives in a second browser context, where a
  // second officer is logged in.
  const otherCtx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const other = await otherCtx.newPage();
  await openRoom(other, '', { email: process.env.EZ_EMAIL2, password: process.env.EZ_PASSWORD2 });
  const text = 'Browsertest ' + Date.now();
  await dash.fill('#compose-text', text);
  await dash.click('#send');
  await other.waitForFunction((t) => [...document.querySelectorAll('.msg .text')].some((e) => e.textContent === t), text, { timeout: T(10000) });
  step('message arrived in the second context');
  // The sender's messages say how many members read them (the demo logs
  // in one user, so the count itself is checked by the Go tests).
  await dash.waitForFunction(() => [...document.querySelectorAll('.msg[data-mine="true"] .read-by')].some((e) => /[1-9]\d*\/\d+/.test(e.textContent)), null, { timeout: T(15000) });
  step('own messages show read by N of M');
  // The list behind it names the second officer.
  await dash.locator('.msg[data-mine="true"] .read-by').last().click();
  await dash.waitForFunction(() => window.ez.readers >= 1 && [...document.querySelectorAll('.readers')].some((e) => e.textContent.includes('Fuchs 14/21')), null, { timeout: T(10000) });
  step('the reader list names who read it');

  // A message in the other chat badges that chat's tab in the second context.
  await dash.locator('.tabs button[role=tab]', { hasText: 'Führung' }).click();
  await dash.fill('#compose-text', 'Nur für die Führung');
  await dash.click('#send');
  await other.waitForFunction(() => { const b = [...document.querySelectorAll('.tabs button[role=tab]')].find((e) => e.textContent.startsWith('Führung'))?.querySelector('.badge'); return b && Number(b.textContent) >= 1; }, null, { timeout: T(10000) });
  check((await other.title()).startsWith('('), 'the tab title counts the unread message: ' + await other.title());
  step('unread badge on the other chat in the second context');
  await dash.locator('.tabs button[role=tab]', { hasText: 'Lage' }).click();
  await dash.waitForFunction(() => document.querySelectorAll('.msg').length > 3, null, { timeout: T(10000) });

  // An urgent order asking for acknowledgement: the sender sees 0 of N
  // and the order in the pending list.
  await dash.fill('#compose-text', 'Zugriff 14:00, bitte quittieren');
  await dash.selectOption('#compose-priority', 'urgent');
  await dash.check('#compose-ack');
  await dash.click('#send');
  await dash.waitForSelector('.msg.prio-urgent .ack-count', { timeout: T(10000) });
  check(/: 0\/\d+/.test(await dash.textContent('.msg.prio-urgent .ack-count')), 'the order shows 0 of N acknowledged');
  await dash.waitForFunction(() => window.ez.pendingAcks === 1, null, { timeout: T(15000) });
  step('urgent order sent, acknowledgements pending');

  // A reply quotes the message it answers.
  await dash.locator('.msg.prio-urgent button.reply').click();
  check(await dash.isVisible('#reply-chip'), 'the reply chip shows');
  await dash.fill('#compose-text', 'Verstanden, Zugriff um 14:00');
  await dash.click('#send');
  await dash.waitForFunction(() => [...document.querySelectorAll('.msg blockquote.quote')].some((q) => q.textContent.includes('bitte quittieren')), null, { timeout: T(10000) });
  step('reply with a quote');

  // Deleting one's own message asks first; every reader sees it deleted.
  const reply = dash.locator('.msg', { hasText: 'Verstanden, Zugriff um 14:00' }).last();
  const delButton = reply.locator('button.msg-action').last(); // edit, then delete
  await delButton.click();
  await delButton.click();
  await other.waitForFunction(() => [...document.querySelectorAll('.msg .text.deleted')].length >= 1, null, { timeout: T(10000) });
  step('message deleted for every reader');

  // Upload a photo: it shows as a thumbnail here and there.
  await dash.setInputFiles('#compose-file', { name: 'lage.jpg', mimeType: 'image/jpeg', buffer: tinyJPEG });
  await dash.waitForFunction(() => [...document.querySelectorAll('.msg[data-kind=photo] img')].some((i) => i.src.startsWith('blob:') && i.naturalWidth > 0), null, { timeout: T(15000) });
  await other.waitForFunction(() => [...document.querySelectorAll('.msg[data-kind=photo] img')].some((i) => i.src.startsWith('blob:') && i.naturalWidth > 0), null, { timeout: T(15000) });
  step('photo uploaded and shown');

  // A cordon drawn here (three corners) shows in the second context.
  const drawingsBefore = await ez(other, () => window.ez.drawings || 0);
  await dash.click('#draw');
  const mbox = await dash.locator('#map canvas').boundingBox();
  for (const [fx, fy] of [[0.45, 0.4], [0.6, 0.4], [0.55, 0.6]]) {
    await dash.mouse.click(mbox.x + mbox.width * fx, mbox.y + mbox.height * fy);
    await dash.waitForTimeout(150);
  }
  check(await ez(dash, () => window.ez.sketchPoints) === 3, 'three corners sketched');
  await dash.click('#draw-finish');
  await dash.fill('#drawing-label', 'Absperrung Browser');
  await dash.selectOption('#drawing-category', 'cordon');
  await dash.selectOption('#drawing-geofence', 'both');
  await dash.click('#drawing-save');
  await other.waitForFunction((n) => window.ez.drawings === n + 1, drawingsBefore, { timeout: T(10000) });
  await dash.waitForFunction(() => window.ez.rendered(['drawings-fill']) >= 1, null, { timeout: T(10000) });
  step('a cordon drawn here shows in the second context');
  await otherCtx.close(); // each open map costs CPU on every positions frame

  // The cordon is a geofence: walking in (positions over the API, as the
  // logged-in officer) shows a notice on the map and a line in the log.
  const cordon = await dash.evaluate(async () => {
    const fc = await (await fetch(`/api/v1/rooms/${location.hash.split('/')[1]}/drawings`, { headers: { Authorization: 'Bearer ' + sessionStorage.getItem('ez.token') } })).json();
    return fc.features.find((f) => f.properties.label === 'Absperrung Browser');
  });
  const ring = cordon.geometry.coordinates[0].slice(0, 3);
  // Well inside, off the centre (where the map is clicked below, not on the officer's dot).
  const inside = [0.6 * ring[0][0] + 0.2 * ring[1][0] + 0.2 * ring[2][0], 0.6 * ring[0][1] + 0.2 * ring[1][1] + 0.2 * ring[2][1]];
  const report = (lon, lat, ago) => dash.evaluate(async ([lon, lat, ago]) => {
    const r = await fetch('/api/v1/positions', { method: 'POST', headers: { Authorization: 'Bearer ' + sessionStorage.getItem('ez.token'), 'Content-Type': 'application/json' },
      body: JSON.stringify({ items: [{ lat, lon, ts: new Date(Date.now() - ago).toISOString() }] }) });
    return r.status;
  }, [lon, lat, ago]);
  check(await report(inside[0] + 0.05, inside[1], 3000) === 202, 'a position far outside the cordon');
  check(await report(inside[0], inside[1], 0) === 202, 'a position inside the cordon');
  await dash.waitForSelector('.fence-notice.fence-enter', { timeout: T(5000) });
  check(await ez(dash, () => window.ez.fenceLog) >= 1, 'the crossing is in the geofence log');
  await dash.screenshot({ path: shots + '/geofence.png' });
  step('walking into the cordon raised a geofence notice and a log line');

  // Its corners are moved by dragging: the drawing changes for everyone.
  await dash.mouse.click(mbox.x + mbox.width * 0.533, mbox.y + mbox.height * 0.467);
  await dash.click('#edit-drawing');
  await dash.waitForFunction(() => window.ez.editHandles === 3, null, { timeout: T(5000) });
  const handle = await dash.locator('.vertex-handle[data-index="0"]').boundingBox();
  await dash.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
  await dash.mouse.down();
  await dash.mouse.move(handle.x - 60, handle.y - 40, { steps: 8 });
  await dash.mouse.up();
  await dash.click('#edit-save');
  await dash.waitForFunction(() => window.ez.editHandles === 0, null, { timeout: T(5000) });
  const moved = await dash.evaluate(async (id) => (await (await fetch(`/api/v1/rooms/${location.hash.split('/')[1]}/drawings`, { headers: { Authorization: 'Bearer ' + sessionStorage.getItem('ez.token') } })).json())
    .features.find((f) => f.id === id).geometry.coordinates[0], cordon.id);
  check(moved[0][0] < ring[0][0] && moved[0][1] > ring[0][1] && moved[1][0] === ring[1][0], 'the dragged corner moved west and north, the others stayed: ' + JSON.stringify([ring, moved]));
  step('a corner of the cordon dragged and saved');

  // Replay: the demo officers' tracks of the last hour, played with the slider, exported as KML.
  await dash.click('#replay-box summary');
  await dash.waitForFunction(() => document.querySelectorAll('.replay-member').length >= 10, null, { timeout: T(5000) });
  await dash.click('#replay-load');
  await dash.waitForFunction(() => window.ez.replayTracks >= 5, null, { timeout: T(10000) });
  await dash.locator('#replay-slider').fill('500');
  await dash.waitForFunction(() => window.ez.replayHeads >= 5, null, { timeout: T(5000) });
  const replayAt = await ez(dash, () => window.ez.replayAt);
  await dash.click('#replay-play');
  await dash.waitForFunction((a) => window.ez.replayAt > a, replayAt, { timeout: T(5000) });
  await dash.click('#replay-play');
  await dash.screenshot({ path: shots + '/replay.png' });
  await dash.click('#replay-kml');
  await dash.waitForFunction(() => !!window.ez.kmlExported, null, { timeout: T(10000) });
  const kml = await dash.evaluate(async () => (await fetch(window.ez.kmlExported, { headers: { Authorization: 'Bearer ' + sessionStorage.getItem('ez.token') } })).text());
  check(kml.includes('<kml') && kml.includes('Absperrung Browser') && kml.includes('<TimeSpan>'), 'the KML holds the cordon and tracks');
  step('replayed ' + await ez(dash, () => window.ez.replayTracks) + ' tracks with the slider, exported as KML');

  // The field view on a phone shares its (mocked) location; the dashboard shows it.
  const fieldCtx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true,
    geolocation: { latitude: 50.02021, longitude: 11.54321, accuracy: 5 }, permissions: ['geolocation'] });
  const fieldPage = await fieldCtx.newPage();
  await openRoom(fieldPage, '?field');
  const me = await fieldPage.evaluate(async () => (await (await fetch('/api/v1/me', { headers: { Authorization: 'Bearer ' + sessionStorage.getItem('ez.token') } })).json()).id);
  await fieldPage.click('#share-location');
  await dash.waitForFunction((u) => { const p = window.ez.positions()[u]; return p && Math.abs(p[0] - 11.54321) < 1e-4 && Math.abs(p[1] - 50.02021) < 1e-4; }, me, { timeout: T(15000) });
  step('field position reached the dashboard');
  check(await fieldPage.locator('#camera').count() === 1, 'the field view offers the camera');

  // The emergency button: a short tap sends nothing, holding it raises an
  // alarm that takes over the dashboard until someone takes it on.
  const btn = await fieldPage.locator('#emergency').boundingBox();
  await fieldPage.mouse.move(btn.x + btn.width / 2, btn.y + btn.height / 2);
  await fieldPage.mouse.down();
  await fieldPage.waitForTimeout(300);
  await fieldPage.mouse.up();
  await fieldPage.waitForTimeout(1600);
  check(!(await ez(fieldPage, () => window.ez.alarmSent)), 'a short tap raised no alarm');
  await fieldPage.mouse.down();
  await fieldPage.waitForTimeout(1800);
  await fieldPage.mouse.up();
  await fieldPage.waitForFunction(() => !!window.ez.alarmSent, null, { timeout: T(15000) });
  await dash.waitForFunction(() => window.ez.alarms === 1, null, { timeout: T(10000) });
  check((await dash.title()).startsWith('(1)'), 'the tab title counts the alarm');
  check(await dash.locator('.alarm.unacked').count() === 1, 'the alarm shows, not yet taken on');
  await dash.screenshot({ path: shots + '/alarm.png' });
  await dash.locator('[id^=alarm-ack-]').click();
  await dash.waitForSelector('.alarm.acked', { timeout: T(10000) });
  await fieldPage.waitForSelector('.alarm.acked', { timeout: T(10000) }); // the raiser sees it was taken on
  await fieldPage.locator('[id^=alarm-cancel-]').click();
  await dash.waitForFunction(() => window.ez.alarms === 0, null, { timeout: T(10000) });
  step('emergency raised by holding, taken on, cancelled');

  // The list of forces finds the officer by call sign; stopping sharing
  // takes them off the dashboard's map at once and shows them offline.
  await dash.click('.forces summary');
  await dash.waitForFunction(() => window.ez.forces >= 30, null, { timeout: T(10000) });
  await dash.fill('#force-search', 'Fuchs 1/1');
  await dash.waitForFunction(() => window.ez.forces >= 1 && window.ez.forces < 5, null, { timeout: T(10000) });
  step('forces list searched');
  await fieldPage.click('#share-location');
  await dash.waitForFunction((u) => !window.ez.positions()[u], me, { timeout: T(10000) });
  check((await fieldPage.textContent('#share-location')).length > 0, 'the share button is back');
  step('stopping sharing took the officer off the map');
  await fieldPage.waitForTimeout(1500);
  await fieldPage.screenshot({ path: shots + '/field.png' });
  await fieldCtx.close();

  await dash.click('#show-all');
  await dash.waitForTimeout(2000);
  await dash.screenshot({ path: shots + '/dashboard.png' });
  step('screenshots saved in ' + shots);

  // The phone (390x844, the second officer): the service worker takes the
  // page, the input is wide and at the bottom, a message typed offline is
  // kept over a reload and arrives exactly once when the network is back,
  // and location sharing goes on on another page.
  const phoneCtx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true,
    geolocation: { latitude: 50.01, longitude: 11.55, accuracy: 8 }, permissions: ['geolocation'] });
  const phone = await phoneCtx.newPage();
  phone.on('pageerror', (e) => console.log('phone page error:', e.message));
  await phone.goto(url + '/?field');
  await phone.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: T(15000) });
  const manifest = await phone.evaluate(() => fetch('/manifest.webmanifest').then((r) => r.json()));
  check(manifest.display === 'standalone' && manifest.icons.some((i) => i.sizes === '512x512'), 'an installable manifest');
  await openRoom(phone, '?field', { email: process.env.EZ_EMAIL2, password: process.env.EZ_PASSWORD2 });
  await phone.waitForFunction(() => window.ez.drawings >= 1, null, { timeout: T(10000) }); // the cordon shows in the field view too
  await phone.click('#tab-chat');
  const input = await phone.locator('#compose-text').boundingBox();
  check(input && input.width >= 300 && input.y > 400 && input.y + input.height <= 844, 'the phone input is wide and at the bottom: ' + JSON.stringify(input));
  check(await phone.evaluate(() => document.documentElement.scrollHeight <= window.innerHeight + 1), 'the phone page does not scroll as a whole');
  step('phone layout: input ' + Math.round(input.width) + ' px wide at y ' + Math.round(input.y));
  const offlineText = 'Offline geschrieben ' + Date.now();
  await phoneCtx.setOffline(true);
  await phone.fill('#compose-text', offlineText);
  await phone.click('#send');
  await phone.waitForFunction(() => window.ez.pending === 1, null, { timeout: T(5000) });
  check(await phone.inputValue('#compose-text') === '', 'the input is free for the next message');
  // Its client_id is a UUIDv7 of now: later messages file at the end of the server's index.
  const clientID = await phone.getAttribute('.msg.pending', 'data-client-id');
  const idMillis = parseInt((clientID || '').replaceAll('-', '').slice(0, 12), 16);
  check(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(clientID || '') && Math.abs(Date.now() - idMillis) < 120000,
    'the client_id is a UUIDv7 of now: ' + clientID);
  await phone.reload();
  await phone.waitForFunction((t) => document.querySelector('h1')?.textContent?.startsWith('Demo') && [...document.querySelectorAll('.msg.pending .text')].some((e) => e.textContent === t), offlineText, { timeout: T(45000) }); // a reload draws the map before the chat
  step('offline: reloaded from the service worker, the message still pending');
  // A POI set offline waits grey on the phone's map.
  await phone.click('#tab-map');
  const dashPOIs = await ez(dash, () => window.ez.pois);
  await phone.click('#add-poi');
  const pbox = await phone.locator('#map canvas').boundingBox();
  await phone.mouse.click(pbox.x + pbox.width / 2, pbox.y + pbox.height * 0.7);
  await phone.fill('#poi-name', 'Offline-POI');
  await phone.click('#poi-save');
  await phone.waitForFunction(() => window.ez.pendingPOIs === 1, null, { timeout: T(10000) });
  await phone.click('#tab-chat');
  await phoneCtx.setOffline(false);
  await dash.waitForFunction((n) => window.ez.pois === n + 1, dashPOIs, { timeout: T(30000) });
  await phone.waitForFunction(() => window.ez.pendingPOIs === 0, null, { timeout: T(15000) });
  step('a POI set offline reached the dashboard when the network came back');
  await dash.waitForFunction((t) => [...document.querySelectorAll('.msg .text')].filter((e) => e.textContent === t).length === 1, offlineText, { timeout: T(30000) });
  await phone.waitForFunction(() => window.ez.pending === 0, null, { timeout: T(15000) });
  await dash.waitForTimeout(1500);
  check(await dash.evaluate((t) => [...document.querySelectorAll('.msg .text')].filter((e) => e.textContent === t).length, offlineText) === 1, 'the offline message arrived exactly once');
  step('back online: the message arrived exactly once');
  await phone.click('#tab-map');
  await phone.click('#share-location');
  await phone.waitForSelector('#sharing-status', { timeout: T(10000) });
  await phone.click('#back');
  await phone.waitForSelector('.room-link', { timeout: T(10000) });
  check(await phone.isVisible('#sharing-status'), 'the sharing indicator shows on the room list');
  const sent = phone.waitForRequest((r) => r.url().endsWith('/api/v1/positions') && r.method() === 'POST' && r.postData().includes('50.02'), { timeout: T(15000) });
  await phoneCtx.setGeolocation({ latitude: 50.02, longitude: 11.55, accuracy: 8 }); // 1.1 km on: reported at once
  await sent;
  step('location sharing goes on on the room list');
  await phone.click('#sharing-status'); // stop
  await phone.waitForFunction(() => !document.querySelector('#sharing-status'), null, { timeout: T(10000) });
  await phoneCtx.close();

  // A new room from the dashboard: a colleague added by name with a role,
  // renamed, archived (read-only), restored.
  await dash.click('#back');
  await dash.fill('#room-name', 'Browsertest Raum');
  await dash.click('#room-create');
  await dash.waitForFunction(() => window.ez && window.ez.mapReady && document.querySelector('h1')?.textContent === 'Browsertest Raum', null, { timeout: T(30000) });
  await dash.click('.room-admin summary');
  await dash.selectOption('#user-role', 'observer');
  await dash.fill('#user-search', 'Petersen');
  await dash.waitForSelector('.user-hit', { timeout: T(10000) });
  await dash.click('.user-hit');
  await dash.waitForFunction(() => [...document.querySelectorAll('.room-admin tr')].some((r) => r.textContent.includes('Jan Petersen') && r.querySelector('select')?.value === 'observer'), null, { timeout: T(10000) });
  step('a colleague added to a new room by name, as observer');
  dash.once('dialog', (d) => d.accept('Browsertest Raum (umbenannt)'));
  await dash.click('#room-rename');
  await dash.waitForFunction(() => document.querySelector('h1')?.textContent === 'Browsertest Raum (umbenannt)', null, { timeout: T(10000) });
  await dash.click('.room-admin summary');
  await dash.click('#room-archive');
  await dash.waitForSelector('#archived-note', { timeout: T(10000) });
  check(await dash.locator('form.compose').isHidden(), 'an archived room offers no writing');
  await dash.click('.room-admin summary');
  await dash.click('#room-archive');
  await dash.waitForFunction(() => !document.querySelector('#archived-note'), null, { timeout: T(10000) });
  step('room renamed, archived and restored');

  // An administrator: sets up the second factor from the account page
  // (a code computed here from the shown secret), logs in again with a
  // one-time code, disables a colleague on the administration page and
  // enables them again.
  const adminCtx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const adm = await adminCtx.newPage();
  adm.on('pageerror', (e) => console.log('admin page error:', e.message));
  await adm.goto(url + '/');
  await adm.fill('#email', process.env.EZ_ADMIN_EMAIL);
  await adm.fill('#password', process.env.EZ_ADMIN_PASSWORD);
  await adm.click('#login');
  await adm.click('#to-account');
  await adm.click('#totp-start');
  await adm.waitForSelector('#totp-qr', { timeout: T(5000) });
  const secret = await ez(adm, () => window.ez.totpSecret);
  await adm.fill('#totp-code', totpCode(secret, Date.now()));
  await adm.click('#totp-confirm');
  await adm.waitForFunction(() => document.querySelectorAll('#recovery-codes li').length === 10, null, { timeout: T(5000) });
  step('second factor set up from the QR code page, ten recovery codes shown');
  await adm.evaluate(() => { sessionStorage.clear(); location.hash = ''; location.reload(); });
  await adm.waitForSelector('#email');
  await adm.fill('#email', process.env.EZ_ADMIN_EMAIL);
  await adm.fill('#password', process.env.EZ_ADMIN_PASSWORD);
  await adm.click('#login');
  await adm.waitForSelector('#otp:visible', { timeout: T(5000) });
  await adm.fill('#otp', totpCode(secret, Date.now() + 30000)); // the next step: the last one counted once already
  await adm.click('#login');
  await adm.click('#to-admin');
  await adm.fill('#admin-search', 'Petersen');
  await adm.waitForFunction(() => window.ez.adminUsers === 1, null, { timeout: T(5000) });
  await adm.click('#admin-users [data-action=disable]');
  await adm.waitForSelector('#admin-users tr.state-disabled', { timeout: T(5000) });
  await adm.click('#admin-users [data-action=enable]');
  await adm.waitForSelector('#admin-users tr.state-active', { timeout: T(5000) });
  check(!(await adm.content()).includes('Lage'), 'the administration page shows no chat content');
  await adm.screenshot({ path: shots + '/admin.png' });
  step('logged in with a one-time code; a colleague disabled and enabled on the administration page');
  await browser.close();
  console.log('e2e: 1 passed, 0 failed');
} catch (e) {
  console.error('e2e:', e.message);
  for (const ctx of browser.contexts()) for (const [i, p] of ctx.pages().entries()) await p.screenshot({ path: `${shots}/failure-${browser.contexts().indexOf(ctx)}-${i}.png` }).catch(() => {});
  await browser.close();
  process.exit(1);
}
