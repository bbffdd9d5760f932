package dev.cardcheck;

/** A response this client cannot read: the connection is closed, and the next call opens a new one. */
public final class ProtocolException extends CardCheckException {
    private static final long serialVersionUID = 1L;

    public ProtocolException(String message) {
        super("protocol error: " + message);
    }
}
