package api

// DescribeUserScramCredentials (key 50), v0 (KIP-554).
//
// Served from this broker's metadata image: per user the mechanisms and
// iterations of its credentials, never a salt or key. A null user list
// describes every user; a user named twice gets DUPLICATE_RESOURCE, one
// without credentials RESOURCE_NOT_FOUND (Kafka's messages).

import (
	"cmp"
	"context"
	"maps"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) describeUserScramCredentialsAPI() wire.API {
	return wire.API{Key: 50, Min: 0, Max: 0, Handle: typed(h.describeUserScramCredentials)}
}

func (h *Handlers) describeUserScramCredentials(_ context.Context, c *wire.Conn, req *kmsg.DescribeUserSCRAMCredentialsRequest) (kmsg.Response, error) {
	if !h.allowedCluster(c, opDescribe) {
		resp := req.ResponseKind().(*kmsg.DescribeUserSCRAMCredentialsResponse)
		resp.ErrorCode = errClusterAuthz
		return resp, nil
	}
	resp := req.ResponseKind().(*kmsg.DescribeUserSCRAMCredentialsResponse)
	creds := h.Ctrl.Image().ScramCredentials
	byUser := map[string][]metadata.ScramKey{}
	for k := range creds {
		byUser[k.User] = append(byUser[k.User], k)
	}
	var users []string
	if req.Users == nil {
		users = slices.Sorted(maps.Keys(byUser))
	} else {
		for _, u := range req.Users {
			users = append(users, u.Name)
		}
	}
	count := map[string]int{}
	for _, u := range users {
		count[u]++
	}
	for _, u := range users {
		r := kmsg.NewDescribeUserSCRAMCredentialsResponseResult()
		r.User = u
		keys := byUser[u]
		switch {
		case count[u] > 1:
			r.ErrorCode, r.ErrorMessage = kerr.DuplicateResource.Code, strPtr("Cannot describe SCRAM credentials for the same user twice in a single request: "+u)
		case len(keys) == 0:
			r.ErrorCode, r.ErrorMessage = kerr.ResourceNotFound.Code, strPtr("Attempt to describe a user credential that does not exist: "+u)
		}
		if r.ErrorCode == 0 {
			slices.SortFunc(keys, func(a, b metadata.ScramKey) int { return cmp.Compare(a.Mechanism, b.Mechanism) })
			for _, k := range keys {
				ci := kmsg.NewDescribeUserSCRAMCredentialsResponseResultCredentialInfo()
				ci.Mechanism, ci.Iterations = k.Mechanism, creds[k].Iterations
				r.CredentialInfos = append(r.CredentialInfos, ci)
			}
		}
		resp.Results = append(resp.Results, r)
	}
	return resp, nil
}

func strPtr(s string) *string { return &s }
