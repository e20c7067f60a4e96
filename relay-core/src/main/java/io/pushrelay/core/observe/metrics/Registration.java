package io.pushrelay.core.observe.metrics;

/** Ends a registration (a pool's gauges, a certificate supplier); closing twice is harmless. */
@FunctionalInterface
public interface Registration extends AutoCloseable {
    @Override
    void close();
}
