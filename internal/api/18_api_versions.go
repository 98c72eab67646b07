package api

// ApiVersions (key 18), v0–4.
//
//   - v0: the fallback layout; a request above our max is answered in it
//     with UNSUPPORTED_VERSION and our ranges, so the client can retry at a
//     version we speak (KIP-511).
//   - v3: flexible; carries the client's software name and version.
//   - The response header is always v0, even for flexible versions
//     (wire.AppendResponse handles that).

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
		return resp, nil
	}}
}
