package dev.cardcheck;

import java.util.ArrayList;
import java.util.List;

/**
 * The JSON Lines request keys in Java's naming ({@code pan}, {@code postalCode}, {@code onFileCountry}...),
 * null meaning absent, and the two AVS options of the VALIDATE flags. Its toString shows the PAN masked
 * and never the code.
 */
public final class ValidateRequest {
    final String pan, expiry, csc;
    final Integer cscIndicator;
    final String street, postalCode, country, onFileStreet, onFilePostalCode, onFileCountry;
    final String threeDSStatus, eci, authenticationValue, threeDSVersion, threeDSStatusReason;
    final String profile;
    final boolean strictStreet, internationalAvs;

    private ValidateRequest(Builder b) {
        pan = b.pan;
        expiry = b.expiry;
        csc = b.csc;
        cscIndicator = b.cscIndicator;
        street = b.street;
        postalCode = b.postalCode;
        country = b.country;
        onFileStreet = b.onFileStreet;
        onFilePostalCode = b.onFilePostalCode;
        onFileCountry = b.onFileCountry;
        threeDSStatus = b.threeDSStatus;
        eci = b.eci;
        authenticationValue = b.authenticationValue;
        threeDSVersion = b.threeDSVersion;
        threeDSStatusReason = b.threeDSStatusReason;
        profile = b.profile;
        strictStreet = b.strictStreet;
        internationalAvs = b.internationalAvs;
    }

    public static Builder builder() {
        return new Builder();
    }

    static String mask(String pan) {
        String digits = pan.replaceAll("[^0-9]", "");
        return digits.length() < 12 ? "…" : digits.substring(0, 6) + "…" + digits.substring(digits.length() - 4);
    }

    @Override
    public String toString() {
        List<String> shown = new ArrayList<>();
        if (pan != null) shown.add("pan=" + mask(pan));
        if (csc != null) shown.add("csc=<hidden>");
        if (expiry != null) shown.add("expiry=" + expiry);
        if (cscIndicator != null) shown.add("cscIndicator=" + cscIndicator);
        if (street != null) shown.add("street=" + street);
        if (postalCode != null) shown.add("postalCode=" + postalCode);
        if (country != null) shown.add("country=" + country);
        if (onFileStreet != null) shown.add("onFileStreet=" + onFileStreet);
        if (onFilePostalCode != null) shown.add("onFilePostalCode=" + onFilePostalCode);
        if (onFileCountry != null) shown.add("onFileCountry=" + onFileCountry);
        if (threeDSStatus != null) shown.add("threeDSStatus=" + threeDSStatus);
        if (eci != null) shown.add("eci=" + eci);
        if (authenticationValue != null) shown.add("authenticationValue=<hidden>");
        if (threeDSVersion != null) shown.add("threeDSVersion=" + threeDSVersion);
        if (threeDSStatusReason != null) shown.add("threeDSStatusReason=" + threeDSStatusReason);
        if (profile != null) shown.add("profile=" + profile);
        if (strictStreet) shown.add("strictStreet");
        if (internationalAvs) shown.add("internationalAvs");
        return "ValidateRequest" + shown;
    }

    public static final class Builder {
        private String pan, expiry, csc, street, postalCode, country, onFileStreet, onFilePostalCode, onFileCountry;
        private String threeDSStatus, eci, authenticationValue, threeDSVersion, threeDSStatusReason, profile;
        private Integer cscIndicator;
        private boolean strictStreet, internationalAvs;

        public Builder pan(String value) { pan = value; return this; }
        public Builder expiry(String value) { expiry = value; return this; }
        public Builder csc(String value) { csc = value; return this; }
        public Builder cscIndicator(Integer value) {
            if (value != null && (value < 0 || value > 255)) throw new IllegalArgumentException("cscIndicator is 0, 1, 2 or 9");
            cscIndicator = value;
            return this;
        }
        public Builder street(String value) { street = value; return this; }
        public Builder postalCode(String value) { postalCode = value; return this; }
        public Builder country(String value) { country = value; return this; }
        public Builder onFileStreet(String value) { onFileStreet = value; return this; }
        public Builder onFilePostalCode(String value) { onFilePostalCode = value; return this; }
        public Builder onFileCountry(String value) { onFileCountry = value; return this; }
        /** The 3-D Secure outcome: Y, A, N, U, R, C, D or I; the other 3-D Secure fields need it. */
        public Builder threeDSStatus(String value) { threeDSStatus = value; return this; }
        public Builder eci(String value) { eci = value; return this; }
        /** The CAVV, AAV or AEVV: base64 of 20 bytes or 40 hex digits. */
        public Builder authenticationValue(String value) { authenticationValue = value; return this; }
        public Builder threeDSVersion(String value) { threeDSVersion = value; return this; }
        public Builder threeDSStatusReason(String value) { threeDSStatusReason = value; return this; }
        /** A merchant's policy profile on the daemon (its {@code profiles} directory); null: the daemon's policy. */
        public Builder profile(String value) { profile = value; return this; }
        /** Compare the words of street lines too (flag 0x0001). */
        public Builder strictStreet(boolean value) { strictStreet = value; return this; }
        /** Match non-US addresses with the international codes D, B, P, C, I (flag 0x0002). */
        public Builder internationalAvs(boolean value) { internationalAvs = value; return this; }

        public ValidateRequest build() {
            return new ValidateRequest(this);
        }
    }
}
