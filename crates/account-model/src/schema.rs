//! The OpenAPI schemas of the domain values whose rules are data, not a derive: the
//! document lists exactly the values the parsers accept because it is built from the
//! same tables ([`Country::all`], chrono-tz's zone list, the email length limit).
//!
//! Why by hand: the wire carries these as strings (requests stay raw so each bad value
//! gets its own error code, see [`crate::dto`]), and a derive would document "any
//! string". Built only with the `openapi` feature (the server's; the desktop has no use
//! for them).

use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::{KnownFormat, RefOr};
use utoipa::{PartialSchema, ToSchema};

use crate::{Country, Currency, Email, PhoneNumber, TimeZone};

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

impl PartialSchema for Country {
    fn schema() -> RefOr<Schema> {
        string()
            .description(Some("An ISO 3166-1 alpha-2 country code, upper case."))
            .enum_values(Some(Country::all().map(|c| c.as_str().to_owned())))
            .into()
    }
}
impl ToSchema for Country {}

impl PartialSchema for TimeZone {
    fn schema() -> RefOr<Schema> {
        string()
            .description(Some("An IANA time zone name, such as Europe/Madrid."))
            .enum_values(Some(chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())))
            .into()
    }
}
impl ToSchema for TimeZone {}

impl PartialSchema for Email {
    fn schema() -> RefOr<Schema> {
        string()
            .description(Some(
                "An email address (stored lower case). Quoted local parts, IP-literal and dotless domains are refused.",
            ))
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
            .min_length(Some(3))
            .max_length(Some(crate::email::MAX_LEN))
            .into()
    }
}
impl ToSchema for Email {}

impl PartialSchema for PhoneNumber {
    fn schema() -> RefOr<Schema> {
        string()
            .description(Some("A phone number in E.164 form, such as +34600123456."))
            .pattern(Some(r"^\+[0-9]{4,15}$"))
            .into()
    }
}
impl ToSchema for PhoneNumber {}

impl PartialSchema for Currency {
    fn schema() -> RefOr<Schema> {
        string()
            .description(Some(
                "An ISO 4217 currency code; amounts are in its minor units (cents).",
            ))
            .pattern(Some("^[A-Z]{3}$"))
            .into()
    }
}
impl ToSchema for Currency {}

/// A typed phone number as a request carries it: with its country code (`+34 600 123
/// 456`, `0034…`), up to 40 characters. Whether the number exists in its country's
/// numbering plan is the server's check (`invalid_phone`), which no pattern can say.
pub fn phone_input() -> Schema {
    string()
        .description(Some(
            "With its country code: +34 600 123 456 (or 0034…). At most 40 characters.",
        ))
        .pattern(Some(r"^\s*(\+|00)"))
        .max_length(Some(40))
        .build()
        .into()
}

/// Text that must say something: at least one character that is not white space, at
/// most `max` characters.
pub fn nonblank(max: usize) -> Schema {
    string()
        .min_length(Some(1))
        .max_length(Some(max))
        .pattern(Some(r"\S"))
        .build()
        .into()
}

/// A low-balance threshold: 0 to [`crate::MAX_THRESHOLD_MINOR`] minor units.
pub fn threshold_minor() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .description(Some("Minor units (cents) of the organization's currency."))
        .minimum(Some(0))
        .maximum(Some(crate::MAX_THRESHOLD_MINOR))
        .build()
        .into()
}

/// A balance adjustment: a non-zero number of minor units, at most 10^12 either way.
pub fn adjustment_minor() -> Schema {
    let side = |min: i64, max: i64| {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(min))
            .maximum(Some(max))
            .build()
    };
    OneOfBuilder::new()
        .description(Some(
            "Minor units; positive adds, negative charges. Not zero; at most 10^12 either way.",
        ))
        .item(side(-crate::prefs::MAX_ADJUSTMENT_MINOR, -1))
        .item(side(1, crate::prefs::MAX_ADJUSTMENT_MINOR))
        .build()
        .into()
}

/// The channels a kind of notice may go by (an empty list is "don't notify me"; a
/// channel named twice counts once).
fn channel_set(kind: crate::NoticeKind) -> Schema {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(string().enum_values(Some(kind.allowed().iter().map(|c| c.as_str()))))
        .build()
        .into()
}

pub fn contact_import_channels() -> Schema {
    channel_set(crate::NoticeKind::ContactImports)
}

pub fn billing_channels() -> Schema {
    channel_set(crate::NoticeKind::Billing)
}

pub fn low_balance_channels() -> Schema {
    channel_set(crate::NoticeKind::LowBalance)
}

pub fn idempotency_key() -> Schema {
    nonblank(100)
}

pub fn list_name() -> Schema {
    nonblank(200)
}

pub fn invoice_number() -> Schema {
    nonblank(64)
}
