package api

// securityProtocols are Kafka's SecurityProtocol ids.
var securityProtocols = map[int16]string{0: "PLAINTEXT", 1: "SSL", 2: "SASL_PLAINTEXT", 3: "SASL_SSL"}

// SecurityProtocolID is the id of a security protocol name, -1 if unknown.
func SecurityProtocolID(name string) int16 {
	for id, n := range securityProtocols {
		if n == name {
			return id
		}
	}
	return -1
}
