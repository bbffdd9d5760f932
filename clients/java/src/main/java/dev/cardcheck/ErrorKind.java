package dev.cardcheck;

/** The error kinds of Protocol/PROTOCOL.md; {@link #UNKNOWN} for a kind this client does not know. */
public enum ErrorKind {
    UNKNOWN, MALFORMED, FRAME_TOO_LARGE, UNSUPPORTED_VERSION, UNKNOWN_OPERATION, MISSING_FIELD, INVALID_FIELD,
    OVERLOADED, NOT_PERMITTED, INTERNAL, RATE_LIMITED;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    static ErrorKind fromWire(int value) {
        return value >= 1 && value < values().length ? values()[value] : UNKNOWN;
    }
}
