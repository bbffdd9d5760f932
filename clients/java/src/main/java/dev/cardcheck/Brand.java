package dev.cardcheck;

/** The built-in card brands of Protocol/JSONLINES.md. {@link ValidateResult#brandName()} also carries brands
 * this client does not know (one the server's brands file declares, or a newer built-in one). SWITCH and SOLO
 * are legacy names: only ever a {@link ValidateResult#legacyBrandName()}. */
public enum Brand {
    VISA("visa"), MASTERCARD("mastercard"), AMERICAN_EXPRESS("american-express"), DINERS_CLUB("diners-club"),
    DISCOVER("discover"), JCB("jcb"), UNIONPAY("unionpay"), MAESTRO("maestro"), ELO("elo"), MIR("mir"),
    HIPER("hiper"), HIPERCARD("hipercard"), NARANJA("naranja"), VERVE("verve"), TROY("troy"), DANKORT("dankort"),
    FORBRUGSFORENINGEN("forbrugsforeningen"), CABAL("cabal"), ALELO("alelo"), ALIA("alia"), VR("vr"),
    SODEXO("sodexo"), CARNET("carnet"), CARTES_BANCAIRES("cartes-bancaires"), OLIMPICA("olimpica"),
    CREDITEL("creditel"), CONFIABLE("confiable"), SYNCHRONY("synchrony"), ROUTEX("routex"), MADA("mada"),
    BP_PLUS("bp-plus"), PASSCARD("passcard"), EDENRED("edenred"), ANDA("anda"), TARJETA_D("tarjeta-d"),
    PANAL("panal"), UATP("uatp"), SWITCH("switch"), SOLO("solo");

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
