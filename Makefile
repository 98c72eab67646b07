.PHONY: test run build

# The README's test command: vet, then every test with the race detector.
test:
	go vet ./... && go test -race -count=1 -timeout 25m ./...

run:
	go run ./cmd/strom serve

# The strom binary in the repository root (ignored by git).
build:
	go build -o strom ./cmd/strom
