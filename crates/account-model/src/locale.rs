//! Language, country and time zone: the "Language and region" section.
//!
//! The sets are closed: a language the UI has no catalog for, a country code that ISO
//! 3166-1 does not assign, or a time zone the IANA database (via chrono-tz) does not
//! know is refused with its own error code, so a bad value never reaches storage.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, ParseError};

/// A language the product is fully translated into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Language {
    En,
    Es,
    Fr,
    De,
    It,
    Pt,
}

impl Language {
    pub const ALL: [Language; 6] = [Self::En, Self::Es, Self::Fr, Self::De, Self::It, Self::Pt];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Es => "es",
            Self::Fr => "fr",
            Self::De => "de",
            Self::It => "it",
            Self::Pt => "pt",
        }
    }

    /// Exactly one of the supported codes (`en`, `es`, …), as the API accepts it.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|l| l.as_str() == input.trim())
            .ok_or_else(|| {
                ParseError::new(
                    ErrorCode::InvalidLanguage,
                    format!(
                        "\"{input}\" is not a supported language; use one of en, es, fr, de, it, pt"
                    ),
                )
            })
    }

    /// The best supported language for an OS locale such as `es-MX`, `pt_BR.UTF-8` or `de`.
    pub fn from_locale(locale: &str) -> Option<Self> {
        let primary = locale
            .split(['-', '_', '.', '@'])
            .next()?
            .to_ascii_lowercase();
        Self::ALL.into_iter().find(|l| l.as_str() == primary)
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// ISO 3166-1 alpha-2 codes officially assigned (249).
const ISO_3166_ALPHA2: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ \
BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM \
DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK \
HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK \
LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI \
NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI \
SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ \
VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// Each country's international calling code, `-` where it has no numbering plan of its
/// own, in the order of [`ISO_3166_ALPHA2`]. A table rather than libphonenumber's metadata
/// so the desktop app, which only shows the code in its phone picker, does not carry the
/// numbering plans (and their regex engine); a test with the `numbering-plans` feature
/// holds it equal to libphonenumber's for every country.
const CALLING_CODES: &str = "AD376 AE971 AF93 AG1 AI1 AL355 AM374 AO244 AQ- AR54 AS1 AT43 AU61 AW297 AX358 AZ994 BA387 BB1 BD880 \
BE32 BF226 BG359 BH973 BI257 BJ229 BL590 BM1 BN673 BO591 BQ599 BR55 BS1 BT975 BV- BW267 BY375 BZ501 \
CA1 CC61 CD243 CF236 CG242 CH41 CI225 CK682 CL56 CM237 CN86 CO57 CR506 CU53 CV238 CW599 CX61 CY357 \
CZ420 DE49 DJ253 DK45 DM1 DO1 DZ213 EC593 EE372 EG20 EH212 ER291 ES34 ET251 FI358 FJ679 FK500 FM691 \
FO298 FR33 GA241 GB44 GD1 GE995 GF594 GG44 GH233 GI350 GL299 GM220 GN224 GP590 GQ240 GR30 GS- GT502 \
GU1 GW245 GY592 HK852 HM- HN504 HR385 HT509 HU36 ID62 IE353 IL972 IM44 IN91 IO246 IQ964 IR98 IS354 \
IT39 JE44 JM1 JO962 JP81 KE254 KG996 KH855 KI686 KM269 KN1 KP850 KR82 KW965 KY1 KZ7 LA856 LB961 LC1 \
LI423 LK94 LR231 LS266 LT370 LU352 LV371 LY218 MA212 MC377 MD373 ME382 MF590 MG261 MH692 MK389 ML223 \
MM95 MN976 MO853 MP1 MQ596 MR222 MS1 MT356 MU230 MV960 MW265 MX52 MY60 MZ258 NA264 NC687 NE227 NF672 \
NG234 NI505 NL31 NO47 NP977 NR674 NU683 NZ64 OM968 PA507 PE51 PF689 PG675 PH63 PK92 PL48 PM508 PN- \
PR1 PS970 PT351 PW680 PY595 QA974 RE262 RO40 RS381 RU7 RW250 SA966 SB677 SC248 SD249 SE46 SG65 SH290 \
SI386 SJ47 SK421 SL232 SM378 SN221 SO252 SR597 SS211 ST239 SV503 SX1 SY963 SZ268 TC1 TD235 TF- TG228 \
TH66 TJ992 TK690 TL670 TM993 TN216 TO676 TR90 TT1 TV688 TW886 TZ255 UA380 UG256 UM- US1 UY598 UZ998 \
VA39 VC1 VE58 VG1 VI1 VN84 VU678 WF681 WS685 YE967 YT262 ZA27 ZM260 ZW263";

/// A country, as its ISO 3166-1 alpha-2 code in upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(into = "String")]
pub struct Country([u8; 2]);

impl Country {
    /// Every assigned code, for pickers.
    pub fn all() -> impl Iterator<Item = Country> {
        ISO_3166_ALPHA2
            .split_whitespace()
            .map(|c| Country([c.as_bytes()[0], c.as_bytes()[1]]))
    }

    /// An assigned alpha-2 code in either case (`es`, `ES`).
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let upper = input.trim().to_ascii_uppercase();
        if upper.len() == 2 && ISO_3166_ALPHA2.split_whitespace().any(|c| c == upper) {
            let b = upper.as_bytes();
            return Ok(Self([b[0], b[1]]));
        }
        Err(ParseError::new(
            ErrorCode::InvalidCountry,
            format!("\"{input}\" is not an ISO 3166-1 alpha-2 country code such as ES or FR"),
        ))
    }

    /// The region of an OS locale such as `es_MX.UTF-8` or `pt-BR`, when it names one.
    pub fn from_locale(locale: &str) -> Option<Self> {
        locale
            .split(['-', '_', '.', '@'])
            .skip(1)
            .find(|part| part.len() == 2)
            .and_then(|part| Self::parse(part).ok())
    }

    /// The international calling code (`34` for ES), for phone number pickers; `None`
    /// for the few territories without their own numbering plan (e.g. AQ, BV).
    pub fn calling_code(&self) -> Option<u16> {
        CALLING_CODES
            .split_whitespace()
            .find_map(|entry| entry.strip_prefix(self.as_str()))
            .and_then(|code| code.parse().ok())
    }

    pub fn as_str(&self) -> &str {
        // Built only from ASCII letters of the table above.
        std::str::from_utf8(&self.0).unwrap_or("ZZ")
    }
}

