// Builds the dashboard into dist/: our TypeScript bundled by esbuild,
// MapLibre's three ES modules and CSS copied beside it (MapLibre loads its
// worker from next to itself), everything served by the Go server.
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist/vendor', { recursive: true });
// Kept in git so that `go build` embeds dist even before the first build.
writeFileSync('dist/.placeholder', 'The dashboard is built here by `npm run build` (make ui).\n');
for (const f of ['maplibre-gl.mjs', 'maplibre-gl-shared.mjs', 'maplibre-gl-worker.mjs', 'maplibre-gl.css']) {
  cpSync(`node_modules/maplibre-gl/dist/${f}`, `dist/vendor/${f}`);
}
cpSync('src/index.html', 'dist/index.html');
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
