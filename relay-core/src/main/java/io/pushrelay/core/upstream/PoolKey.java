package io.pushrelay.core.upstream;

/**
 * What one set of upstream connections serves: where to connect, the name TLS and
 * {@code :authority} use, and the client identity (APNS allows one team per connection).
 *
 * @param host      connect host
 * @param port      connect port
 * @param authority the route's authority (SNI, certificate name, {@code :authority})
 * @param identity  {@code team:<iss>} for token auth, {@code token:unreadable} for a bearer
 *                  token whose team cannot be read, {@code cert:<sha256 prefix>} for a pool
 *                  with a client certificate, or empty
 */
record PoolKey(String host, int port, String authority, String identity) {
    @Override
    public String toString() {
        return authority + " => " + host + ":" + port + (identity.isEmpty() ? "" : " (" + identity + ")");
    }
}
