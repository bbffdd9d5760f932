package dev.cardcheck;

/** cardcheckd could not be reached, or the connection kept breaking, within the call's time and attempts. */
public final class ConnectionFailedException extends CardCheckException {
    private static final long serialVersionUID = 1L;

    public ConnectionFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
