package dev.cardcheck;

/** A card security code result letter: M match, N no match, P not processed, S should be on the card,
 * U unavailable or no key, and the gateway letters D (suspicious), I (failed validation), X (no response);
 * L: the card is locked by the daemon's velocity limits and the code was not checked. */
public enum CscResult {
    D, I, M, N, P, S, U, X, L;

    static CscResult fromLetter(String letter) {
        if (letter == null) return null;
        try {
            return valueOf(letter);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException("an unknown CSC result letter");
        }
    }
}
