// Package geocode finds places by name the way people type them: in any
// case, without umlauts, abbreviated ("Maxstr" for "Maximilianstraße"),
// cut short and with a typo or two. It is a plain in-memory index: a
// state's streets and places are some hundred thousand names, a linear
// scan of prepared names takes well under a millisecond per thousand.
package geocode

import (
	"math"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Entry is one findable thing: its name, what kind of thing it is, where
// it comes from and where it is.
type Entry struct {
	Name   string
	Kind   string // place, street, address, poi, layer
	Source string // osm, poi, a layer's ID, ...
	Lon    float64
	Lat    float64
	Ref    string // the ID of the POI or feature, if any
}

// Hit is an entry with its score (higher is better).
type Hit struct {
	Entry
	Score float64
}

// prepared is a normalised name: the whole, without spaces, and its words.
type prepared struct {
	compact string
	words   []string
}

// Normalize folds a name for matching: lower case, umlauts and accents
// dropped to their base letter, ß as ss, "str." and "str" at a word's end
// as "strasse", punctuation as space.
func Normalize(s string) string { return normalize(s, true) }

func normalize(s string, expand bool) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case r == 'ß':
			b.WriteString("ss")
		case unicode.Is(unicode.Mn, r): // combining marks: the dots of ü
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		default:
			b.WriteByte(' ')
		}
	}
	words := strings.Fields(b.String())
	for i, w := range words {
		if expand && strings.HasSuffix(w, "str") {
			words[i] = w + "asse"
		}
	}
	return strings.Join(words, " ")
}

func prepare(s string) prepared { return prepareAs(normalize(s, true)) }

func prepareAs(n string) prepared {
	return prepared{compact: strings.ReplaceAll(n, " ", ""), words: strings.Fields(n)}
}

// Query is a prepared search text; Score rates names against it. It is
// tried as typed and with "str" read as "strasse" ("Bistr" may be a
// bistro, "Maxstr" a street).
type Query struct {
	forms []prepared
}

// NewQuery prepares a search text; ok is false when nothing findable is
// left in it (only spaces and punctuation).
func NewQuery(q string) (Query, bool) {
	expanded, raw := prepareAs(normalize(q, true)), prepareAs(normalize(q, false))
	forms := []prepared{expanded}
	if raw.compact != expanded.compact {
		forms = append(forms, raw)
	}
	return Query{forms}, expanded.compact != ""
}

// Score rates how well name matches the query, from 0 (not at all) to 1
// (the same name): the whole name (1.0), a prefix of it (0.9), a prefix of
// one of its words (0.8), every query word a prefix of a name word (0.75),
// the query's letters in order with the same first letter and a matching
// last word ("maxstr" in "maximilianstrasse", 0.6), a typo within the
// first letters (one edit per four letters: 0.55 minus 0.1 per edit).
// A shorter name scores a little higher among equal matches.
func (q Query) Score(name string) float64 {
	return q.score(prepare(name))
}

func (q Query) score(n prepared) float64 {
	best := 0.0
	for _, f := range q.forms {
		best = max(best, scoreForm(f, n))
	}
	return best
}

func scoreForm(q, n prepared) float64 {
	qc, nc := q.compact, n.compact
	if qc == "" || nc == "" {
		return 0
	}
	brevity := 0.05 * float64(len(qc)) / float64(max(len(nc), len(qc)))
	switch {
	case nc == qc:
		return 1
	case strings.HasPrefix(nc, qc):
		return 0.85 + brevity
	}
	for _, w := range n.words {
		if strings.HasPrefix(w, qc) {
			return 0.75 + brevity
		}
	}
	if len(q.words) > 1 && allWordsPrefix(q.words, n.words) {
		return 0.7 + brevity
	}
	if len(qc) >= 3 && qc[0] == nc[0] && subsequence(qc, nc) && sameEnding(q.words, n.words) {
		return 0.55 + brevity
	}
	if len(qc) >= 4 {
		allowed := len(qc) / 4
		best := allowed + 1
		for i := -1; i < len(n.words); i++ {
			cand := nc
			if i >= 0 {
				cand = n.words[i]
			}
			// A typo in the first letter is rare; checking only names that
			// start alike keeps a search over many names fast.
			if len(cand)+allowed < len(qc) || cand[0] != qc[0] {
				continue
			}
			prefix := cand[:min(len(cand), len(qc))]
			if d := editDistance(qc, prefix, allowed); d < best {
				best = d
			}
		}
		if best <= allowed {
			return 0.5 - 0.1*float64(best) + brevity
		}
	}
	return 0
}

