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
        phonenumber::metadata::DATABASE
            .by_id(self.as_str())
            .map(|m| m.country_code())
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
