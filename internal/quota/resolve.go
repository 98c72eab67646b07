package quota

import "github.com/strom-project/strom/internal/metadata"

// Quotas is the image's client quotas: entity → key → value.
type Quotas = map[metadata.QuotaEntity]map[string]float64

// Bucket names the clients that share one rate: the parts of the matched
// entity, filled with the client's own user and client id. A quota set
// for a client id alone is shared by every user with that client id; one
// matched through a default entity is per client (as in Kafka's
// DefaultQuotaCallback metric tags).
type Bucket struct {
	User, ClientID string
	ByUser         bool
	ByClientID     bool
}

// Resolve finds the quota key (e.g. "producer_byte_rate") of a client in
// Kafka's precedence order (KIP-257, the "Quotas" section of Kafka's docs):
//
//  1. user + client id          5. default user + default client id
//  2. user + default client id  6. default user
//  3. user                      7. client id
//  4. default user + client id  8. default client id
//
// An entity without key does not match. ok is false when none does.
func Resolve(q Quotas, key, user, clientID string) (bound float64, b Bucket, ok bool) {
	if len(q) == 0 {
		return 0, Bucket{}, false
	}
	u, du := metadata.Named(user), metadata.DefaultName()
	c, dc := metadata.Named(clientID), metadata.DefaultName()
	none := metadata.QuotaName{}
	for _, e := range [...]metadata.QuotaEntity{
		{User: u, ClientID: c},
		{User: u, ClientID: dc},
		{User: u, ClientID: none},
		{User: du, ClientID: c},
		{User: du, ClientID: dc},
		{User: du, ClientID: none},
		{User: none, ClientID: c},
		{User: none, ClientID: dc},
	} {
		v, found := q[e][key]
		if !found {
			continue
		}
		b := Bucket{ByUser: e.User.Set, ByClientID: e.ClientID.Set}
		if b.ByUser {
			b.User = user
		}
		if b.ByClientID {
			b.ClientID = clientID
		}
		return v, b, true
	}
	return 0, Bucket{}, false
}
