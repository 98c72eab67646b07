.PHONY: test run

# The README's test command: vet, then every test with the race detector.
test:
	go vet ./... && go test -race -count=1 -timeout 25m ./...

run:
	go run ./cmd/strom serve
