# sluice — `make help` lists the targets.
GO      ?= go
BIN     ?= bin/sluice
PKGS    ?= ./...
# Release builds: `make dist VERSION=v1.2.3`. The same source and Go
# version give the same bytes: no cgo, no paths (-trimpath), no build ID,
# no symbol tables.
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
PLATFORMS ?= linux/amd64 linux/arm64 darwin/arm64
DIST      ?= dist
DIST_LDFLAGS = -s -w -buildid= -X github.com/sluice-gitops/sluice/serve/buildinfo.version=$(VERSION)

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-11s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## build bin/sluice
	$(GO) build -o $(BIN) ./cmd/sluice

.PHONY: dist
dist: ## reproducible static release binaries and SHA256SUMS in dist/
	rm -rf $(DIST) && mkdir -p $(DIST)
	@set -e; for p in $(PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; out=$(DIST)/sluice-$(VERSION)-$$os-$$arch; \
		echo "build $$out"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -buildvcs=auto \
			-ldflags '$(DIST_LDFLAGS)' -o $$out ./cmd/sluice; \
	done
	cd $(DIST) && sha256sum sluice-* > SHA256SUMS && cat SHA256SUMS

.PHONY: dist-check
dist-check: ## build the release binary twice from two paths, demand equal bytes
	SLUICE_DIST_TEST=1 $(GO) test -count=1 -run TestDistReproducible -v ./cmd/sluice

.PHONY: test
test: ## run every test with the race detector
	$(GO) test -race -count=1 -timeout 30m $(PKGS)

.PHONY: golden
golden: ## rewrite translate's golden files (review the diff!)
	$(GO) test ./translate -run Golden -update
	git status --short translate/testdata

.PHONY: lint
lint: ## gofmt, go vet, and no file over 500 lines nor function over 80
	@out=$$(gofmt -l . ); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) run ./.ci/sizes

.PHONY: bench
bench: ## run the benchmarks
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

.PHONY: demo
demo: build ## serve examples/quickstart from a fresh local Git repository
	./examples/quickstart/demo.sh $(BIN)

.PHONY: check
check: lint test ## what CI runs
