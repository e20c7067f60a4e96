package io.pushrelay.core.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import org.junit.jupiter.api.Test;

class HopByHopHeadersTest {
    @Test
    void connectionAndTheHeadersItNamesShouldGo() {
        Http2Headers headers = new DefaultHttp2Headers(false)
                .add("connection", "keep-alive, X-Secret-Hop")
                .add("x-secret-hop", "1")
                .add("keep-alive", "timeout=5")
                .add("transfer-encoding", "chunked")
                .add("upgrade", "h2c")
                .add("http2-settings", "AAA")
                .add("proxy-authorization", "Basic Zm9v")
                .add("proxy-connection", "keep-alive")
                .add("apns-topic", "com.example")
                .add("authorization", "bearer x");
        HopByHopHeaders.strip(headers);
        assertEquals(2, headers.size(), headers.toString());
        assertEquals("com.example", headers.get("apns-topic").toString());
        assertEquals("bearer x", headers.get("authorization").toString());
    }

    @Test
    void teShouldStayOnlyAsTrailers() {
        Http2Headers trailers = new DefaultHttp2Headers(false).add("te", "gzip, trailers;q=1");
        HopByHopHeaders.strip(trailers);
        assertEquals("trailers", trailers.get("te").toString());
        Http2Headers gzip = new DefaultHttp2Headers(false).add("te", "gzip");
        HopByHopHeaders.strip(gzip);
        assertNull(gzip.get("te"));
    }

    @Test
    void pseudoHeadersShouldBeLeftAlone() {
        Http2Headers headers = new DefaultHttp2Headers(false).status("200").add("apns-id", "x");
        HopByHopHeaders.strip(headers);
        assertEquals("200", headers.status().toString());
        assertFalse(headers.isEmpty());
    }
}
