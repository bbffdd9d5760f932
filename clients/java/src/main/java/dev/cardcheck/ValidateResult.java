package dev.cardcheck;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON Lines result: its keys as accessors ({@code maskedPan()}, {@code expiryValid()}...), null where
 * the check was not asked. {@link #asMap()} and {@link #toJsonLine()} are exactly the JSON Lines object.
 */
public final class ValidateResult {
    private final String maskedPan;
    private final Boolean luhnValid;
    private final String brandName;
    private final Boolean lengthValid;
    private final ExpiryStatus expiry;
    private final CscPresence cscPresence;
    private final Boolean cscFormatValid;
    private final CscResult cscResult;
    private final AvsResult avsResult;
    private final Boolean avsStreetMatch, avsPostalMatch;
    private final Action action;
    private final List<String> reasons;
    private final CardData card;
    private final ThreeDS threeDS;

    /** The 3-D Secure check: its result and whether liability shifted; null without 3-D Secure data. */
    public record ThreeDS(ThreeDSResult result, boolean liabilityShift, String authenticationValueResult) {}

    /**
     * What the server's card data says about the card beyond its brand: the legacy name of its range, and
     * the range file's issuer country (ISO 3166-1 alpha-2), funding, product, issuer and co-badged networks.
     * Each is null when not known.
     */
    public record CardData(String legacyBrandName, String issuerCountry, Funding funding, String product,
            String issuer, List<String> networks) {
        static final CardData NONE = new CardData(null, null, null, null, null, null);
    }

    ValidateResult(String maskedPan, Boolean luhnValid, String brandName, Boolean lengthValid, ExpiryStatus expiry,
            CscPresence cscPresence, Boolean cscFormatValid, CscResult cscResult, AvsResult avsResult,
            Boolean avsStreetMatch, Boolean avsPostalMatch, Action action, List<String> reasons, CardData card,
            ThreeDS threeDS) {
        this.maskedPan = maskedPan;
        this.luhnValid = luhnValid;
        this.brandName = brandName;
        this.lengthValid = lengthValid;
        this.expiry = expiry;
        this.cscPresence = cscPresence;
        this.cscFormatValid = cscFormatValid;
        this.cscResult = cscResult;
        this.avsResult = avsResult;
        this.avsStreetMatch = avsStreetMatch;
        this.avsPostalMatch = avsPostalMatch;
        this.action = action;
        this.reasons = Collections.unmodifiableList(reasons);
        this.card = card == null ? CardData.NONE : card;
        this.threeDS = threeDS;
    }

    public String maskedPan() { return maskedPan; }
    public Boolean luhnValid() { return luhnValid; }
    /** The brand, or null for none or a brand this client does not know (see {@link #brandName()}). */
    public Brand brand() { return brandName == null ? null : Brand.named(brandName); }
    public String brandName() { return brandName; }
    public Boolean lengthValid() { return lengthValid; }
    public ExpiryStatus expiryStatus() { return expiry; }
    public Boolean expiryValid() { return expiry == null ? null : expiry == ExpiryStatus.VALID; }
    public CscPresence cscPresence() { return cscPresence; }
    public Boolean cscFormatValid() { return cscFormatValid; }
    public CscResult cscResult() { return cscResult; }
    public AvsResult avsResult() { return avsResult; }
    public Boolean avsStreetMatch() { return avsStreetMatch; }
    public Boolean avsPostalMatch() { return avsPostalMatch; }
    public Action action() { return action; }
    public List<String> reasons() { return reasons; }
    public CardData card() { return card; }
    /** Null when the request carried no 3-D Secure data. */
    public ThreeDS threeDS() { return threeDS; }
    public ThreeDSResult threeDSResult() { return threeDS == null ? null : threeDS.result(); }
    public Boolean liabilityShift() { return threeDS == null ? null : threeDS.liabilityShift(); }
    /** The authentication value checked with the issuer's key: "M", "N" or "U" (no key); null without one. */
    public String authenticationValueResult() { return threeDS == null ? null : threeDS.authenticationValueResult(); }
    public String legacyBrandName() { return card.legacyBrandName(); }
    public String issuerCountry() { return card.issuerCountry(); }
    public Funding funding() { return card.funding(); }
    public String product() { return card.product(); }
    public String issuer() { return card.issuer(); }
    /** The other networks of a co-badged card, by brand name; null when the range names none. */
    public List<String> networks() { return card.networks(); }

    /** The JSON Lines result object: its keys in order, with JSON values (String, Boolean, List, null). */
    public Map<String, Object> asMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("masked_pan", maskedPan);
        map.put("luhn_valid", luhnValid);
        map.put("brand", brandName);
        map.put("legacy_brand", card.legacyBrandName());
        map.put("length_valid", lengthValid);
        map.put("issuer_country", card.issuerCountry());
        map.put("funding", card.funding() == null ? null : card.funding().jsonName());
        map.put("product", card.product());
        map.put("issuer", card.issuer());
        map.put("networks", card.networks());
        map.put("expiry_valid", expiryValid());
        map.put("csc_presence", cscPresence == null ? null : cscPresence.jsonName());
        map.put("csc_format_valid", cscFormatValid);
        map.put("csc_result", cscResult == null ? null : cscResult.name());
        map.put("avs_result", avsResult == null ? null : avsResult.name());
        map.put("avs_street_match", avsStreetMatch);
        map.put("avs_postal_match", avsPostalMatch);
        map.put("three_ds_result", threeDS == null ? null : threeDS.result().jsonName());
        map.put("liability_shift", liabilityShift());
        map.put("authentication_value_result", authenticationValueResult());
        map.put("action", action.jsonName());
        map.put("reasons", reasons);
        return map;
    }

    /** The JSON Lines result line, byte for byte as {@code cardcheck validate} writes it. */
    public String toJsonLine() {
        return Json.write(asMap());
    }

    @Override
    public String toString() {
        return "ValidateResult" + toJsonLine();
    }
}
