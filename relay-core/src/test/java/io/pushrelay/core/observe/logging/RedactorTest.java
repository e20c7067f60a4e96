package io.pushrelay.core.observe.logging;

import static io.pushrelay.core.observe.logging.Secrets.BASIC;
import static io.pushrelay.core.observe.logging.Secrets.JWT;
import static io.pushrelay.core.observe.logging.Secrets.OAUTH;
import static io.pushrelay.core.observe.logging.Secrets.TOKEN;
import static io.pushrelay.core.observe.logging.Secrets.TOKEN_SHOWN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class RedactorTest {

    @Test
    void deviceTokenInPathShouldKeepSixCharacters() {
        assertEquals("POST /3/device/" + TOKEN_SHOWN + " 200",
                Redactor.redact("POST /3/device/" + TOKEN + " 200"));
        assertEquals("/3/device/" + TOKEN_SHOWN, Redactor.redact("/3/device/" + TOKEN));
    }

    @Test
    void deviceTokenShouldEndAtPathAndQuoteDelimiters() {
        assertEquals("/3/device/" + TOKEN_SHOWN + "?x=1", Redactor.redact("/3/device/" + TOKEN + "?x=1"));
        assertEquals("/3/device/" + TOKEN_SHOWN + "/extra", Redactor.redact("/3/device/" + TOKEN + "/extra"));
        assertEquals("{\"path\":\"/3/device/" + TOKEN_SHOWN + "\",\"n\":1}",
                Redactor.redact("{\"path\":\"/3/device/" + TOKEN + "\",\"n\":1}"));
        assertEquals("[:path: /3/device/" + TOKEN_SHOWN + ", apns-topic: x]",
                Redactor.redact("[:path: /3/device/" + TOKEN + ", apns-topic: x]"));
    }

    @Test
    void everyDeviceTokenShouldBeMaskedWhateverItsCase() {
        String upper = TOKEN.toUpperCase();
        assertEquals("a /3/DEVICE/A1B2C3… b /3/device/" + TOKEN_SHOWN + " c",
                Redactor.redact("a /3/DEVICE/" + upper + " b /3/device/" + TOKEN + " c"));
    }

    @Test
    void tokenThatIsNotHexShouldBeMaskedToo() {
        assertEquals("/3/device/not-he… 400", Redactor.redact("/3/device/not-hex-at-all 400"));
    }

    @Test
    void maskedOrShortTokenShouldStayAsItIs() {
        String masked = "2026-11-26T03:12:01.123Z 127.0.0.1:50412 api.push.apple.com POST /3/device/abcdef… 200";
        assertEquals(masked, Redactor.redact(masked));
        assertEquals("/3/device/abc", Redactor.redact("/3/device/abc"));
        assertEquals("/3/device/", Redactor.redact("/3/device/"));
    }

    @Test
    void authorizationHeaderValueShouldBeRedactedKeepingTheScheme() {
        assertEquals("authorization: bearer <redacted>", Redactor.redact("authorization: bearer " + JWT));
        assertEquals("Authorization: Bearer <redacted>", Redactor.redact("Authorization: Bearer " + OAUTH));
        assertEquals("proxy-authorization: Basic <redacted>\r\n",
                Redactor.redact("proxy-authorization: Basic " + BASIC + "\r\n"));
        assertEquals("authorization=<redacted> next", Redactor.redact("authorization=key=AAAAx7Hq:APA91bF next"));
        assertEquals("authorization: <redacted>", Redactor.redact("authorization: short"));
    }

    @Test
    void authorizationInJsonAndHeaderDumpsShouldBeRedacted() {
        assertEquals("{\"authorization\":\"bearer <redacted>\",\"apns-topic\":\"com.example\"}",
                Redactor.redact("{\"authorization\":\"bearer " + JWT + "\",\"apns-topic\":\"com.example\"}"));
        assertEquals("{\\\"authorization\\\":\\\"bearer <redacted>\\\"}",
                Redactor.redact("{\\\"authorization\\\":\\\"bearer " + OAUTH + "\\\"}"));
        assertEquals("DefaultHttp2Headers[:method: POST, :path: /3/device/" + TOKEN_SHOWN
                        + ", authorization: bearer <redacted>, apns-topic: com.example]",
                Redactor.redact("DefaultHttp2Headers[:method: POST, :path: /3/device/" + TOKEN
                        + ", authorization: bearer " + JWT + ", apns-topic: com.example]"));
    }

    @Test
    void bearerCredentialAndBareJwtShouldBeRedactedAnywhere() {
        assertEquals("sent Bearer <redacted> upstream", Redactor.redact("sent Bearer " + OAUTH + " upstream"));
        assertEquals("token <redacted> expired", Redactor.redact("token " + JWT + " expired"));
        assertEquals("header only <redacted>", Redactor.redact("header only " + JWT.substring(0, JWT.indexOf('.'))));
        assertEquals("key=<redacted>;", Redactor.redact("key=" + JWT + ";"));
    }

    @Test
    void ordinaryTextShouldComeBackAsTheSameInstance() {
        String[] plain = {
            "connect, basic, proxy:3128 => api.push.apple.com:443, status: 407",
            "the bearer token was rejected",
            "authorization failed for route apns",
            "2026-11-26T03:12:01.123Z 127.0.0.1:50412 api.push.apple.com POST /3/device/abcdef 200 - 3ms",
            "é 日本 😀",
            "",
        };
        for (String text : plain) {
            assertSame(text, Redactor.redact(text), text);
        }
        assertNull(Redactor.redact(null));
    }

    @Test
    void redactingTwiceShouldChangeNothingMore() {
        String once = Redactor.redact("authorization: bearer " + JWT + " /3/device/" + TOKEN + " Bearer " + OAUTH);
        assertEquals(once, Redactor.redact(once));
        Secrets.assertNoLeak(once);
    }
}
