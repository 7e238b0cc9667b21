//! The `account-server` command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::clock::{SystemClock, from_millis};
use crate::config::{Config, DeliveryMode};
use crate::service::Services;
use crate::store::Db;
use crate::store::outbox::{self, Filter};
use crate::{App, seed};

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
    /// Create the demo organization (one user per role) unless it exists.
    SeedDemo,
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
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve { seed_demo } => {
            let app = App::spawn_default(config.clone()).await?;
            if seed_demo {
                seed::seed_demo(&app.services).await?;
                print_demo_credentials(&config);
            }
            tracing::info!(addr = %app.addr, db = %config.database_path.display(), "serving");
            println!("Account server listening on http://{}", app.addr);
            app.run_until_signal().await
        }
        Command::Migrate => {
            Db::open(&config.database_path).await?;
            println!("database {} is up to date", config.database_path.display());
            Ok(())
        }
        Command::SeedDemo => {
            let db = Db::open(&config.database_path).await?;
            let services = Services::new(
                db,
                std::sync::Arc::new(config.clone()),
                std::sync::Arc::new(SystemClock),
            )?;
            if seed::seed_demo(&services).await? {
                print_demo_credentials(&config);
            } else {
                println!("the demo organization already exists");
            }
            Ok(())
        }
        Command::Outbox { to, limit } => {
            let db = Db::open(&config.database_path).await?;
            let filter = Filter {
                recipient: to,
                limit: Some(limit.max(1)),
                ..Filter::default()
            };
            let messages = db.call(move |c| outbox::list(c, &filter)).await?;
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
pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ACCOUNT_LOG")
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
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
