/** relay-core module. */
package io.pushrelay.core;
