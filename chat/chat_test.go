package chat

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestParsePermissions(t *testing.T) {
	tests := []struct {
		in      []string
		want    Permission
		wantErr bool
	}{
		{[]string{"read"}, Read, false},
		{[]string{"write"}, Read | Write, false},
		{[]string{"manage"}, Read | Manage, false},
		{[]string{"read", "write", "manage"}, All, false},
		{[]string{"manage", "manage"}, Read | Manage, false},
		{nil, 0, true},
		{[]string{"admin"}, 0, true},
		{[]string{"READ"}, 0, true},
	}
	for _, tc := range tests {
		got, err := ParsePermissions(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParsePermissions(%v) = %v, %v; want %v, err %v", tc.in, got.Strings(), err, tc.want.Strings(), tc.wantErr)
		}
	}
	b, _ := json.Marshal(All)
	if string(b) != `["read","write","manage"]` {
		t.Errorf("JSON of All = %s", b)
	}
}

func TestDraftValidate(t *testing.T) {
	loc := func(lat, lon float64) *Location { return &Location{Lat: lat, Lon: lon} }
	tests := []struct {
		name string
		d    Draft
		code string // "" means valid
	}{
		{"text", Draft{Kind: KindText, Text: "hallo"}, ""},
		{"blank text", Draft{Kind: KindText, Text: " \n\t"}, "empty_text"},
		{"long text", Draft{Kind: KindText, Text: strings.Repeat("ä", MaxTextBytes)}, "text_too_long"},
		{"bad utf8", Draft{Kind: KindText, Text: "\xff"}, "invalid_text"},
		{"location", Draft{Kind: KindLocation, Location: loc(53.5, 10)}, ""},
		{"location edges", Draft{Kind: KindLocation, Location: loc(-90, 180)}, ""},
		{"no location", Draft{Kind: KindLocation}, "missing_location"},
		{"NaN lat", Draft{Kind: KindLocation, Location: loc(math.NaN(), 0)}, "invalid_lat"},
		{"Inf lon", Draft{Kind: KindLocation, Location: loc(0, math.Inf(1))}, "invalid_lon"},
		{"lat range", Draft{Kind: KindLocation, Location: loc(90.0001, 0)}, "invalid_lat"},
		{"photo with caption", Draft{Kind: KindPhoto, Text: "Lage", Attachment: &Ref{ID: "att_1"}}, ""},
		{"photo with bad location", Draft{Kind: KindPhoto, Attachment: &Ref{ID: "att_1"}, Location: loc(0, 200)}, "invalid_lon"},
		{"file without attachment", Draft{Kind: KindFile}, "missing_attachment"},
		{"poi", Draft{Kind: KindPOI, POI: &Ref{ID: "poi_1"}}, ""},
		{"poi without id", Draft{Kind: KindPOI, POI: &Ref{}}, "missing_poi"},
		{"no kind", Draft{Text: "x"}, "missing_kind"},
		{"unknown kind", Draft{Kind: "sms", Text: "x"}, "invalid_kind"},
		{"long client id", Draft{Kind: KindText, Text: "x", ClientID: strings.Repeat("c", 65)}, "invalid_client_id"},
	}
	for _, tc := range tests {
		err := tc.d.Validate()
		code := ""
		if err != nil {
			code, _ = err.(interface{ InputError() (string, string) }).InputError()
		}
		if code != tc.code {
			t.Errorf("%s: code %q, want %q (%v)", tc.name, code, tc.code, err)
		}
	}
}
