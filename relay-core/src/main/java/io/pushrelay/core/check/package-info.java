/**
 * {@code push-relay pre check} / {@code post check}: Envoy's {@code --mode validate} plus the
 * network. {@link io.pushrelay.core.check.RoleCheck#run} walks the steps in order (config, files,
 * certificate, listen, and for relay-pre resolve and trust, then proxy, CONNECT, upstream TLS,
 * ALPN per route, and an optional test notification) and prints one line per step as it goes:
 * {@code ✔ what}, {@code ✘ what — fix: how}, or {@code - what: skipped (why)}. Nothing stays
 * bound, nothing is written; the only traffic is what a relay would send anyway (a TCP connect,
 * a {@code CONNECT}, a TLS handshake, and with {@code --send-test} one notification).
 *
 * <p>A role's {@code check} command is thin: it loads its config with its own flags, and hands it
 * with {@link io.pushrelay.core.check.CheckFlags} to {@link io.pushrelay.core.check.CheckFlags#run}.
 */
package io.pushrelay.core.check;
