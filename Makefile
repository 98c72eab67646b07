.PHONY: test run build fault

# The README's test command: vet, then every test with the race detector.
test:
	go vet ./... && go test -race -count=1 -timeout 25m ./...

run:
	go run ./cmd/strom serve

# The strom binary in the repository root (ignored by git).
build:
	go build -o strom ./cmd/strom

# The long fault-injection matrix (test/fault): every fault kind, 3 seeds,
# 60 s of faults each; docs/reliability.md records its results.
fault:
	STROM_FAULT_SEEDS=3 STROM_FAULT_DURATION=60s go test -race -count=1 -timeout 3h -v -run TestFaults ./test/fault/ | tee fault.log | grep -E 'FAULT-RESULT|^(---|ok|FAIL)'
