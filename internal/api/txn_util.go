package api

import (
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
)

// txnErrCode is the wire code of a transaction coordinator error.
// PRODUCER_FENCED was added by KIP-588 in each API's version fencedSince;
// older clients only know INVALID_PRODUCER_EPOCH, which Kafka sends them
// instead.
func txnErrCode(err error, version, fencedSince int16) int16 {
	if errors.Is(err, kerr.ProducerFenced) && version < fencedSince {
		return kerr.InvalidProducerEpoch.Code
	}
	return codeFor(err)
}
