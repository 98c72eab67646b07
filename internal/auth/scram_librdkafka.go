package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"hash"
	"strings"
)

// librdkafka before 2.6.1 (Debian's kcat and confluent-kafka-python ship
// 2.0.2) builds its client-final nonce as its own nonce followed by the
// server's whole nonce, which already starts with it: the client nonce
// appears twice. Kafka before 3.9 accepted any nonce ending with the
// server's; 3.9 (the CVE-2024-56128 fix) accepts only the server's nonce,
// and with it these clients cannot log in. Strom accepts exactly one more
// form, client nonce + server nonce: it still contains this exchange's
// fresh server nonce and the proof is checked over the message as sent, so
// a final message of another exchange is refused as before — the CVE's
// point — while the clients the project must serve keep working.

// scramAttr returns the value of attribute name (as "r") in a SCRAM
// message, "" if absent.
func scramAttr(msg, name string) string {
	for _, part := range strings.Split(msg, ",") {
		if v, ok := strings.CutPrefix(part, name+"="); ok {
			return v
		}
	}
	return ""
}

// repeatsClientNonce reports whether a client-final message carries the
// librdkafka form of the nonce.
func repeatsClientNonce(final, clientFirst, serverFirst string) bool {
	cnonce, snonce := scramAttr(clientFirst, "r"), scramAttr(serverFirst, "r")
	return cnonce != "" && snonce != "" && scramAttr(final, "r") == cnonce+snonce
}

// finalRepeatedNonce verifies such a client-final message as RFC 5802
// does: the proof over client-first-bare, server-first and the final
// message without its proof, compared in constant time.
func (s *scramSession) finalRepeatedNonce(final string) ([]byte, bool, error) {
	gs2, bare, ok := splitGS2(s.clientFirst)
	i := strings.LastIndex(final, ",p=")
	if !ok || i < 0 || scramAttr(final, "c") != base64.StdEncoding.EncodeToString([]byte(gs2)) {
		return nil, false, s.failed()
	}
	proof, err := base64.StdEncoding.DecodeString(final[i+3:])
	if err != nil {
		return nil, false, s.failed()
	}
	user := decodeSaslName(scramAttr(bare, "n"))
	cred := s.lookup(user)
	h := sha256.New
	if s.mech == "SCRAM-SHA-512" {
		h = sha512.New
	}
	authMessage := bare + "," + s.serverFirst + "," + final[:i]
	clientSig := hmacOf(h, cred.StoredKey, authMessage)
	if len(proof) != len(clientSig) {
		return nil, false, s.failed()
	}
	clientKey := make([]byte, len(proof))
	for j := range proof {
		clientKey[j] = proof[j] ^ clientSig[j]
	}
	d := h()
	d.Write(clientKey)
	if !hmac.Equal(d.Sum(nil), cred.StoredKey) {
		return nil, false, s.failed()
	}
	reply := "v=" + base64.StdEncoding.EncodeToString(hmacOf(h, cred.ServerKey, authMessage))
	authzid, _ := strings.CutPrefix(strings.TrimSuffix(strings.TrimPrefix(gs2, "n,"), ","), "a=")
	return s.done(user, authzid, []byte(reply))
}

// splitGS2 splits a client-first message into its GS2 header ("n,," or
// "n,a=user,") and the bare message.
func splitGS2(clientFirst string) (gs2, bare string, ok bool) {
	i := strings.Index(clientFirst, ",")
	if i < 0 {
		return "", "", false
	}
	j := strings.Index(clientFirst[i+1:], ",")
	if j < 0 {
		return "", "", false
	}
	end := i + 1 + j + 1
	return clientFirst[:end], clientFirst[end:], true
}

// decodeSaslName undoes RFC 5802's =2C and =3D escapes.
func decodeSaslName(s string) string {
	return strings.NewReplacer("=2C", ",", "=3D", "=").Replace(s)
}

func hmacOf(h func() hash.Hash, key []byte, msg string) []byte {
	m := hmac.New(h, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
