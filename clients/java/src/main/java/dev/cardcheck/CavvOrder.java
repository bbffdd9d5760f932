package dev.cardcheck;

/**
 * What CAVV_GENERATE makes: a 3-D Secure authentication value (a Visa CAVV, or a Mastercard SPA AAV) for a card,
 * for status {@code Y} or {@code A}. Fields left null take the defaults of Protocol/PROTOCOL.md (the range's first
 * key, a random tracking or sequence number). Immutable; its toString masks the PAN.
 *
 * <pre>{@code
 * CavvOrder order = CavvOrder.of("4123456789012349", "Y").secondFactor("02");
 * }</pre>
 *
 * @param keyIndicator Visa: the CAVV key indicator (01-99); Mastercard: the BIN key id (0-15)
 * @param transactionNumber Visa: the 16-digit authentication tracking number; Mastercard: 8 hex digits
 * @param secondFactor Visa: the 2-digit second factor authentication code
 * @param merchantName Mastercard: the merchant's name, whose SHA-1 prefix the AAV carries
 * @param acsId Mastercard: the ACS identifier, 0-7
 * @param authenticationMethod Mastercard: 0 none, 1 password, 2 secret key or chip, 3 PKI
 */
public record CavvOrder(String pan, String threeDsStatus, String keyIndicator, String transactionNumber,
        String secondFactor, String merchantName, String acsId, String authenticationMethod) {

    public static CavvOrder of(String pan, String threeDsStatus) {
        return new CavvOrder(pan, threeDsStatus, null, null, null, null, null, null);
    }

    public CavvOrder keyIndicator(String value) {
        return new CavvOrder(pan, threeDsStatus, value, transactionNumber, secondFactor, merchantName, acsId, authenticationMethod);
    }

    public CavvOrder transactionNumber(String value) {
        return new CavvOrder(pan, threeDsStatus, keyIndicator, value, secondFactor, merchantName, acsId, authenticationMethod);
    }

    public CavvOrder secondFactor(String value) {
        return new CavvOrder(pan, threeDsStatus, keyIndicator, transactionNumber, value, merchantName, acsId, authenticationMethod);
    }

    public CavvOrder merchantName(String value) {
        return new CavvOrder(pan, threeDsStatus, keyIndicator, transactionNumber, secondFactor, value, acsId, authenticationMethod);
    }

    public CavvOrder acsId(String value) {
        return new CavvOrder(pan, threeDsStatus, keyIndicator, transactionNumber, secondFactor, merchantName, value, authenticationMethod);
    }

    public CavvOrder authenticationMethod(String value) {
        return new CavvOrder(pan, threeDsStatus, keyIndicator, transactionNumber, secondFactor, merchantName, acsId, value);
    }

    @Override
    public String toString() {
        return "CavvOrder[pan=" + ValidateRequest.mask(pan) + ", threeDsStatus=" + threeDsStatus + "]";
    }
}
