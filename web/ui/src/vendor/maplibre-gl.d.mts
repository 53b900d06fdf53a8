// The types of ./vendor/maplibre-gl.mjs, which the page loads from the
// server at run time (build.mjs copies it there; esbuild leaves it
// external): MapLibre's own declarations from the npm package.
export * from 'maplibre-gl';
