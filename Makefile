# Einsatzraum: the two commands that matter are `make run` and `make test`.
GO          ?= go
BIN         := bin/einsatzraum
GOBIN       := $(shell $(GO) env GOPATH)/bin
STATICCHECK := $(GOBIN)/staticcheck
STATICCHECK_VERSION := v0.8.2

.PHONY: run test test-deps build lint staticcheck bench

## build: the einsatzraum binary in bin/
build:
	$(GO) build -o $(BIN) ./cmd/einsatzraum

## run: build and start the server on the embedded default with the demo
run: build
	$(BIN) serve --demo --data ./data

## test: formatting, vet, staticcheck and the whole test suite
test: lint test-deps
	$(GO) test -race -count=1 -timeout 12m ./...

## test-deps: tools the tests drive for real (GDAL's ogrinfo reads our OGC API)
test-deps:
	@command -v ogrinfo >/dev/null || { echo "installing gdal-bin for the OGC API test"; \
		(apt-get update -qq && apt-get install -y -qq gdal-bin) >/dev/null; }

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
