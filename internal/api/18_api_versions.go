package api

// ApiVersions (key 18), v0–4.
//
//   - v0: the fallback layout; a request above our max is answered in it
//     with UNSUPPORTED_VERSION and our ranges, so the client can retry at a
//     version we speak (KIP-511).
//   - v3: flexible; carries the client's software name and version.
//   - The response header is always v0, even for flexible versions
//     (wire.AppendResponse handles that).
//   - v3+ (KIP-584) lists features: transaction.version is supported up
//     to 2 and finalized at 2, so clients that know KIP-890 part 2 use
//     it (an epoch bump per transaction; produce adds partitions).
//     Every Strom broker serves both versions, so the level is fixed;
//     older clients keep using version 1.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) apiVersionsAPI(reg *wire.Registry) wire.API {
	return wire.API{Key: 18, Min: 0, Max: 4, Handle: func(_ context.Context, _ *wire.Conn, _ wire.Header, req kmsg.Request) (kmsg.Response, error) {
		resp := kmsg.NewPtrApiVersionsResponse()
		if req == nil {
			resp.ErrorCode = kerr.UnsupportedVersion.Code
		}
		for _, a := range reg.All() {
			k := kmsg.NewApiVersionsResponseApiKey()
			k.ApiKey, k.MinVersion, k.MaxVersion = a.Key, a.Min, a.Max
			resp.ApiKeys = append(resp.ApiKeys, k)
		}
		addFeatures(resp)
		return resp, nil
	}}
}

// features are the KIP-584 features a Strom broker supports, each with
// its supported range and the level finalized in every Strom cluster.
var features = []struct {
	name          string
	min, max, fin int16
}{
	{name: "transaction.version", min: 0, max: 2, fin: 2},
}

// featuresEpoch is the finalized features' epoch: fixed levels never
// change, so it never moves.
const featuresEpoch = 1

func addFeatures(resp *kmsg.ApiVersionsResponse) {
	resp.FinalizedFeaturesEpoch = featuresEpoch
	for _, f := range features {
		sf := kmsg.NewApiVersionsResponseSupportedFeature()
		sf.Name, sf.MinVersion, sf.MaxVersion = f.name, f.min, f.max
		resp.SupportedFeatures = append(resp.SupportedFeatures, sf)
		ff := kmsg.NewApiVersionsResponseFinalizedFeature()
		ff.Name, ff.MinVersionLevel, ff.MaxVersionLevel = f.name, f.fin, f.fin
		resp.FinalizedFeatures = append(resp.FinalizedFeatures, ff)
	}
}
