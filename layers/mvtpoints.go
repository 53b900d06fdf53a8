package layers

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"slices"
	"strings"
)

// Tiles of points only (schools, kindergartens, a million hydrants) are
// written here straight into the Mapbox Vector Tile protobuf (spec 2): a
// point needs no clipping, simplifying or winding, and going through
// GeoJSON features and a generic encoder cost eight times as much.

// tilePoint is one point of a tile: its feature ID, its position in tile
// units and its properties (plus point_count when thinned).
type tilePoint struct {
	id         uint64
	x, y       int32
	props      []pointProp
	pointCount int // 0: no point_count property
}

// pointProp is one property as a tile holds it.
type pointProp struct {
	key   string
	value pointValue
}

// pointProps returns feature id's properties sorted by key and converted
// (nil values left out), made once per feature: ranging over a map per
// point and tile cost a third of a point tile.
func (l *Layer) pointProps(id int32) []pointProp {
	tf := &l.tileFeats[id]
	if p := tf.props.Load(); p != nil {
		return *p
	}
	props := l.features[id].Properties
	out := make([]pointProp, 0, len(props))
	for k, v := range props {
		if pv, ok := toPointValue(v); ok {
			out = append(out, pointProp{k, pv})
		}
	}
	slices.SortFunc(out, func(a, b pointProp) int { return strings.Compare(a.key, b.key) })
	tf.props.Store(&out)
	return out
}

// Protobuf wire types and the field numbers of vector_tile.proto.
const (
	wireVarint = 0
	wire64     = 1
	wireBytes  = 2

	tileLayers     = 3
	layerVersion   = 15
	layerName      = 1
	layerFeatures  = 2
	layerKeys      = 3
	layerValues    = 4
	layerExtent    = 5
	featureID      = 1
	featureTags    = 2
	featureType    = 3
	featureGeom    = 4
	valueString    = 1
	valueDouble    = 3
	valueSint      = 6
	valueBool      = 7
	geomTypePoint  = 1
	cmdMoveToOnce  = 1<<3 | 1 // MoveTo, count 1
	pointCountProp = "point_count"
)

// pointValue is a property value as a vector tile value: its type and
// what it holds.
type pointValue struct {
	kind uint8 // valueString, valueDouble, valueSint, valueBool
	s    string
	n    uint64 // the double's bits, the zigzag int, the bool
}

// encodePointTile writes one layer named name with the points, in order.
func encodePointTile(name string, pts []tilePoint) []byte {
	// A layer has few property names: a short list beats hashing them.
	var keyList []string
	values := map[pointValue]uint32{}
	var valueList []pointValue
	keyIndex := func(k string) uint32 {
		for i, have := range keyList {
			if have == k {
				return uint32(i)
			}
		}
		keyList = append(keyList, k)
		return uint32(len(keyList) - 1)
	}
	valueIndex := func(v pointValue) uint32 {
		i, ok := values[v]
		if !ok {
			i = uint32(len(valueList))
			values[v] = i
			valueList = append(valueList, v)
		}
		return i
	}

	features := make([]byte, 0, len(pts)*24)
	var tags, body []byte
	for _, p := range pts {
		tags = tags[:0]
		for _, kv := range p.props {
			tags = binary.AppendUvarint(tags, uint64(keyIndex(kv.key)))
			tags = binary.AppendUvarint(tags, uint64(valueIndex(kv.value)))
		}
		if p.pointCount > 0 {
			tags = binary.AppendUvarint(tags, uint64(keyIndex(pointCountProp)))
			tags = binary.AppendUvarint(tags, uint64(valueIndex(pointValue{kind: valueSint, n: zigzag(int64(p.pointCount))})))
		}
		body = body[:0]
		body = appendTag(body, featureID, wireVarint)
		body = binary.AppendUvarint(body, p.id)
		if len(tags) > 0 {
			body = appendTag(body, featureTags, wireBytes)
			body = binary.AppendUvarint(body, uint64(len(tags)))
			body = append(body, tags...)
		}
		body = appendTag(body, featureType, wireVarint)
		body = binary.AppendUvarint(body, geomTypePoint)
		var geom [3 * binary.MaxVarintLen64]byte
		g := binary.AppendUvarint(geom[:0], cmdMoveToOnce)
		g = binary.AppendUvarint(g, zigzag(int64(p.x)))
		g = binary.AppendUvarint(g, zigzag(int64(p.y)))
		body = appendTag(body, featureGeom, wireBytes)
		body = binary.AppendUvarint(body, uint64(len(g)))
		body = append(body, g...)

		features = appendTag(features, layerFeatures, wireBytes)
		features = binary.AppendUvarint(features, uint64(len(body)))
		features = append(features, body...)
	}

	layer := make([]byte, 0, len(features)+len(keyList)*12+len(valueList)*12+32)
	layer = appendTag(layer, layerVersion, wireVarint)
	layer = binary.AppendUvarint(layer, 2)
	layer = appendBytes(layer, layerName, []byte(name))
	layer = append(layer, features...)
	for _, k := range keyList {
		layer = appendBytes(layer, layerKeys, []byte(k))
	}
	var v []byte
	for _, val := range valueList {
		v = v[:0]
		switch val.kind {
		case valueString:
			v = appendBytes(v, valueString, []byte(val.s))
		case valueDouble:
			v = appendTag(v, valueDouble, wire64)
			v = binary.LittleEndian.AppendUint64(v, val.n)
		default: // valueSint, valueBool: varints
			v = appendTag(v, int(val.kind), wireVarint)
			v = binary.AppendUvarint(v, val.n)
		}
		layer = appendBytes(layer, layerValues, v)
	}
	layer = appendTag(layer, layerExtent, wireVarint)
	layer = binary.AppendUvarint(layer, tileExtent)

	return appendBytes(make([]byte, 0, len(layer)+8), tileLayers, layer)
}

// toPointValue converts a property as tileProperties does: strings,
// numbers and booleans as they are, nil left out, anything else as JSON.
func toPointValue(v any) (pointValue, bool) {
	switch t := v.(type) {
	case string:
		return pointValue{kind: valueString, s: t}, true
	case float64:
		return pointValue{kind: valueDouble, n: math.Float64bits(t)}, true
	case int:
		return pointValue{kind: valueSint, n: zigzag(int64(t))}, true
	case int64:
		return pointValue{kind: valueSint, n: zigzag(t)}, true
	case bool:
		if t {
			return pointValue{kind: valueBool, n: 1}, true
		}
		return pointValue{kind: valueBool}, true
	case nil:
		return pointValue{}, false
	default:
		b, _ := json.Marshal(t)
		return pointValue{kind: valueString, s: string(b)}, true
	}
}

func zigzag(v int64) uint64 { return uint64((v << 1) ^ (v >> 63)) }

func appendTag(b []byte, field, wire int) []byte {
	return binary.AppendUvarint(b, uint64(field)<<3|uint64(wire))
}

func appendBytes(b []byte, field int, data []byte) []byte {
	b = appendTag(b, field, wireBytes)
	b = binary.AppendUvarint(b, uint64(len(data)))
	return append(b, data...)
}
