/**
 * What both roles, relay-pre and relay-post, assemble the same way from the engine: the event
 * loop groups and the order things stop in ({@link io.pushrelay.core.role.RelayResources}), the
 * HTTP/2 upstream pools for token and certificate auth ({@link io.pushrelay.core.role.ApnsPools}),
 * the upstream set once the listener is bound ({@link io.pushrelay.core.role.DeferredUpstream}),
 * and the words of their start-up log lines ({@link io.pushrelay.core.role.RoleText}).
 */
package io.pushrelay.core.role;
