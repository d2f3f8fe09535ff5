# sluice — `make help` lists the targets.
GO      ?= go
BIN     ?= bin/sluice
PKGS    ?= ./...

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## build bin/sluice
	$(GO) build -o $(BIN) ./cmd/sluice

.PHONY: test
test: ## run every test with the race detector
	$(GO) test -race -count=1 $(PKGS)

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
