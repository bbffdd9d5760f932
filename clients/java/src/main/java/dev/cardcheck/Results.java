package dev.cardcheck;

import java.util.OptionalLong;

/** The answers of the operations other than VALIDATE. */
public final class Results {
    private Results() {}

    /** HELLO: the server's name, version and limits. */
    public record Hello(String serverName, String serverVersion, int protocolVersion, long maxFrame,
            long maxInFlight) {}

    /** INTERPRET: the meaning of AVS and CSC result letters; null where not asked. */
    public record Interpretation(String avsMeaning, Integer avsStreet, Integer avsPostal, Action avsAction,
            String avsAdvice, String cscMeaning, Action cscAction, String cscAdvice, Action action) {}

    /** STATS: the daemon's counters; empty where the server sent none. */
    public record Stats(OptionalLong uptimeSeconds, OptionalLong openConnections, OptionalLong connectionsAccepted,
            OptionalLong connectionsRefused, OptionalLong requests, OptionalLong validateRequests,
            OptionalLong errors, OptionalLong workerQueues) {}

    /** CSC_GENERATE: a code made with the issuer's key. Its toString hides the code. */
    public record GeneratedCode(String code, String key, String kcv) {
        @Override
        public String toString() {
            return "GeneratedCode[key=" + key + ", kcv=" + kcv + "]";
        }
    }

    /** CAVV_GENERATE: a 3-D Secure authentication value (base64 of 20 bytes). Its toString hides the value. */
    public record GeneratedAuthenticationValue(String authenticationValue, String key, String kcv) {
        public byte[] bytes() {
            return java.util.Base64.getDecoder().decode(authenticationValue);
        }

        @Override
        public String toString() {
            return "GeneratedAuthenticationValue[key=" + key + ", kcv=" + kcv + "]";
        }
    }

    /** CSC_VERIFY and CAVV_VERIFY: M (match, with the key), N (no match) or U (no key covers the card). */
    public record Verification(CscResult result, String key, String kcv) {
        public boolean matched() {
            return result == CscResult.M;
        }
    }
}
