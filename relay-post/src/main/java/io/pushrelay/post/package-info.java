/**
 * relay-post, the post-proxy relay: an HTTP/1.1 listener (TLS or, explicitly, cleartext) for a
 * legacy proxy, taking origin-form, absolute-form and CONNECT requests, restricted to allowed
 * sources, clients and routed destinations, each request relayed as one HTTP/2 stream on the
 * shared upstream pool to APNS or FCM. {@link io.pushrelay.post.PostRelay} is the role,
 * {@link io.pushrelay.post.PostCommand} its command line.
 */
package io.pushrelay.post;
