package dev.cardcheck;

/** Whether a card security code was given, and if not, why. */
public enum CscPresence {
    NOT_PROVIDED(0), PROVIDED(1), ILLEGIBLE(2), NOT_ON_CARD(9);

    final int wire;

    CscPresence(int wire) {
        this.wire = wire;
    }

    public String jsonName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    static CscPresence fromWire(int value) {
        for (CscPresence presence : values()) if (presence.wire == value) return presence;
        throw new ProtocolException("an unknown csc_presence " + value);
    }
}
