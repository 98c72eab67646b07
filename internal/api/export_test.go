package api

// SetAuthorizerForTest makes every Handlers registered from now on without
// an Authorizer use a, until the returned function is called. Set it
// before starting in-process brokers, undo it after stopping them.
func SetAuthorizerForTest(a Authorizer) (undo func()) {
	authorizerForTest = a
	return func() { authorizerForTest = nil }
}
