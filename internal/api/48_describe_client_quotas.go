package api

// DescribeClientQuotas (key 48), v0–1 (KIP-546). v1: flexible.
//
//   - Served from this broker's metadata image, with Kafka's filter
//     semantics (ClientQuotasImage.describe): each component names an
//     entity type at most once and matches EXACT (a name), DEFAULT (the
//     default entity) or ANY (any name or the default); an entity matches
//     when it has every filtered type as asked; strict also requires it to
//     have no other type. No components and not strict: every entity.
//   - A bad filter answers INVALID_REQUEST (UNSUPPORTED_VERSION for an
//     unknown entity type or match type) with Kafka's message and no
//     entries.
//   - Entries are sorted by entity (user, client-id, ip) and values by
//     key (Kafka's order is a hash map's).

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) describeClientQuotasAPI() wire.API {
	return wire.API{Key: 48, Min: 0, Max: 1, Handle: typed(h.describeClientQuotas)}
}

// quotaFilter is a parsed DescribeClientQuotas filter: per entity type,
// the part an entity must have (exact, Name or Default) or any (Set only).
type quotaFilter struct {
	parts  map[string]metadata.QuotaName
	any    map[string]bool
	strict bool
}

func (h *Handlers) describeClientQuotas(_ context.Context, c *wire.Conn, req *kmsg.DescribeClientQuotasRequest) (kmsg.Response, error) {
	if !h.allowedCluster(c, opDescribeConfigs) {
		resp := req.ResponseKind().(*kmsg.DescribeClientQuotasResponse)
		resp.ErrorCode = errClusterAuthz
		return resp, nil
	}
	resp := req.ResponseKind().(*kmsg.DescribeClientQuotasResponse)
	f, code, msg := parseQuotaFilter(req)
	if code != 0 {
		resp.ErrorCode, resp.ErrorMessage = code, &msg
		return resp, nil
	}
	im := h.Ctrl.Image()
	entities := make([]metadata.QuotaEntity, 0, len(im.ClientQuotas))
	for e := range im.ClientQuotas {
		if f.matches(e) {
			entities = append(entities, e)
		}
	}
	slices.SortFunc(entities, compareEntities)
	resp.Entries = []kmsg.DescribeClientQuotasResponseEntry{}
	for _, e := range entities {
		re := kmsg.NewDescribeClientQuotasResponseEntry()
		for _, d := range e.Data() {
			re.Entity = append(re.Entity, kmsg.DescribeClientQuotasResponseEntryEntity{Type: d.Type, Name: d.Name})
		}
		values := im.ClientQuotas[e]
		for _, k := range slices.Sorted(maps.Keys(values)) {
			re.Values = append(re.Values, kmsg.DescribeClientQuotasResponseEntryValue{Key: k, Value: values[k]})
		}
		resp.Entries = append(resp.Entries, re)
	}
	return resp, nil
}

// parseQuotaFilter checks the components as Kafka does, with its messages.
func parseQuotaFilter(req *kmsg.DescribeClientQuotasRequest) (quotaFilter, int16, string) {
	f := quotaFilter{parts: map[string]metadata.QuotaName{}, any: map[string]bool{}, strict: req.Strict}
	invalid := kerr.InvalidRequest.Code
	for _, c := range req.Components {
		typ := c.EntityType
		switch {
		case typ == "":
			return f, invalid, "Invalid empty entity type."
		case f.any[typ] || f.parts[typ].Set:
			return f, invalid, fmt.Sprintf("Entity type %s cannot appear more than once in the filter.", typ)
		case typ != metadata.QuotaUser && typ != metadata.QuotaClientID && typ != metadata.QuotaIP:
			return f, kerr.UnsupportedVersion.Code, "Unsupported entity type " + typ
		}
		switch c.MatchType {
		case 0:
			if c.Match == nil {
				return f, invalid, "Request specified MATCH_TYPE_EXACT, but set match string to null."
			}
			f.parts[typ] = metadata.Named(*c.Match)
		case 1:
			if c.Match != nil {
				return f, invalid, "Request specified MATCH_TYPE_DEFAULT, but also specified a match string."
			}
			f.parts[typ] = metadata.DefaultName()
		case 2:
			if c.Match != nil {
				return f, invalid, "Request specified MATCH_TYPE_SPECIFIED, but also specified a match string."
			}
			f.any[typ] = true
		default:
			return f, kerr.UnsupportedVersion.Code, fmt.Sprintf("Unknown match type %d", c.MatchType)
		}
	}
	has := func(typ string) bool { return f.any[typ] || f.parts[typ].Set }
	if has(metadata.QuotaIP) && (has(metadata.QuotaUser) || has(metadata.QuotaClientID)) {
		return f, invalid, "Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component."
	}
	return f, 0, ""
}

func (f quotaFilter) matches(e metadata.QuotaEntity) bool {
	parts := map[string]metadata.QuotaName{metadata.QuotaUser: e.User, metadata.QuotaClientID: e.ClientID, metadata.QuotaIP: e.IP}
	if f.strict {
		n := 0
		for _, p := range parts {
			if p.Set {
				n++
			}
		}
		if n != len(f.parts)+len(f.any) {
			return false
		}
	}
	for typ, want := range f.parts {
		if parts[typ] != want {
			return false
		}
	}
	for typ := range f.any {
		if !parts[typ].Set {
			return false
		}
	}
	return true
}

func compareEntities(a, b metadata.QuotaEntity) int {
	return slices.CompareFunc(a.Data(), b.Data(), func(x, y metadata.QuotaEntityData) int {
		switch {
		case x.Type != y.Type:
			return typeRank(x.Type) - typeRank(y.Type)
		case x.Name == nil || y.Name == nil:
			return boolRank(x.Name != nil) - boolRank(y.Name != nil) // the default first
		case *x.Name < *y.Name:
			return -1
		case *x.Name > *y.Name:
			return 1
		}
		return 0
	})
}

func typeRank(t string) int {
	switch t {
	case metadata.QuotaUser:
		return 0
	case metadata.QuotaClientID:
		return 1
	}
	return 2
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}
