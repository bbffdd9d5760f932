package dev.cardcheck;

/** What the server made of a request's 3-D Secure data (wire values 1 to 8). */
public enum ThreeDSResult {
    AUTHENTICATED("authenticated"), ATTEMPTED("attempted"), NOT_AUTHENTICATED("not_authenticated"),
    UNAVAILABLE("unavailable"), REJECTED("rejected"), PENDING("pending"), INFORMATIONAL("informational"),
    /** Y or A whose ECI or authentication value does not back it. */
    INVALID("invalid");

    private final String jsonName;

    ThreeDSResult(String jsonName) {
        this.jsonName = jsonName;
    }

    public String jsonName() {
        return jsonName;
    }

    static ThreeDSResult fromWire(int value) {
        if (value < 1 || value > values().length) throw new ProtocolException("an unknown three_ds_result " + value);
        return values()[value - 1];
    }
}
