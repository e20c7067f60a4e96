/** relay-post module. */
package io.pushrelay.post;
