package storage

import (
	"encoding/json"
	"math"
)

// The clean-shutdown marker, .kafka_cleanshutdown in every log dir, is
// written by a clean Manager.Close and removed at startup. Like Kafka's
// (CleanShutdownFileHandler, KIP-966) it holds the broker epoch of the
// registration that ended:
//
//	{"version":0,"brokerEpoch":42}
//
// The broker sends it as PreviousBrokerEpoch when it registers again; the
// controller treats a registration whose previous epoch is not the one it
// has as an unclean restart (the broker may have lost acknowledged
// records) and removes the broker from every ISR and ELR.

// cleanShutdownVersion is the only version of the marker's content.
const cleanShutdownVersion = 0

type cleanShutdownContent struct {
	Version     int   `json:"version"`
	BrokerEpoch int64 `json:"brokerEpoch"`
}

// encodeCleanShutdown is the marker's content for broker epoch epoch.
func encodeCleanShutdown(epoch int64) []byte {
	b, err := json.Marshal(cleanShutdownContent{Version: cleanShutdownVersion, BrokerEpoch: epoch})
	if err != nil {
		panic("storage: encoding the clean-shutdown marker: " + err.Error())
	}
	return b
}

// parseCleanShutdown returns the broker epoch in a marker's content; -1
// for anything else: an empty marker (written before it held the epoch),
// a version this build does not know, bad JSON. -1 never equals a broker
// epoch, so a marker that cannot be read counts as an unclean shutdown.
func parseCleanShutdown(b []byte) int64 {
	var c struct {
		Version     *int   `json:"version"`
		BrokerEpoch *int64 `json:"brokerEpoch"`
	}
	if err := json.Unmarshal(b, &c); err != nil || c.Version == nil || *c.Version != cleanShutdownVersion ||
		c.BrokerEpoch == nil || *c.BrokerEpoch < 0 || *c.BrokerEpoch == math.MaxInt64 {
		return -1
	}
	return *c.BrokerEpoch
}

// readCleanShutdown is parseCleanShutdown of the marker at name (-1 if it
// cannot be read).
func readCleanShutdown(fsys FS, name string) int64 {
	b, err := readFile(fsys, name)
	if err != nil {
		return -1
	}
	return parseCleanShutdown(b)
}

// SetBrokerEpoch records the broker epoch of the current registration,
// which a clean Close writes into the clean-shutdown marker. Until it is
// called the marker holds 0, which is never a broker epoch (an offset of
// the metadata log): the next start counts as unclean.
func (m *Manager) SetBrokerEpoch(epoch int64) { m.brokerEpoch.Store(epoch) }

// PreviousBrokerEpoch is the broker epoch the clean-shutdown markers held
// at startup: the one every log dir's marker names; -1 if a dir had none
// (a crash), they differ, or one is unreadable (Kafka's
// LogManager.readBrokerEpochFromCleanShutdownFiles).
func (m *Manager) PreviousBrokerEpoch() int64 {
	epoch := int64(-1)
	for i, ld := range m.dirs {
		if ld.previousEpoch < 0 || i > 0 && ld.previousEpoch != epoch {
			return -1
		}
		epoch = ld.previousEpoch
	}
	return epoch
}
