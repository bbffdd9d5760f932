package dev.cardcheck;

/** Every error of this client. Messages never hold a PAN or a card security code. */
public class CardCheckException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CardCheckException(String message) {
        super(message);
    }

    public CardCheckException(String message, Throwable cause) {
        super(message, cause);
    }
}
