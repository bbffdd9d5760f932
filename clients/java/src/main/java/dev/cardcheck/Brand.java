package dev.cardcheck;

/** The card brands of Protocol/JSONLINES.md. {@link ValidateResult#brandName()} also carries brands this
 * client does not know yet. */
public enum Brand {
    VISA("visa"), MASTERCARD("mastercard"), AMERICAN_EXPRESS("american-express"), DINERS_CLUB("diners-club"),
    DISCOVER("discover"), JCB("jcb"), UNIONPAY("unionpay"), MAESTRO("maestro"), ELO("elo"), MIR("mir"),
    HIPER("hiper"), HIPERCARD("hipercard"), NARANJA("naranja"), VERVE("verve"), TROY("troy"), SWITCH("switch"),
    SOLO("solo");

    private final String jsonName;

    Brand(String jsonName) {
        this.jsonName = jsonName;
    }

    public String jsonName() {
        return jsonName;
    }

    /** The brand of this name, or null for a brand this client does not know. */
    public static Brand named(String name) {
        for (Brand brand : values()) if (brand.jsonName.equals(name)) return brand;
        return null;
    }
}