impl From<Country> for String {
    fn from(c: Country) -> String {
        c.as_str().to_owned()
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Country {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// An IANA time zone name known to chrono-tz, such as `Europe/Madrid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        chrono_tz::Tz::from_str(input.trim())
            .map(Self)
            .map_err(|_| {
                ParseError::new(
                    ErrorCode::InvalidTimeZone,
                    format!("\"{input}\" is not an IANA time zone such as Europe/Madrid"),
                )
            })
    }

    pub fn utc() -> Self {
        Self(chrono_tz::UTC)
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }

    pub fn as_str(&self) -> &'static str {
        self.0.name()
    }
}

impl From<TimeZone> for String {
    fn from(t: TimeZone) -> String {
        t.as_str().to_owned()
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_country_table_has_every_assigned_code_once() {
        let codes: Vec<_> = Country::all().collect();
        assert_eq!(codes.len(), 249);
        let unique: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), 249);
        assert!(codes.windows(2).all(|w| w[0] < w[1]), "sorted");
    }

    #[test]
    fn countries_know_their_calling_codes() {
        let code = |c: &str| Country::parse(c).expect("country").calling_code();
        assert_eq!(code("ES"), Some(34));
        assert_eq!(code("US"), Some(1));
        assert_eq!(code("PT"), Some(351));
        let with_code = Country::all()
            .filter(|c| c.calling_code().is_some())
            .count();
        assert!(
            with_code > 230,
            "only {with_code} countries have a calling code"
        );
    }

    #[test]
    fn the_calling_code_table_follows_the_country_table() {
        let entries: Vec<_> = CALLING_CODES.split_whitespace().collect();
        let countries: Vec<_> = Country::all().collect();
        assert_eq!(entries.len(), countries.len());
        for (entry, country) in entries.iter().zip(&countries) {
            let rest = entry.strip_prefix(country.as_str()).expect("same order");
            assert!(
                rest == "-" || (!rest.is_empty() && rest.parse::<u16>().is_ok()),
                "{entry}"
            );
        }
    }

    #[cfg(feature = "numbering-plans")]
    #[test]
    fn the_calling_code_table_is_libphonenumbers() {
        for country in Country::all() {
            let plan = phonenumber::metadata::DATABASE
                .by_id(country.as_str())
                .map(|m| m.country_code());
            assert_eq!(country.calling_code(), plan, "{country}");
        }
    }

    #[test]
    fn languages_countries_and_zones_parse_or_refuse_with_their_code() {
        assert_eq!(Language::parse("es").expect("es"), Language::Es);
        assert_eq!(
            Language::parse("ru").expect_err("ru").code,
            ErrorCode::InvalidLanguage
        );
        assert_eq!(
            Language::parse("ES").expect_err("case").code,
            ErrorCode::InvalidLanguage
        );
        assert_eq!(Country::parse("fr").expect("fr").as_str(), "FR");
        assert_eq!(
            Country::parse("XX").expect_err("XX").code,
            ErrorCode::InvalidCountry
        );
        assert_eq!(
            Country::parse("FRA").expect_err("alpha-3").code,
            ErrorCode::InvalidCountry
        );
        assert_eq!(
            TimeZone::parse("Europe/Madrid").expect("tz").as_str(),
            "Europe/Madrid"
        );
        assert_eq!(
            TimeZone::parse("Mars/Olympus").expect_err("tz").code,
            ErrorCode::InvalidTimeZone
        );
    }

    #[test]
    fn os_locales_map_to_supported_values() {
        assert_eq!(Language::from_locale("pt_BR.UTF-8"), Some(Language::Pt));
        assert_eq!(Language::from_locale("de"), Some(Language::De));
        assert_eq!(Language::from_locale("ja-JP"), None);
        assert_eq!(
            Country::from_locale("es-MX").map(|c| c.to_string()),
            Some("MX".into())
        );
        assert_eq!(
            Country::from_locale("sr-Latn-RS").map(|c| c.to_string()),
            Some("RS".into())
        );
        assert_eq!(Country::from_locale("en"), None);
    }

    proptest! {
        #[test]
        fn country_parse_accepts_exactly_the_table(a in "[A-Za-z]", b in "[A-Za-z]") {
            let raw = format!("{a}{b}");
            let in_table = Country::all().any(|c| c.as_str() == raw.to_ascii_uppercase());
            prop_assert_eq!(Country::parse(&raw).is_ok(), in_table);
        }

        #[test]
        fn time_zone_parse_round_trips(input in "\\PC{0,30}") {
            if let Ok(tz) = TimeZone::parse(&input) {
                prop_assert_eq!(TimeZone::parse(tz.as_str()).expect("reparses"), tz);
            }
        }

        #[test]
        fn language_parse_round_trips(input in "[a-z]{0,3}") {
            if let Ok(lang) = Language::parse(&input) {
                prop_assert_eq!(lang.as_str(), input.as_str());
            }
        }
    }
}
