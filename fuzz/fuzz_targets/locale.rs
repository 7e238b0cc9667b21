//! Language, country and time zone parsing on any text, and the OS-locale readers the
//! desktop applies at first sign-in. Each accepted value prints as its canonical code,
//! which parses again to the same value and survives its JSON round trip:
//! - a language is exactly one of the supported codes (after trimming);
//! - a country is an assigned ISO 3166-1 alpha-2 code, upper case, in `Country::all()`,
//!   typed in either case;
//! - a time zone is an IANA name chrono-tz knows, exactly as typed (after trimming):
//!   no case folding or alias mapping, so what is stored is what was sent.
#![no_main]

use account_model::{Country, Language, TimeZone};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };

    if let Ok(language) = Language::parse(input) {
        assert_eq!(language.as_str(), input.trim());
        assert_eq!(language.to_string(), language.as_str());
        assert_eq!(Language::parse(language.as_str()), Ok(language));
        let json = serde_json::to_string(&language).expect("serializes");
        assert_eq!(serde_json::from_str::<Language>(&json).ok(), Some(language));
    }
    if let Some(language) = Language::from_locale(input) {
        assert!(Language::ALL.contains(&language));
    }

    if let Ok(country) = Country::parse(input) {
        let code = country.as_str();
        assert_eq!(code, input.trim().to_ascii_uppercase());
        assert!(code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()));
        assert!(
            Country::all().any(|c| c == country),
            "{code} not in the table"
        );
        assert_eq!(country.to_string(), code);
        assert_eq!(Country::parse(code), Ok(country));
        assert_eq!(Country::parse(&code.to_ascii_lowercase()), Ok(country));
        let json = serde_json::to_string(&country).expect("serializes");
        assert_eq!(serde_json::from_str::<Country>(&json).ok(), Some(country));
        let _ = country.calling_code();
    }
    if let Some(country) = Country::from_locale(input) {
        assert!(Country::all().any(|c| c == country));
    }

    if let Ok(zone) = TimeZone::parse(input) {
        let name = zone.as_str();
        assert_eq!(name, input.trim());
        assert_eq!(zone.to_string(), name);
        assert_eq!(
            TimeZone::parse(name),
            Ok(zone),
            "{name} does not parse again"
        );
        let json = serde_json::to_string(&zone).expect("serializes");
        assert_eq!(serde_json::from_str::<TimeZone>(&json).ok(), Some(zone));
    }
});
