/// The IIN prefix ranges of every brand, as data.
///
/// Each entry is a brand and a comma-separated list of prefixes. A prefix `a-b` is a numeric range over the
/// first `len(a)` digits of the PAN (both ends have the same number of digits). When the prefixes of several
/// brands match a PAN, the **longest** matching prefix wins; between equally long prefixes the narrower range
/// (the more specific one) wins. Source: shared/reference/brands.md (braintree/credit-card-type v10.3.0, with
/// the ranges its cross-check against active_merchant found missing). Edit here; ``BrandDirectory`` compiles
/// it once at start-up.
///
/// Switch and Solo are legacy names and have no rows: a legacy name never overrides a live brand. Their old
/// ranges (4903, 4905, 4911, 4936; 564182, 633110, 6333, 6759; 6334, 6767) are Visa's and Maestro's today,
/// and those rows (4; 56-59, 63, 67) answer them with the live brand's lengths.
public enum BrandTable {
    public static let entries: [(brand: Brand, prefixes: String)] = [
        (.visa, "4"),
        (.mastercard, "51-55, 2221-2229, 223-229, 23-26, 270-271, 2720"),
        (.americanExpress, "34, 37"),
        // 3095: from active_merchant's Diners ranges (not in credit-card-type).
        (.dinersClub, "300-305, 36, 38, 39, 3095"),
        (.discover, "6011, 644-649, 65"),
        // 3088-3094 ... 3337-3349: JCB's ranges in active_merchant, which credit-card-type lacks.
        (.jcb, "2131, 1800, 3528-3589, 3088-3094, 3096-3102, 3112-3120, 3158-3159, 3337-3349"),
        (
            .unionPay,
            """
            620, 623-626, 62100-62182, 62184-62197, 62200-62205, 622010-622999, 62207-62209, 6270, 6272, 6276, \
            627700-627779, 627781-627799, 6282-6289, 6291, 6292, 810, 8110-8171
            """
        ),
        (.maestro, "493698, 500000-504174, 504176-506698, 506779-508999, 56-59, 63, 67, 6"),
        // Elo's last three (650057-650081, 651680-651704, 636298): its edges per Elo's own BIN file, as
        // active_merchant cites it, where credit-card-type's end short.
        (
            .elo,
            """
            401178, 401179, 431274, 438935, 451416, 457393, 457631, 457632, 504175, 506699-506778, 509000-509999, \
            627780, 636297, 636368, 650031-650033, 650035-650051, 650405-650439, 650485-650538, 650541-650598, \
            650700-650718, 650720-650727, 650901-650978, 651652-651679, 655000-655019, 655021-655058, \
            650057-650081, 651680-651704, 636298
            """
        ),
        (.mir, "2200-2204"),
        (.hiper, "637095, 63737423, 63743358, 637568, 637599, 637609, 637612"),
        (.hipercard, "606282"),
        (.naranja, "589562, 402918, 527572"),
        (
            .verve,
            """
            506099-506127, 506129, 506133-506150, 506158-506163, 506166, 506168, 506170, 506173, 506176-506180, \
            506184, 506187-506188, 506191, 506195, 506197, 507865, 507866, 507868-507877, 507880-507888, 507900, \
            507941
            """
        ),
        (
            .troy,
            """
            9792, 650052, 650082-650083, 650092, 650161, 650170, 650173, 650175, 650268, 650271, 650273-650274, \
            650456-650457, 650836, 650846-650850, 650923, 650987, 650990, 654997, 657366, 657998, 658758, \
            658767-658768, 65083700-65083704, 65085800-65085804, 65085900-65085901, 65086000, 65086100-65086105, \
            65086200-65086203, 65875000-65875003, 65875009, 65875101-65875104, 65875200, 65875501, 65875601, \
            65875900, 65876000-65876002, 65876100-65876103, 65876110, 65876115-65876116, 65876200-65876201, \
            65876500, 65876504-65876505, 65876600-65876602, 65877100-65877101, 65877600-65877602, 65877700, \
            65877801-65877802, 65878200-65878202, 65878300-65878311, 65878400-65878405, 65878500-65878505, \
            65878600-65878601, 65879800, 65880800, 65880900
            """
        ),
    ]
}
