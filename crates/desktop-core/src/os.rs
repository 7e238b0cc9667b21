//! What the operating system says about the user's language, country and time zone,
//! mapped to values the product supports. Sent once, at the first sign-in of a user who
//! never set language and region.
//!
//! The mapping is a pure function ([`RegionDefaults::from_os_values`]) so it is tested
//! without depending on the machine running the tests; [`RegionDefaults::detect`] only
//! reads the two OS values. Fallbacks: English, no country, UTC.

use account_model::dto::RegionDefaults as WireDefaults;
use account_model::{Country, Language, TimeZone};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegionDefaults {
    pub language: Language,
    pub country: Option<Country>,
    pub time_zone: TimeZone,
}

impl RegionDefaults {
    /// Reads the OS locale (e.g. `es-MX`, `pt_BR.UTF-8`) and the system time zone.
    pub fn detect() -> Self {
        let locale = sys_locale::get_locale();
        let zone = iana_time_zone::get_timezone().ok();
        Self::from_os_values(locale.as_deref(), zone.as_deref())
    }

    /// Maps raw OS values to supported ones; anything unknown falls back.
    pub fn from_os_values(locale: Option<&str>, time_zone: Option<&str>) -> Self {
        Self {
            language: locale
                .and_then(Language::from_locale)
                .unwrap_or(Language::En),
            country: locale.and_then(Country::from_locale),
            time_zone: time_zone
                .and_then(|t| TimeZone::parse(t).ok())
                .unwrap_or_else(TimeZone::utc),
        }
    }

    /// The wire form of the sign-in request.
    pub fn to_wire(self) -> WireDefaults {
        WireDefaults {
            language: Some(self.language.as_str().to_owned()),
            country: self.country.map(|c| c.as_str().to_owned()),
            time_zone: Some(self.time_zone.as_str().to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_supported_locale_and_zone_map_to_language_country_and_zone() {
        let d = RegionDefaults::from_os_values(Some("pt_BR.UTF-8"), Some("America/Sao_Paulo"));

        assert_eq!(d.language, Language::Pt);
        assert_eq!(
            d.country.map(|c| c.as_str().to_owned()).as_deref(),
            Some("BR")
        );
        assert_eq!(d.time_zone.as_str(), "America/Sao_Paulo");
    }

    #[test]
    fn unknown_or_missing_values_fall_back_to_english_no_country_and_utc() {
        let d = RegionDefaults::from_os_values(Some("C"), Some("Mars/Olympus_Mons"));
        let none = RegionDefaults::from_os_values(None, None);

        assert_eq!(d.language, Language::En);
        assert_eq!(d.country, None);
        assert_eq!(d.time_zone, TimeZone::utc());
        assert_eq!(none, d);
    }

    #[test]
    fn a_language_without_a_catalog_falls_back_to_english_but_keeps_the_country() {
        let d = RegionDefaults::from_os_values(Some("ja-JP"), Some("Asia/Tokyo"));

        assert_eq!(d.language, Language::En);
        assert_eq!(
            d.country.map(|c| c.as_str().to_owned()).as_deref(),
            Some("JP")
        );
        assert_eq!(d.to_wire().time_zone.as_deref(), Some("Asia/Tokyo"));
    }

    #[test]
    fn detection_on_this_machine_yields_supported_values() {
        let d = RegionDefaults::detect();

        assert!(Language::ALL.contains(&d.language));
        assert!(TimeZone::parse(d.time_zone.as_str()).is_ok());
    }
}
