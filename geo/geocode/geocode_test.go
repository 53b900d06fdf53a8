package geocode

import (
	"testing"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Maximilianstraße", "maximilianstrasse"},
		{"Kulmbacher Str.", "kulmbacher strasse"},
		{"St.-Georgen-Straße", "st georgen strasse"},
		{"Ärztehaus Öde Übergang", "arztehaus ode ubergang"},
		{"  --  ", ""},
	} {
		if got := Normalize(tc.in); got != tc.want {
			t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestScore(t *testing.T) {
	for _, tc := range []struct {
		query, name string
		match       bool
	}{
		{"Maxstr", "Maximilianstraße", true},          // abbreviated and cut short
		{"maximilianstr", "Maximilianstraße", true},   // a prefix with "str"
		{"Kulmbacher Str", "Kulmbacher Straße", true}, // the common abbreviation
		{"kulmbachr strasse", "Kulmbacher Straße", true},
		{"Neudrosenfeld", "Neudrossenfeld", true},  // one letter missing
		{"Nuedrossenfeld", "Neudrossenfeld", true}, // two letters swapped
		{"Harsdorf", "Gemeindeverwaltung Harsdorf", true},
		{"Bistr", "Bistro am Markt", true}, // "str" is not always Straße
		{"feuerwehr ramsen", "FF Ramsenthal Feuerwehrhaus", true},
		{"Maxstr", "Marktplatz", false},
		{"Bahnhof", "Hauptstraße", false},
		{"xy", "Xylophon-Weg", true}, // a short prefix still finds
		{"Harsdorf", "Hersbruck", false},
	} {
		q, ok := NewQuery(tc.query)
		if !ok {
			t.Fatalf("NewQuery(%q) refused", tc.query)
		}
		if got := q.Score(tc.name) > 0; got != tc.match {
			t.Errorf("Score(%q, %q) = %v, want a match: %v", tc.query, tc.name, q.Score(tc.name), tc.match)
		}
	}
	if _, ok := NewQuery(" ,. "); ok {
		t.Error("a query of punctuation was taken")
	}
}

func TestRanking(t *testing.T) {
	ix := NewIndex([]Entry{
		{Name: "Hauptstraße", Kind: "street", Lon: 11.50, Lat: 50.01},
		{Name: "Hauptstraße", Kind: "street", Lon: 11.59, Lat: 50.03}, // the same name in the next village
		{Name: "Hauptstraßenmeisterei", Kind: "poi", Lon: 11.55, Lat: 50.02},
		{Name: "Alte Hauptstraße", Kind: "street", Lon: 11.52, Lat: 50.02},
		{Name: "Harsdorf", Kind: "place", Lon: 11.5686, Lat: 50.0275},
	})
	q, _ := NewQuery("Hauptstr")
	hits := ix.Search(q, &Near{Lon: 11.59, Lat: 50.03}, 10)
	if len(hits) != 4 {
		t.Fatalf("hits %+v, want the four names with Hauptstraße", hits)
	}
	if hits[0].Name != "Hauptstraße" || hits[0].Lon != 11.59 {
		t.Errorf("first hit %+v, want the Hauptstraße near the searcher", hits[0])
	}
	if hits[1].Name != "Hauptstraße" || hits[1].Lon != 11.50 {
		t.Errorf("second hit %+v, want the other Hauptstraße (an exact name beats a longer one)", hits[1])
	}
	if hits[3].Name != "Alte Hauptstraße" {
		t.Errorf("last hit %+v, want the name where only a later word matches", hits[3])
	}
	if got := ix.Search(q, nil, 2); len(got) != 2 {
		t.Errorf("limit 2 gave %d hits", len(got))
	}
	dup := NewIndex([]Entry{{Name: "Harsdorf", Kind: "place", Lon: 11.5686, Lat: 50.0275}, {Name: "Harsdorf", Kind: "place", Lon: 11.56861, Lat: 50.02751}})
	q, _ = NewQuery("harsdorf")
	if got := dup.Search(q, nil, 10); len(got) != 1 {
		t.Errorf("the same place twice at one spot gave %d hits, want 1", len(got))
	}
}

func BenchmarkSearch(b *testing.B) {
	var entries []Entry
	words := []string{"Haupt", "Bahnhof", "Kirch", "Schul", "Wald", "Berg", "Linden", "Birken", "Mühl", "Garten"}
	for i := range 20000 {
		entries = append(entries, Entry{Name: words[i%10] + words[(i/10)%10] + "straße " + string(rune('A'+i%26)), Kind: "street", Lon: 11 + float64(i%100)/100, Lat: 50 + float64(i/100%100)/100})
	}
	ix := NewIndex(entries)
	queries := []string{"Hauptbahnhofstr", "kirchberg", "Muhlgarten", "Lindnbirken", "xyz"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q, _ := NewQuery(queries[i%len(queries)])
		ix.Search(q, &Near{Lon: 11.5, Lat: 50.5}, 10)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
	b.ReportMetric(float64(len(entries)), "entries")
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b  string
		limit int
		want  int
	}{
		{"neudrossenfeld", "neudrossenfeld", 3, 0},
		{"neudrosenfeld", "neudrossenfel", 3, 2},   // the prefix of the name as long as the query
		{"nuedrossenfeld", "neudrossenfeld", 3, 1}, // a swap
		{"kulmbachr", "kulmbache", 2, 1},
		{"abcdef", "uvwxyz", 2, 3}, // beyond the limit: limit+1
		{"abc", "abcdefgh", 2, 3},  // lengths too far apart
		{"hausen", "husen", 1, 1},  // a deletion
		{"harsdorf", "harsdrof", 1, 1},
	} {
		if got := editDistance(tc.a, tc.b, tc.limit); got != tc.want {
			t.Errorf("editDistance(%q, %q, %d) = %d, want %d", tc.a, tc.b, tc.limit, got, tc.want)
		}
	}
}
