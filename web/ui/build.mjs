// Builds the dashboard into dist/: our TypeScript bundled by esbuild,
// MapLibre's three ES modules and CSS copied beside it (MapLibre loads its
// worker from next to itself), everything served by the Go server.
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist/vendor', { recursive: true });
// Kept in git so that `go build` embeds dist even before the first build.
writeFileSync('dist/.placeholder', 'The dashboard is built here by `npm run build` (make ui).\n');
for (const f of ['maplibre-gl.mjs', 'maplibre-gl-shared.mjs', 'maplibre-gl-worker.mjs', 'maplibre-gl.css']) {
  cpSync(`node_modules/maplibre-gl/dist/${f}`, `dist/vendor/${f}`);
}
cpSync('src/index.html', 'dist/index.html');
// The installable app: manifest, icons and the service worker, whose cache
// is named after this build so that a new build replaces the old shell.
for (const f of ['manifest.webmanifest', 'icon-192.png', 'icon-512.png']) cpSync(`public/${f}`, `dist/${f}`);
writeFileSync('dist/sw.js', readFileSync('public/sw.js', 'utf8').replace('__BUILD__', new Date().toISOString()));
cpSync('src/styles.css', 'dist/styles.css');
await esbuild.build({
  entryPoints: ['src/main.ts'],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  outfile: 'dist/app.js',
  external: ['./vendor/*'],
  logLevel: 'info',
});
