// Measures how smooth the dashboard stays with many officers: loads
// EZ_OFFICERS (default 5000) made-up officers into the map, pans for five
// seconds and prints frames per second. Software rendering (SwiftShader)
// in headless Chromium, so a real GPU does better. Not part of make test:
// a figure for the notes, not a pass/fail.
import { chromium } from 'playwright-core';

const url = process.env.EZ_URL, email = process.env.EZ_EMAIL, password = process.env.EZ_PASSWORD;
const n = Number(process.env.EZ_OFFICERS || 5000);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
});
const page = await (await browser.newContext({ viewport: { width: 1600, height: 1000 } })).newPage();
await page.goto(url);
await page.fill('#email', email);
await page.fill('#password', password);
await page.click('#login');
await page.click('.room-link');
await page.waitForFunction(() => window.ez && window.ez.mapReady, null, { timeout: 30000 });
for (const count of [0, n]) {
  if (count) await page.evaluate((k) => window.ez.synthetic(k), count);
  await page.waitForTimeout(1500);
  const fps = await page.evaluate(() => new Promise((done) => {
    let frames = 0; const start = performance.now();
    const canvas = document.querySelector('#map canvas');
    const tick = () => {
      frames++;
      const t = performance.now() - start;
      canvas.dispatchEvent(new WheelEvent('wheel', { deltaY: Math.sin(t / 400) * 4, bubbles: true }));
      if (t < 5000) requestAnimationFrame(tick); else done(frames / (t / 1000));
    };
    requestAnimationFrame(tick);
  }));
  console.log(`perf: ${await page.evaluate(() => window.ez.officers)} officers on the map: ${fps.toFixed(1)} frames/s while zooming`);
}
await browser.close();
