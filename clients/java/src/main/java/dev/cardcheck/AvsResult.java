package dev.cardcheck;

/** An AVS result letter, A to Z: X Y A W Z N U R G domestic, D B P C I international; the meaning of each
 * is what {@link CardCheckClient#interpret} answers. */
public enum AvsResult {
    A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R, S, T, U, V, W, X, Y, Z;

    static AvsResult fromLetter(String letter) {
        return letter == null ? null : valueOf(letter);  // Wire checks it is one letter A-Z
    }
}
