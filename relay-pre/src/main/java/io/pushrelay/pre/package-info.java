/** relay-pre module. */
package io.pushrelay.pre;