func allWordsPrefix(query, name []string) bool {
	for _, q := range query {
		found := false
		for _, w := range name {
			if strings.HasPrefix(w, q) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// sameEnding says whether the query's last word ends like the name's last
// word, so "maxstr" matches streets but not every name with m, a, x, s in
// it: the last four letters of both agree.
func sameEnding(query, name []string) bool {
	q, n := query[len(query)-1], name[len(name)-1]
	k := min(4, len(q), len(n))
	return q[len(q)-k:] == n[len(n)-k:]
}

// subsequence says whether every byte of q appears in s in order.
func subsequence(q, s string) bool {
	i := 0
	for j := 0; j < len(s) && i < len(q); j++ {
		if s[j] == q[i] {
			i++
		}
	}
	return i == len(q)
}

// editDistance is the optimal-string-alignment distance of a and b in
// bytes (a swap of neighbours counts one; names are folded to ASCII
// letters first), or limit+1 once it must exceed limit. Only the band of
// cells within limit of the diagonal is computed.
func editDistance(a, b string, limit int) int {
	const maxLen = 64
	a, b = a[:min(len(a), maxLen)], b[:min(len(b), maxLen)]
	if len(a)-len(b) > limit || len(b)-len(a) > limit {
		return limit + 1
	}
	over := limit + 1
	var rows [3][maxLen + 2]int
	prev2, prev, cur := &rows[0], &rows[1], &rows[2]
	for j := 0; j <= len(b); j++ {
		prev[j] = min(j, over)
	}
	prev[len(b)+1] = over
	for i := 1; i <= len(a); i++ {
		lo, hi := max(1, i-limit), min(len(b), i+limit)
		cur[lo-1] = over
		if lo == 1 {
			cur[0] = min(i, over)
		}
		rowMin := cur[lo-1]
		for j := lo; j <= hi; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			c := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				c = min(c, prev2[j-2]+1)
			}
			cur[j] = c
			rowMin = min(rowMin, c)
		}
		cur[hi+1] = over
		if rowMin > limit {
			return over
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(b)], over)
}

// Index is a set of entries prepared for searching. It is not changed
// after NewIndex and may be searched from many goroutines.
type Index struct {
	entries []Entry
	names   []prepared
}

// NewIndex prepares entries for searching.
func NewIndex(entries []Entry) *Index {
	ix := &Index{entries: entries, names: make([]prepared, len(entries))}
	for i, e := range entries {
		ix.names[i] = prepare(e.Name)
	}
	return ix
}

// Len is the number of entries.
func (ix *Index) Len() int { return len(ix.entries) }

// Search returns the entries matching q, best first, at most limit.
func (ix *Index) Search(q Query, near *Near, limit int) []Hit {
	var hits []Hit
	for i := range ix.entries {
		if s := q.score(ix.names[i]); s > 0 {
			hits = append(hits, Hit{Entry: ix.entries[i], Score: s})
		}
	}
	return Rank(hits, near, limit)
}

// Near is where the searcher is (the map's centre); nearer hits of equal
// quality come first.
type Near struct {
	Lon, Lat float64
}

// nearBonus is added to a hit's score by its distance from near: 0.1 on
// the spot, 0.05 at 5 km, fading with distance.
func nearBonus(near *Near, e Entry) float64 {
	if near == nil {
		return 0
	}
	lat := (near.Lat + e.Lat) / 2 * math.Pi / 180
	dx := (e.Lon - near.Lon) * math.Cos(lat) * 111.32
	dy := (e.Lat - near.Lat) * 110.57
	km := math.Hypot(dx, dy)
	return 0.1 * 5 / (5 + km)
}

// Rank sorts hits from several sources best first (score plus nearness),
// keeps one of each name and kind at one spot and cuts to limit.
func Rank(hits []Hit, near *Near, limit int) []Hit {
	for i := range hits {
		hits[i].Score += nearBonus(near, hits[i].Entry)
	}
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].Score != hits[j].Score {
			return hits[i].Score > hits[j].Score
		}
		return hits[i].Name < hits[j].Name
	})
	type key struct {
		name, kind string
		lon, lat   int64
	}
	seen := map[key]bool{}
	out := hits[:0]
	for _, h := range hits {
		k := key{h.Name, h.Kind, int64(h.Lon * 1000), int64(h.Lat * 1000)} // about 100 m
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, h)
		if len(out) == limit {
			break
		}
	}
	return out
}
