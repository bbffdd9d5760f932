package dev.cardcheck;

/** How a card is funded, from the server's range file (wire values 1 to 5). */
public enum Funding {
    CREDIT("credit"), DEBIT("debit"), PREPAID("prepaid"), CHARGE("charge"), DEFERRED_DEBIT("deferred_debit");

    private final String jsonName;

    Funding(String jsonName) {
        this.jsonName = jsonName;
    }

    public String jsonName() {
        return jsonName;
    }

    static Funding fromWire(int value) {
        if (value < 1 || value > values().length) throw new ProtocolException("an unknown funding " + value);
        return values()[value - 1];
    }
}
