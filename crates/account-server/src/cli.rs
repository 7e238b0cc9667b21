//! The `account-server` command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::clock::{SystemClock, from_millis};
use crate::config::{Config, DeliveryMode};
use crate::service::Services;
use crate::store::{OutboxFilter, Store};
use crate::{App, seed};
use account_model::dto::PlatformEvent;

#[derive(Debug, Parser)]
#[command(
    name = "account-server",
    version,
    about = "The Account Settings backend"
)]
pub struct Cli {
    /// TOML configuration file; ACCOUNT_* environment variables override it.
    #[arg(long, global = true, env = "ACCOUNT_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (migrates the database first).
    Serve {
        /// Also create the demo organization when it does not exist.
        #[arg(long)]
        seed_demo: bool,
    },
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Copy a SQLite database (every row: users, sessions, codes, history, outbox) into
    /// the empty PostgreSQL database `database_url` names. Stop the SQLite server first.
    ImportSqlite {
        /// The SQLite database file.
        file: PathBuf,
    },
    /// Create the demo organization (one user per role) unless it exists.
    SeedDemo,
    /// Change an organization's balance (top-up or charge).
    Balance {
        #[command(subcommand)]
        action: BalanceAction,
    },
    /// Tell an organization's users about something that happened, by their preferences.
    Emit {
        /// Organization id or exact name.
        #[arg(long)]
        org: String,
        #[command(subcommand)]
        event: EmitEvent,
    },
    /// Desktop app releases, offered to installed apps by the update endpoint (in the
    /// folder `releases_dir` names).
    Release {
        #[command(subcommand)]
        action: ReleaseAction,
    },
    /// List messages in the outbox, oldest first.
    Outbox {
        /// Only messages to this email address or phone number.
        #[arg(long)]
        to: Option<String>,
        /// Only the last N messages.
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
}

fn print_demo_credentials(config: &Config) {
    println!(
        "\nDemo organization \"{}\" — every user's password: {}",
        seed::DEMO_ORGANIZATION,
        seed::DEMO_PASSWORD
    );
    for (name, email, role, _) in seed::DEMO_USERS {
        println!("  {:<8} {email:<22} {name}", role.as_str());
    }
    match config.delivery {
        DeliveryMode::Development => println!(
            "Verification codes and notices are printed here, and listed by `account-server outbox`.\n"
        ),
        DeliveryMode::Hold => {
            println!("Verification codes wait in the outbox: `account-server outbox`.\n")
        }
        DeliveryMode::Live => {
            println!("Verification codes and notices are sent by email and SMS.\n")
        }
    }
    println!(
        "Lower the demo balance (balance events, low-balance alert): `make lower-balance`, or\n  account-server balance adjust --org \"{}\" --amount -1500\n",
        seed::DEMO_ORGANIZATION
    );
}

#[derive(Debug, Subcommand)]
pub enum BalanceAction {
    /// Print an organization's id, name and balance (`--id` for the id alone, for scripts).
    Show {
        /// Organization id or exact name.
        #[arg(long)]
        org: String,
        #[arg(long)]
        id: bool,
    },
    /// Add (positive) or charge (negative) minor units, once per idempotency key.
    Adjust {
        /// Organization id or exact name.
        #[arg(long)]
        org: String,
        /// Minor units (cents): 2000 tops up 20.00, -1500 charges 15.00.
        #[arg(long, allow_hyphen_values = true)]
        amount: i64,
        /// Applying the same key twice changes the balance once. Default: a new key.
        #[arg(long)]
        key: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReleaseAction {
    /// Publish a release: its bundles (each signed: `<file>.sig` beside it, as the Tauri
    /// bundler writes it) are checked against the apps' public key, then copied in.
    /// Example: `release add --version 0.2.0 --notes-file NOTES.md --public-key app.key.pub
    /// linux-x86_64-deb=app_0.2.0_amd64.deb linux-x86_64-rpm=app-0.2.0-1.x86_64.rpm`
    Add {
        /// The release's version (semver), newer than what apps run.
        #[arg(long)]
        version: semver::Version,
        /// What changed, shown to people before they install.
        #[arg(long, conflicts_with = "notes_file")]
        notes: Option<String>,
        /// The notes, from a file.
        #[arg(long)]
        notes_file: Option<PathBuf>,
        /// The updater public key the apps carry (`plugins.updater.pubkey` of
        /// tauri.conf.json), or a file holding it.
        #[arg(long, env = "ACCOUNT_UPDATER_PUBLIC_KEY")]
        public_key: String,
        /// `<os>-<arch>-<installer>=<file>`: linux-x86_64-deb, linux-x86_64-rpm,
        /// linux-x86_64-appimage, windows-x86_64-nsis, windows-x86_64-msi,
        /// darwin-aarch64-app, darwin-x86_64-app …
        #[arg(required = true)]
        bundles: Vec<crate::releases::BundleArg>,
    },
    /// List the published releases and their bundles.
    List,
}

#[derive(Debug, Subcommand)]
pub enum EmitEvent {
    /// A contact import finished.
    ContactImport {
        #[arg(long)]
        list: String,
        #[arg(long)]
        imported: i64,
        #[arg(long, default_value_t = 0)]
        rejected: i64,
    },
    /// A payment was received (minor units).
    Payment {
        #[arg(long)]
        amount: i64,
    },
    /// An invoice was issued.
    Invoice {
        #[arg(long)]
        number: String,
        #[arg(long)]
        amount: i64,
        /// YYYY-MM-DD
        #[arg(long)]
        due: chrono::NaiveDate,
    },
    /// Re-evaluate low-balance alerts now (they still fire once per crossing).
    LowBalance,
}

async fn services(config: &Config) -> anyhow::Result<Services> {
    let store = Store::open(config).await?;
    Services::new(
        store,
        std::sync::Arc::new(config.clone()),
        std::sync::Arc::new(SystemClock),
    )
}

/// Which database, for messages (never the URL: it may hold a password).
fn database(config: &Config) -> String {
    match &config.database_url {
        Some(_) => "the PostgreSQL database (database_url)".to_owned(),
        None => config.database_path.display().to_string(),
    }
}

fn seed_before_serving(
    services: &Services,
) -> futures_util::future::BoxFuture<'_, anyhow::Result<()>> {
    Box::pin(async move { seed::seed_demo(services).await.map(|_| ()) })
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve { seed_demo } => {
            // The demo users exist before the first request is answered.
            let before = seed_demo.then_some(seed_before_serving as crate::app::BeforeServing);
            let app =
                App::spawn_after(config.clone(), std::sync::Arc::new(SystemClock), before).await?;
            if seed_demo {
                print_demo_credentials(&config);
            }
            tracing::info!(addr = %app.addr, db = %database(&config), instance = %app.services.instance, "serving");
            println!("Account server listening on http://{}", app.addr);
            app.run_until_signal().await
        }
        Command::Migrate => {
            Store::open(&config).await?;
            println!("{} is up to date", database(&config));
            Ok(())
        }
        Command::ImportSqlite { file } => {
            let copied = crate::store::copy::import_sqlite(&config, &file).await?;
            for (table, rows) in &copied.0 {
                println!("{table:<20} {rows:>10} rows");
            }
            println!("{} imported into {}", file.display(), database(&config));
            Ok(())
        }
        Command::Balance {
            action: BalanceAction::Show { org, id },
        } => {
            let services = services(&config).await?;
            let org = services.find_organization(&org).await?;
            let found = services.store.read().await?.organization(org).await?;
            let org = found.ok_or_else(|| anyhow::anyhow!("the organization {org} vanished"))?;
            if id {
                println!("{}", org.id);
            } else {
                let balance = account_model::i18n::format_money(
                    org.balance_minor,
                    &org.currency,
                    account_model::Language::En,
                );
                println!(
                    "organization {} \"{}\": balance {balance}",
                    org.id, org.name
                );
            }
            Ok(())
        }
        Command::Balance {
            action:
                BalanceAction::Adjust {
                    org,
                    amount,
                    key,
                    description,
                },
        } => {
            let services = services(&config).await?;
            let org = services.find_organization(&org).await?;
            let key = key.unwrap_or_else(crate::crypto::new_session_id);
            let done = services
                .adjust_balance(org, amount, &key, description)
                .await?;
            let currency = done.currency;
            let show = |minor| {
                account_model::i18n::format_money(minor, &currency, account_model::Language::En)
            };
            if done.applied {
                println!(
                    "applied {} (key {key}); balance now {}",
                    show(done.amount_minor),
                    show(done.balance_after_minor)
                );
            } else {
                println!(
                    "key {key} was already used: nothing applied; the balance after it was {}",
                    show(done.balance_after_minor)
                );
            }
            Ok(())
        }
        Command::Emit { org, event } => {
            let services = services(&config).await?;
            let organization_id = services.find_organization(&org).await?;
            let event = match event {
                EmitEvent::ContactImport {
                    list,
                    imported,
                    rejected,
                } => PlatformEvent::ContactImportFinished {
                    organization_id,
                    list_name: list,
                    imported,
                    rejected,
                },
                EmitEvent::Payment { amount } => PlatformEvent::PaymentReceived {
                    organization_id,
                    amount_minor: amount,
                },
                EmitEvent::Invoice {
                    number,
                    amount,
                    due,
                } => PlatformEvent::InvoiceIssued {
                    organization_id,
                    invoice_number: number,
                    amount_minor: amount,
                    due_date: due,
                },
                EmitEvent::LowBalance => PlatformEvent::LowBalance { organization_id },
            };
            let result = services.emit(event).await?;
            println!(
                "{} messages queued, {} low-balance alerts fired",
                result.messages_queued, result.alerts_fired
            );
            Ok(())
        }
        Command::SeedDemo => {
            let services = services(&config).await?;
            if seed::seed_demo(&services).await? {
                print_demo_credentials(&config);
            } else {
                println!("the demo organization already exists");
            }
            Ok(())
        }
        Command::Release { action } => release(&config, action),
        Command::Outbox { to, limit } => {
            let store = Store::open(&config).await?;
            let filter = OutboxFilter {
                recipient: to,
                limit: Some(limit.max(1)),
                ..OutboxFilter::default()
            };
            let messages = store.read().await?.outbox(&filter).await?;
            if messages.is_empty() {
                println!("the outbox is empty");
            }
            for m in messages {
                println!(
                    "#{} {} {} to {} [{}] {} ({}, {} attempts)\n  {}{}\n",
                    m.id,
                    from_millis(m.created_at).format("%Y-%m-%d %H:%M:%S UTC"),
                    m.channel,
                    m.recipient,
                    m.language,
                    m.kind,
                    m.status,
                    m.attempts,
                    if m.subject.is_empty() {
                        String::new()
                    } else {
                        format!("{} — ", m.subject)
                    },
                    m.body
                );
            }
            Ok(())
        }
    }
}

/// The binary's entry point.
fn release(config: &Config, action: ReleaseAction) -> anyhow::Result<()> {
    use crate::releases;
    let dir = config.releases_dir.as_deref().ok_or_else(|| {
        anyhow::anyhow!("set releases_dir (ACCOUNT_RELEASES_DIR): the folder the update endpoint serves releases from")
    })?;
    match action {
        ReleaseAction::Add {
            version,
            notes,
            notes_file,
            public_key,
            bundles,
        } => {
            let notes = match (notes, notes_file) {
                (Some(notes), _) => notes,
                (None, Some(file)) => std::fs::read_to_string(&file)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?,
                (None, None) => String::new(),
            };
            let key = releases::PublicKey::read(&public_key)?;
            let date = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let release = releases::add(dir, &version, &notes, &date, &key, &bundles)?;
            println!(
                "published {} ({}) in {}",
                release.version,
                release
                    .platforms
                    .keys()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                dir.join(release.version.to_string()).display()
            );
        }
        ReleaseAction::List => {
            let listed = releases::list(dir)?;
            if listed.is_empty() {
                println!("no release in {}", dir.display());
            }
            for r in listed {
                println!("{}  {}", r.version, r.pub_date);
                for (platform, bundle) in &r.platforms {
                    println!("  {platform:<24} {}", bundle.file);
                }
            }
        }
    }
    Ok(())
}

pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ACCOUNT_LOG")
                // The driver logs PostgreSQL's notices ("already exists, skipping") at info.
                .unwrap_or_else(|_| "info,tower_http=warn,tokio_postgres=warn".into()),
        )
        // Colours only for a person reading a terminal, not in a file or the journal.
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
