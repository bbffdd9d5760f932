package dev.cardcheck;

/** cardcheckd's error answer: its kind, stable code, the field at fault (or null) and a message. */
public final class ServerErrorException extends CardCheckException {
    private static final long serialVersionUID = 1L;

    private final ErrorKind kind;
    private final String code;
    private final String field;
    private final String serverMessage;
    private final long requestId;
    private final long retryAfterMillis;

    ServerErrorException(ErrorKind kind, String code, String field, String message, long requestId) {
        this(kind, code, field, message, requestId, -1);
    }

    ServerErrorException(ErrorKind kind, String code, String field, String message, long requestId,
            long retryAfterMillis) {
        super(kind.wireName() + ": " + code + (field != null ? " (" + field + ")" : "")
                + (message.isEmpty() ? "" : ": " + message));
        this.kind = kind;
        this.code = code;
        this.field = field;
        this.serverMessage = message;
        this.requestId = requestId;
        this.retryAfterMillis = retryAfterMillis;
    }

    /** With {@link ErrorKind#RATE_LIMITED}: milliseconds until the peer may send again; -1 otherwise. */
    public long retryAfterMillis() { return retryAfterMillis; }

    public ErrorKind kind() { return kind; }

    public String code() { return code; }

    /** The request field at fault, or null. */
    public String field() { return field; }

    public String serverMessage() { return serverMessage; }

    /** Whether the server closes the connection after this error (a refusal or a broken stream). */
    public boolean closesConnection() {
        return requestId == 0 || kind == ErrorKind.FRAME_TOO_LARGE || kind == ErrorKind.OVERLOADED
                || code.equals("malformed_stream") || code.equals("not_permitted");
    }
}
