// Package auth authenticates and authorizes clients: the SASL mechanisms
// PLAIN (RFC 4616) and SCRAM-SHA-256/512 (RFC 5802/7677, server side of
// github.com/xdg-go/scram), TLS listener configuration from Kafka's ssl.*
// configs with client-certificate principals (ssl.principal.mapping.rules),
// and the ACL authorizer with Kafka's StandardAuthorizer semantics.
//
// Use:
//
//	mech := auth.NewScram("SCRAM-SHA-512", func(user string) (metadata.ScramCredential, bool) { ... })
//	s := mech.NewSession() // one per SaslHandshake
//	reply, done, err := s.Step(clientMsg)
//
//	a := auth.NewAuthorizer(auth.AuthorizerConfig{SuperUsers: []string{"User:admin"}})
//	a.Apply(image.ACLs) // on every metadata image
//	ok := a.Authorize("User:alice", "10.0.0.1", kmsg.ACLOperationWrite, kmsg.ACLResourceTypeTopic, "orders")
//
// Secrets are compared in constant time; an error returned by a session is
// safe to show the client.
package auth
