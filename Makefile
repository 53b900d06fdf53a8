# Einsatzraum: the two commands that matter are `make run` and `make test`.
GO          ?= go
BIN         := bin/einsatzraum
GOBIN       := $(shell $(GO) env GOPATH)/bin
STATICCHECK := $(GOBIN)/staticcheck
STATICCHECK_VERSION := v0.8.2

.PHONY: run test test-deps build-deps build ui typecheck lint staticcheck bench fuzz

## build: the dashboard, then the einsatzraum binary (with the dashboard embedded) in bin/
build: build-deps ui
	$(GO) build -o $(BIN) ./cmd/einsatzraum

## build-deps: zlib's headers, which the OpenStreetMap PBF reader links through cgo
build-deps:
	@if ! pkg-config --exists zlib 2>/dev/null; then echo "installing zlib1g-dev pkg-config"; \
		(apt-get update -qq && apt-get install -y -qq zlib1g-dev pkg-config) >/dev/null; fi

## ui: the dashboard (TypeScript, MapLibre) built by esbuild into web/ui/dist
ui: web/ui/node_modules/.package-lock.json
	cd web/ui && npm run build

## typecheck: the dashboard's TypeScript under tsc --strict with MapLibre's own types
typecheck: web/ui/node_modules/.package-lock.json
	cd web/ui && npm run --silent typecheck

web/ui/node_modules/.package-lock.json: web/ui/package.json web/ui/package-lock.json
	cd web/ui && npm ci --no-audit --no-fund

## run: build and start the server on the embedded default with the demo and
## its offline basemap (built from the demo's OpenStreetMap extract)
DEMO_OSM     := cmd/einsatzraum/demodata/north-bayreuth.osm.gz
DEMO_BASEMAP := data/demo-basemap.mbtiles
run: build $(DEMO_BASEMAP)
	$(BIN) serve --demo --data ./data --basemap $(DEMO_BASEMAP)

$(DEMO_BASEMAP): $(DEMO_OSM) $(wildcard geo/basemap/*.go) | build
	@mkdir -p $(dir $@)
	$(BIN) basemap build --osm $(DEMO_OSM) --out $@

## test: formatting, vet, staticcheck, the dashboard's type check, the whole
## test suite (the browser test included) and a short run of every fuzz target.
## The browser test runs beside the others and without the race detector: its
## cost is Chromium's software WebGL (its steps wait for frames, the cores are
## not busy), and under -race it alone was the suite's long pole (12 minutes in
## all on a slower 2-core machine). Every other test runs with -race; the fuzz
## targets run once the race suite is done, while the browser test goes on.
BROWSER_TEST := ^TestDashboardInBrowser$$
BROWSER_LOG  := web/ui/test-results/browser-test.log
test: build-deps lint test-deps ui typecheck
	@mkdir -p $(dir $(BROWSER_LOG))
	@$(GO) test -count=1 -timeout 12m -v -run '$(BROWSER_TEST)' ./cmd/einsatzraum >$(BROWSER_LOG) 2>&1 & browser=$$!; \
	$(GO) test -race -count=1 -timeout 12m -skip '$(BROWSER_TEST)' ./...; suite=$$?; \
	$(MAKE) --no-print-directory fuzz; fuzzed=$$?; \
	wait $$browser; status=$$?; echo "browser test (without -race):"; grep -E '^(---|ok|FAIL)|e2e:|Error|error' $(BROWSER_LOG); \
	if [ $$status -ne 0 ]; then cat $(BROWSER_LOG); fi; \
	[ $$suite -eq 0 ] && [ $$fuzzed -eq 0 ] && [ $$status -eq 0 ]

## fuzz: each decoder of client bytes under the fuzzer for FUZZTIME (seed
## corpora in testdata/fuzz); a finding fails the run and is kept there.
## FUZZTIME counts executions (1-4 s each here): a duration races Go 1.26's
## fuzz coordinator at its end and fails with a bare "context deadline
## exceeded" and no finding (golang/go#75804, fixed in Go 1.27).
FUZZTIME ?= 10000x
FUZZ_TARGETS := web:FuzzDecodeMessageBody web:FuzzDecodePosition web:FuzzPositionsFastPath web:FuzzMultipart \
	layers:FuzzReadGeoJSON layers:FuzzReadCSV chat:FuzzIngest chat:FuzzReadEXIF chat:FuzzEXIFSegment web:FuzzClientText web:FuzzFrameReader einsatzraum/cot:FuzzReader
fuzz:
	@for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$name ($(FUZZTIME))"; \
		$(GO) test -list "^$$name\$$" ./$$pkg | grep -qx "$$name" || { echo "no fuzz target $$name in ./$$pkg"; exit 1; }; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) ./$$pkg >/tmp/fuzz-$$name.log 2>&1 \
			|| { cat /tmp/fuzz-$$name.log; exit 1; }; \
	done

## test-deps: tools the tests drive for real: GDAL's ogrinfo reads our OGC API,
## Debian's Chromium runs the dashboard (never a downloaded browser), xmllint
## checks the KML export against OGC's schema, OpenLDAP's slapd is the
## directory of the LDAP login tests (each starts its own on a spare port)
test-deps:
	@missing=""; command -v ogrinfo >/dev/null || missing="$$missing gdal-bin"; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	command -v xmllint >/dev/null || missing="$$missing libxml2-utils"; \
	test -x /usr/sbin/slapd || missing="$$missing slapd"; \
	if [ -n "$$missing" ]; then echo "installing$$missing"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) >/dev/null; fi

lint: $(STATICCHECK)
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

$(STATICCHECK):
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

## bench: the benchmarks (figures for the issue notes)
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
