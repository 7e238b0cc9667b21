//! Moving a SQLite deployment to PostgreSQL: `account-server import-sqlite FILE`.
//!
//! A deployment outgrows its one SQLite file; this copies every row of that file into an
//! empty PostgreSQL database, so the same users, sessions (nobody signs in again),
//! pending codes, history and outbox carry on there, then moves each id sequence past the
//! largest id copied. The file is brought to this build's schema first and read in one
//! transaction (a consistent snapshot); everything is written in one PostgreSQL
//! transaction, so an import either lands whole or not at all. Stop the SQLite server
//! first, or what it writes meanwhile is not copied.
//!
//! Both schemas have the same tables and columns; the types differ (SQLite's integers
//! are PostgreSQL's BIGINT, INTEGER or BOOLEAN), so each column is written as the
//! PostgreSQL column's type says, through binary COPY.

use std::path::Path;

use futures_util::pin_mut;
use rusqlite::types::ValueRef;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};

use super::postgres::PgStore;
use super::sqlite::SqliteStore;
use super::{StoreError, StoreResult};
use crate::config::Config;

/// Every table, parents before children (the foreign keys are checked as rows arrive).
const TABLES: &[&str] = &[
    "organizations",
    "users",
    "field_versions",
    "sessions",
    "verifications",
    "code_sends",
    "auth_throttle",
    "idempotency_keys",
    "outbox",
    "balance_adjustments",
    "low_balance_state",
    "events",
];

/// Tables whose `id` comes from an identity sequence.
const SEQUENCED: &[&str] = &[
    "organizations",
    "users",
    "code_sends",
    "outbox",
    "balance_adjustments",
    "events",
];

/// Rows copied per table, in [`TABLES`] order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Copied(pub Vec<(&'static str, u64)>);

/// One SQLite value, owned, as the PostgreSQL column wants it.
#[derive(Debug)]
enum Value {
    /// NULL, as the column's type (binary COPY checks the type of NULLs too).
    Null(Type),
    Int8(i64),
    Int4(i32),
    Bool(bool),
    Text(String),
    Bytes(Vec<u8>),
}

impl Value {
    fn as_sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            Self::Null(ty) if *ty == Type::INT4 => &None::<i32>,
            Self::Null(ty) if *ty == Type::BOOL => &None::<bool>,
            Self::Null(ty) if *ty == Type::TEXT => &None::<String>,
            Self::Null(ty) if *ty == Type::BYTEA => &None::<Vec<u8>>,
            Self::Null(_) => &None::<i64>,
            Self::Int8(v) => v,
            Self::Int4(v) => v,
            Self::Bool(v) => v,
            Self::Text(v) => v,
            Self::Bytes(v) => v,
        }
    }
}

fn refuse(why: String) -> StoreError {
    StoreError::Migration(why)
}

/// `raw` (a SQLite value) as a value of `ty`.
fn convert(table: &str, column: &str, ty: &Type, raw: ValueRef<'_>) -> StoreResult<Value> {
    let wrong = || {
        refuse(format!(
            "{table}.{column}: the SQLite value {raw:?} does not fit PostgreSQL's {ty}"
        ))
    };
    Ok(match (raw, ty) {
        (ValueRef::Null, _) => Value::Null(ty.clone()),
        (ValueRef::Integer(i), &Type::INT8) => Value::Int8(i),
        (ValueRef::Integer(i), &Type::INT4) => Value::Int4(i32::try_from(i).map_err(|_| wrong())?),
        (ValueRef::Integer(i), &Type::BOOL) => Value::Bool(i != 0),
        (ValueRef::Text(t), &Type::TEXT) => {
            Value::Text(std::str::from_utf8(t).map_err(|_| wrong())?.to_owned())
        }
        (ValueRef::Blob(b), &Type::BYTEA) => Value::Bytes(b.to_vec()),
        _ => return Err(wrong()),
    })
}

/// Copies every row of the SQLite database at `from` into the (empty) PostgreSQL
/// database `config.database_url` names, migrating it first.
pub async fn import_sqlite(config: &Config, from: &Path) -> StoreResult<Copied> {
    use secrecy::ExposeSecret;
    let Some(url) = &config.database_url else {
        return Err(refuse(
            "set database_url (ACCOUNT_DATABASE_URL) to the PostgreSQL database to import into"
                .into(),
        ));
    };
    let to = PgStore::open(
        url.expose_secret(),
        config.database_pool_size,
        config.database_listen_fallback_ms,
        config.database_ca_file.as_deref(),
    )
    .await?;
    sqlite_to_postgres(from, &to).await
}

async fn sqlite_to_postgres(from: &Path, to: &PgStore) -> StoreResult<Copied> {
    if !from.is_file() {
        return Err(refuse(format!(
            "{} is not a SQLite database file",
            from.display()
        )));
    }
    // Opening brings the file to this build's schema, as the PostgreSQL side is.
    let sqlite = SqliteStore::open(from).await?;
    let source = sqlite.reader()?;
    source.execute_batch("BEGIN")?;

    let mut client = to.client().await?;
    let tx = client.transaction().await?;
    let occupied: i64 = tx
        .query_one(
            "SELECT (SELECT count(*) FROM organizations) + (SELECT count(*) FROM users)",
            &[],
        )
        .await?
        .try_get(0)?;
    if occupied > 0 {
        return Err(refuse(
            "the PostgreSQL database already holds organizations or users: import into an \
             empty one (a fresh database, migrated by this command)"
                .into(),
        ));
    }
    let mut copied = Copied::default();
    for &table in TABLES {
        let columns: Vec<(String, Type)> = {
            let rows = tx
                .query(
                    "SELECT a.attname::text, a.atttypid FROM pg_attribute a \
                     WHERE a.attrelid = $1::text::regclass AND a.attnum > 0 AND NOT a.attisdropped \
                     ORDER BY a.attnum",
                    &[&table],
                )
                .await?;
            let mut columns = Vec::with_capacity(rows.len());
            for row in rows {
                let oid: u32 = row.try_get(1)?;
                let ty = Type::from_oid(oid).ok_or_else(|| {
                    refuse(format!("{table}: a column of an unknown type (oid {oid})"))
                })?;
                columns.push((row.try_get(0)?, ty));
            }
            columns
        };
        let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
        let types: Vec<Type> = columns.iter().map(|(_, t)| t.clone()).collect();
        let sink = tx
            .copy_in(&format!(
                "COPY {table} ({}) FROM STDIN (FORMAT binary)",
                names.join(", ")
            ))
            .await?;
        let writer = BinaryCopyInWriter::new(sink, &types);
        pin_mut!(writer);
        let mut stmt = source.prepare(&format!("SELECT {} FROM {table}", names.join(", ")))?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(columns.len());
            for (i, (name, ty)) in columns.iter().enumerate() {
                values.push(convert(table, name, ty, row.get_ref(i)?)?);
            }
            let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(Value::as_sql).collect();
            writer.as_mut().write(&refs).await?;
        }
        copied.0.push((table, writer.finish().await?));
    }
    for &table in SEQUENCED {
        tx.execute(
            &format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
            ),
            &[],
        )
        .await?;
    }
    tx.commit().await?;
    source.execute_batch("COMMIT")?;
    Ok(copied)
}
