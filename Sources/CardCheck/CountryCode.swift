/// ISO 3166-1 country codes: what a range file's `country` must be, and how an entered billing country
/// (alpha-2, alpha-3 or numeric, any case) is read for `country_mismatch`.
///
/// Data: Debian's iso-codes (`/usr/share/iso-codes/json/iso_3166-1.json`), 249 countries, as
/// alpha-2, alpha-3 and numeric codes run together (8 characters each), sorted by alpha-2.
public enum CountryCode {
    @usableFromInline static let table: [UInt8] = Array(
        """
        ADAND020AEARE784AFAFG004AGATG028AIAIA660ALALB008AMARM051AOAGO024AQATA010ARARG032ASASM016ATAUT040\
        AUAUS036AWABW533AXALA248AZAZE031BABIH070BBBRB052BDBGD050BEBEL056BFBFA854BGBGR100BHBHR048BIBDI108\
        BJBEN204BLBLM652BMBMU060BNBRN096BOBOL068BQBES535BRBRA076BSBHS044BTBTN064BVBVT074BWBWA072BYBLR112\
        BZBLZ084CACAN124CCCCK166CDCOD180CFCAF140CGCOG178CHCHE756CICIV384CKCOK184CLCHL152CMCMR120CNCHN156\
        COCOL170CRCRI188CUCUB192CVCPV132CWCUW531CXCXR162CYCYP196CZCZE203DEDEU276DJDJI262DKDNK208DMDMA212\
        DODOM214DZDZA012ECECU218EEEST233EGEGY818EHESH732ERERI232ESESP724ETETH231FIFIN246FJFJI242FKFLK238\
        FMFSM583FOFRO234FRFRA250GAGAB266GBGBR826GDGRD308GEGEO268GFGUF254GGGGY831GHGHA288GIGIB292GLGRL304\
        GMGMB270GNGIN324GPGLP312GQGNQ226GRGRC300GSSGS239GTGTM320GUGUM316GWGNB624GYGUY328HKHKG344HMHMD334\
        HNHND340HRHRV191HTHTI332HUHUN348IDIDN360IEIRL372ILISR376IMIMN833ININD356IOIOT086IQIRQ368IRIRN364\
        ISISL352ITITA380JEJEY832JMJAM388JOJOR400JPJPN392KEKEN404KGKGZ417KHKHM116KIKIR296KMCOM174KNKNA659\
        KPPRK408KRKOR410KWKWT414KYCYM136KZKAZ398LALAO418LBLBN422LCLCA662LILIE438LKLKA144LRLBR430LSLSO426\
        LTLTU440LULUX442LVLVA428LYLBY434MAMAR504MCMCO492MDMDA498MEMNE499MFMAF663MGMDG450MHMHL584MKMKD807\
        MLMLI466MMMMR104MNMNG496MOMAC446MPMNP580MQMTQ474MRMRT478MSMSR500MTMLT470MUMUS480MVMDV462MWMWI454\
        MXMEX484MYMYS458MZMOZ508NANAM516NCNCL540NENER562NFNFK574NGNGA566NINIC558NLNLD528NONOR578NPNPL524\
        NRNRU520NUNIU570NZNZL554OMOMN512PAPAN591PEPER604PFPYF258PGPNG598PHPHL608PKPAK586PLPOL616PMSPM666\
        PNPCN612PRPRI630PSPSE275PTPRT620PWPLW585PYPRY600QAQAT634REREU638ROROU642RSSRB688RURUS643RWRWA646\
        SASAU682SBSLB090SCSYC690SDSDN729SESWE752SGSGP702SHSHN654SISVN705SJSJM744SKSVK703SLSLE694SMSMR674\
        SNSEN686SOSOM706SRSUR740SSSSD728STSTP678SVSLV222SXSXM534SYSYR760SZSWZ748TCTCA796TDTCD148TFATF260\
        TGTGO768THTHA764TJTJK762TKTKL772TLTLS626TMTKM795TNTUN788TOTON776TRTUR792TTTTO780TVTUV798TWTWN158\
        TZTZA834UAUKR804UGUGA800UMUMI581USUSA840UYURY858UZUZB860VAVAT336VCVCT670VEVEN862VGVGB092VIVIR850\
        VNVNM704VUVUT548WFWLF876WSWSM882YEYEM887YTMYT175ZAZAF710ZMZMB894ZWZWE716
        """.utf8
    )

    @usableFromInline static let entryCount = table.count / 8

    /// The alpha-2 code (upper case) of a country written as alpha-2, alpha-3 or numeric code, or as one
    /// of the United States' English names; `nil` for anything else (a name, a typo, blank).
    @inlinable @inline(__always) public static func alpha2(_ field: UnsafeBufferPointer<UInt8>) -> UInt16? {
        // Nearly every entered country is two letters: read inline. Anything else (blanks around it, alpha-3,
        // numeric, a name) goes out of line.
        if field.count == 2, let code = packedLetters(field[0], field[1]) { return code }
        return alpha2OfAnyForm(field)
    }

    /// Two ASCII letters, upper-cased and packed; `nil` when either is not a letter. Any two letters: a code
    /// the table lacks simply never equals an issuer country.
    @inlinable @inline(__always) static func packedLetters(_ first: UInt8, _ second: UInt8) -> UInt16? {
        guard first.isASCIILetter, second.isASCIILetter else { return nil }
        return UInt16(first.asciiUppercased) << 8 | UInt16(second.asciiUppercased)
    }

    @usableFromInline static func alpha2OfAnyForm(_ field: UnsafeBufferPointer<UInt8>) -> UInt16? {
        var start = 0
        var end = field.count
        while start < end && (field[start] == 0x20 || field[start] == 0x09) { start &+= 1 }
        while end > start && (field[end &- 1] == 0x20 || field[end &- 1] == 0x09) { end &-= 1 }
        let length = end &- start
        let (offset, width): (Int, Int)
        switch length {
        case 2: return packedLetters(field[start], field[start &+ 1])
        case 3: (offset, width) = field[start].isASCIIDigit ? (5, 3) : (2, 3)
        default:
            return Country.isUnitedStates(UnsafeBufferPointer(rebasing: field[start..<end])) && length > 0
                ? UInt16(0x55) << 8 | 0x53 : nil
        }
        entries: for entry in 0..<entryCount {
            let base = entry &* 8
            for index in 0..<width where table[base &+ offset &+ index] != field[start &+ index].asciiUppercased {
                continue entries
            }
            return UInt16(table[base]) << 8 | UInt16(table[base &+ 1])
        }
        return nil
    }

    static let assignedAlpha2 = Set((0..<entryCount).map { UInt16(table[$0 * 8]) << 8 | UInt16(table[$0 * 8 + 1]) })

    /// Whether `code` is an assigned alpha-2 code (upper case).
    public static func isAlpha2(_ code: some StringProtocol) -> Bool {
        let bytes = Array(code.utf8)
        guard bytes.count == 2, bytes.allSatisfy({ $0 &- 0x41 < 26 }) else { return false }
        return assignedAlpha2.contains(UInt16(bytes[0]) << 8 | UInt16(bytes[1]))
    }

    /// Two upper-case ASCII letters packed as ``alpha2(_:)`` answers them.
    public static func packed(_ code: String) -> UInt16 {
        let bytes = Array(code.utf8)
        return UInt16(bytes[0]) << 8 | UInt16(bytes[1])
    }
}
