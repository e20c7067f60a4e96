package io.pushrelay.core.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class TeamIdsTest {
    private static String jwt(String claimsJson) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return b64.encodeToString("{\"alg\":\"ES256\",\"kid\":\"ABC123DEFG\"}".getBytes(StandardCharsets.UTF_8))
                + "." + b64.encodeToString(claimsJson.getBytes(StandardCharsets.UTF_8)) + ".c2lnbmF0dXJl";
    }

    @Test
    void teamIsTheIssClaim() {
        assertEquals("team:DEF123GHIJ", TeamIds.identityOf("bearer " + jwt("{\"iss\":\"DEF123GHIJ\",\"iat\":1}")));
        assertEquals("team:DEF123GHIJ", TeamIds.identityOf("Bearer  " + jwt("{\"iat\":1,\"iss\":\"DEF123GHIJ\"}")));
    }

    @Test
    void withoutBearerTokenThereIsNoTeam() {
        assertEquals(TeamIds.NONE, TeamIds.identityOf(null));
        assertEquals(TeamIds.NONE, TeamIds.identityOf("Basic YTpi"));
    }

    @Test
    void unreadableTokensAreKeptApartFromEveryTeam() {
        assertEquals(TeamIds.UNREADABLE, TeamIds.identityOf("bearer not-a-jwt"));
        assertEquals(TeamIds.UNREADABLE, TeamIds.identityOf("bearer a.%%%.c"));
        assertEquals(TeamIds.UNREADABLE, TeamIds.identityOf("bearer " + jwt("{\"iat\":1}")));
        assertEquals(TeamIds.UNREADABLE, TeamIds.identityOf("bearer " + jwt("{\"iss\":42}")));
        assertEquals(TeamIds.UNREADABLE, TeamIds.identityOf("bearer " + jwt("[1,2]")));
    }
}
