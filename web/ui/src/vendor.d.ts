// MapLibre is loaded as an ES module from ./vendor at run time (not bundled).
declare module './vendor/maplibre-gl.mjs' {
  const maplibregl: any;
  export = maplibregl;
}
