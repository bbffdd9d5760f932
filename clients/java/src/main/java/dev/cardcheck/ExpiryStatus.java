package dev.cardcheck;

/** The expiry check's outcome. */
public enum ExpiryStatus {
    VALID, MALFORMED, EXPIRED, TOO_FAR_AHEAD;

    static ExpiryStatus fromWire(int value) {
        if (value < 0 || value >= values().length) throw new ProtocolException("an unknown expiry status " + value);
        return values()[value];
    }
}
