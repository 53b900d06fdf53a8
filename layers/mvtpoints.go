package layers

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"slices"
	"sync"
)

// Tiles of points only (schools, kindergartens, a million hydrants) are
// written here straight into the Mapbox Vector Tile protobuf (spec 2): a
// point needs no clipping, simplifying or winding, and going through
// GeoJSON features and a generic encoder cost eight times as much.

// tilePoint is one point of a tile: its feature ID, its slot in the
// layer's pointTags, its position in tile units and, when thinned, how many
// points it stands for (point_count; 0: no such property).
type tilePoint struct {
	id, slot   int32
	x, y       int32
	pointCount int
}

// pointTags holds the properties of a layer's points as tiles write them,
// made once with the layer: every distinct property name and value of the
// layer once, and per feature its (name, value) pairs as indexes into them,
// sorted by name, nil values left out. A tile then deduplicates small
// integers instead of hashing strings, and reads flat arrays. The features
// are in slots, in an order of the layer's choosing: a layer of points
// puts them in the order of its point index, so that a tile, whose points
// are neighbours there, reads its tags (and, mostly, its values) in
// memory order instead of a cache miss per point.
type pointTags struct {
	keys   []string
	values []pointValue
	pairs  []uint32 // key index, value index, key index, ...: all slots
	start  []uint32 // slot i's pairs are pairs[start[i]:start[i+1]]
}

