// Geometry helpers of the map views.

// circlePolygon approximates a circle of radius metres around [lon, lat]
// by 64 corners.
export function circlePolygon(c: [number, number], radius: number): GeoJSON.Polygon {
  const ring: [number, number][] = [];
  const dLat = radius / 111320;
  const dLon = radius / (111320 * Math.cos(c[1] * Math.PI / 180));
  for (let i = 0; i <= 64; i++) {
    const a = (i % 64) / 64 * 2 * Math.PI;
    ring.push([c[0] + dLon * Math.cos(a), c[1] + dLat * Math.sin(a)]);
  }
  return { type: 'Polygon', coordinates: [ring] };
}

export function emptyFC(): GeoJSON.FeatureCollection { return { type: 'FeatureCollection', features: [] }; }
