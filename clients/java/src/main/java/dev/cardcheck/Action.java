package dev.cardcheck;

/** The recommended action, least to most severe. */
public enum Action {
    ACCEPT, REVIEW, RETRY, DECLINE;

    /** The JSON Lines name: {@code accept}, {@code review}, {@code retry}, {@code decline}. */
    public String jsonName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    static Action fromWire(int value) {
        if (value < 0 || value >= values().length) throw new ProtocolException("an unknown action " + value);
        return values()[value];
    }
}
