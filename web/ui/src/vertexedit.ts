// Editing a drawing's shape on the map: every corner of a polygon or line
// (or a circle's centre, or a marker) becomes a handle that can be
// dragged; a circle's radius is a number in the bar. "Save" sends the new
// geometry (PATCH /drawings/{id}); "Cancel" leaves the drawing as it was.

import * as maplibregl from './vendor/maplibre-gl.mjs';
import { h } from './dom';
import { t } from './i18n';
import { circlePolygon } from './mapgeo';

type Pt = [number, number];

export class VertexEditor {
  readonly bar: HTMLElement;
  private handles: maplibregl.Marker[] = [];
  private points: Pt[];
  private radius: HTMLInputElement | null = null;

  // drawing is as the API gives it; save gets the changed fields.
  constructor(private map: maplibregl.Map, private drawing: any, private save: (patch: Record<string, unknown>) => Promise<void>, private done: () => void) {
    const g = drawing.geometry;
    this.points = g.type === 'Polygon' ? g.coordinates[0].slice(0, -1) : g.type === 'LineString' ? [...g.coordinates] : [g.coordinates];
    if (drawing.radius_m) {
      this.radius = h('input', { type: 'number', id: 'edit-radius', min: 1, max: 100000, step: 1, value: Math.round(drawing.radius_m), 'aria-label': t('radius') }) as HTMLInputElement;
      this.radius.addEventListener('input', () => this.preview());
    }
    this.bar = h('div', { class: 'edit-bar', id: 'edit-bar' }, h('span', { text: t('editHint') }), ' ',
      this.radius ? h('label', { for: 'edit-radius', text: `${t('radius')} (m)` }) : null, this.radius, ' ',
      h('button', { id: 'edit-save', onclick: () => this.finish(true) }, t('save')), ' ',
      h('button', { class: 'secondary', id: 'edit-cancel', onclick: () => this.finish(false) }, t('cancel')));
    this.points.forEach((p, i) => {
      const el = h('div', { class: 'vertex-handle', 'data-index': i, title: `${i + 1}` });
      const m = new maplibregl.Marker({ element: el, draggable: true }).setLngLat(p).addTo(map);
      m.on('drag', () => { const ll = m.getLngLat(); this.points[i] = [ll.lng, ll.lat]; this.preview(); });
      this.handles.push(m);
    });
    (window as any).ez.editHandles = this.handles.length;
    this.preview();
  }

  // geometry is the shape as the handles hold it now.
  geometry(): any {
    const g = this.drawing.geometry;
    if (g.type === 'Polygon') return { type: 'Polygon', coordinates: [[...this.points, this.points[0]], ...g.coordinates.slice(1)] };
    if (g.type === 'LineString') return { type: 'LineString', coordinates: this.points };
    return { type: 'Point', coordinates: this.points[0] };
  }

  private preview() {
    const g = this.geometry();
    const shape = this.radius ? circlePolygon(g.coordinates, Number(this.radius.value) || this.drawing.radius_m) : g;
    this.map.getSource<maplibregl.GeoJSONSource>('sketch')?.setData({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: {},
      geometry: shape.type === 'Polygon' ? { type: 'LineString', coordinates: shape.coordinates[0] } : shape }] });
  }

  private async finish(keep: boolean) {
    if (keep) {
      const patch: Record<string, unknown> = { geometry: this.geometry() };
      if (this.radius) patch.radius_m = Number(this.radius.value);
      try { await this.save(patch); } catch { return; } // the caller said why; the handles stay for another try
    }
    for (const m of this.handles) m.remove();
    this.handles = [];
    this.map.getSource<maplibregl.GeoJSONSource>('sketch')?.setData({ type: 'FeatureCollection', features: [] });
    this.bar.remove();
    (window as any).ez.editHandles = 0;
    this.done();
  }
}