// newPointTags converts the properties of the features in order (slot i
// holds feature order[i]); features that are not points get none: their
// tiles take the general encoder.
func newPointTags(features []Feature, order []int32, isPoint []bool) pointTags {
	t := pointTags{start: make([]uint32, len(order)+1)}
	keyIndex := map[string]uint32{}
	valueIndex := map[pointValue]uint32{}
	var names []string
	for slot, id := range order {
		t.start[slot] = uint32(len(t.pairs))
		if !isPoint[id] {
			continue
		}
		f := features[id]
		names = names[:0]
		for k := range f.Properties {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			v, ok := toPointValue(f.Properties[k])
			if !ok {
				continue
			}
			ki, ok := keyIndex[k]
			if !ok {
				ki = uint32(len(t.keys))
				keyIndex[k] = ki
				t.keys = append(t.keys, k)
			}
			vi, ok := valueIndex[v]
			if !ok {
				vi = uint32(len(t.values))
				valueIndex[v] = vi
				t.values = append(t.values, v)
			}
			t.pairs = append(t.pairs, ki, vi)
		}
	}
	t.start[len(order)] = uint32(len(t.pairs))
	return t
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

// pointEncoder is what encodePointTile keeps between tiles (a pool of
// them): its tables and buffers, so that a tile allocates only its result.
type pointEncoder struct {
	keyOf      []int32           // layer key index -> tile key index, -1: not yet
	keys       []string          // the tile's keys
	valueOf    map[uint32]uint32 // layer value index -> tile value index
	countOf    map[int]uint32    // point_count -> tile value index
	values     []pointValue      // the tile's values
	countKey   int32             // tile key index of point_count, -1: not yet
	features   []byte
	tags, body []byte
}

var pointEncoders = sync.Pool{New: func() any {
	return &pointEncoder{valueOf: map[uint32]uint32{}, countOf: map[int]uint32{}}
}}

// encodePointTile writes one layer named name with the points, in order,
// their properties from tags.
func encodePointTile(name string, tags *pointTags, pts []tilePoint) []byte {
	e := pointEncoders.Get().(*pointEncoder)
	defer pointEncoders.Put(e)
	e.keyOf = slices.Grow(e.keyOf[:0], len(tags.keys))[:len(tags.keys)]
	for i := range e.keyOf {
		e.keyOf[i] = -1
	}
	e.keys, e.values, e.countKey = e.keys[:0], e.values[:0], -1
	clear(e.valueOf)
	clear(e.countOf)

	e.features = e.features[:0]
	for _, p := range pts {
		e.tags = e.tags[:0]
		pairs := tags.pairs[tags.start[p.slot]:tags.start[p.slot+1]]
		for i := 0; i < len(pairs); i += 2 {
			k := e.keyOf[pairs[i]]
			if k < 0 {
				k = int32(len(e.keys))
				e.keyOf[pairs[i]] = k
				e.keys = append(e.keys, tags.keys[pairs[i]])
			}
			v, ok := e.valueOf[pairs[i+1]]
			if !ok {
				v = uint32(len(e.values))
				e.valueOf[pairs[i+1]] = v
				e.values = append(e.values, tags.values[pairs[i+1]])
			}
			e.tags = binary.AppendUvarint(e.tags, uint64(k))
			e.tags = binary.AppendUvarint(e.tags, uint64(v))
		}
		if p.pointCount > 0 {
			if e.countKey < 0 {
				e.countKey = int32(len(e.keys))
				e.keys = append(e.keys, pointCountProp)
			}
			v, ok := e.countOf[p.pointCount]
			if !ok {
				v = uint32(len(e.values))
				e.countOf[p.pointCount] = v
				e.values = append(e.values, pointValue{kind: valueSint, n: zigzag(int64(p.pointCount))})
			}
			e.tags = binary.AppendUvarint(e.tags, uint64(e.countKey))
			e.tags = binary.AppendUvarint(e.tags, uint64(v))
		}
		e.body = e.body[:0]
		e.body = appendTag(e.body, featureID, wireVarint)
		e.body = binary.AppendUvarint(e.body, uint64(p.id))
		if len(e.tags) > 0 {
			e.body = appendBytes(e.body, featureTags, e.tags)
		}
		e.body = appendTag(e.body, featureType, wireVarint)
		e.body = binary.AppendUvarint(e.body, geomTypePoint)
		var geom [3 * binary.MaxVarintLen64]byte
		g := binary.AppendUvarint(geom[:0], cmdMoveToOnce)
		g = binary.AppendUvarint(g, zigzag(int64(p.x)))
		g = binary.AppendUvarint(g, zigzag(int64(p.y)))
		e.body = appendBytes(e.body, featureGeom, g)
		e.features = appendBytes(e.features, layerFeatures, e.body)
	}

	e.body = e.body[:0] // now the layer's head: version and name
	e.body = appendTag(e.body, layerVersion, wireVarint)
	e.body = binary.AppendUvarint(e.body, 2)
	e.body = appendBytes(e.body, layerName, []byte(name))
	e.tags = e.tags[:0] // now the layer's tail: keys, values, extent
	for _, k := range e.keys {
		e.tags = appendBytes(e.tags, layerKeys, []byte(k))
	}
	var v [16 + binary.MaxVarintLen64]byte
	for _, val := range e.values {
		var b []byte
		switch val.kind {
		case valueString:
			e.tags = appendTag(e.tags, layerValues, wireBytes)
			e.tags = binary.AppendUvarint(e.tags, uint64(sizeOfBytes(valueString, len(val.s))))
			e.tags = appendBytes(e.tags, valueString, []byte(val.s))
			continue
		case valueDouble:
			b = appendTag(v[:0], valueDouble, wire64)
			b = binary.LittleEndian.AppendUint64(b, val.n)
		default: // valueSint, valueBool: varints
			b = appendTag(v[:0], int(val.kind), wireVarint)
			b = binary.AppendUvarint(b, val.n)
		}
		e.tags = appendBytes(e.tags, layerValues, b)
	}
	e.tags = appendTag(e.tags, layerExtent, wireVarint)
	e.tags = binary.AppendUvarint(e.tags, tileExtent)

	layerLen := len(e.body) + len(e.features) + len(e.tags)
	out := make([]byte, 0, layerLen+1+binary.MaxVarintLen64)
	out = appendTag(out, tileLayers, wireBytes)
	out = binary.AppendUvarint(out, uint64(layerLen))
	out = append(out, e.body...)
	out = append(out, e.features...)
	return append(out, e.tags...)
}

// sizeOfBytes is the length of appendBytes(nil, field, data of n bytes).
func sizeOfBytes(field, n int) int {
	var b [2 * binary.MaxVarintLen64]byte
	return len(appendTag(b[:0], field, wireBytes)) + len(binary.AppendUvarint(b[:0], uint64(n))) + n
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
