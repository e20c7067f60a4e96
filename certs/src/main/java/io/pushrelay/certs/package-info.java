/** certs module. */
package io.pushrelay.certs;
