package dev.cardcheck;

/** No answer within the call's timeout. The connection stays usable; a late answer is dropped. */
public final class TimeoutException extends CardCheckException {
    private static final long serialVersionUID = 1L;

    public TimeoutException(String message) {
        super(message);
    }
}
