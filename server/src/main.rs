//! `sealbase-server`: serve the API, or administer apps.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use sealbase::PaymentsMode;
use sealbase_server::store::Store;
use sealbase_server::{
    apps, AppChange, Config, IpNet, KeyEncryptionKey, KeySource, MailConfig, MailTransport, NewApp, Server,
};

#[derive(Parser)]
#[command(name = "sealbase-server", version, about = "Companion server for sealbase end-to-end-encrypted accounts")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Database {
    /// Database URL: `sqlite://path` (created if missing) or `postgres://user@host:port/db` (add
    /// `?sslmode=require` for TLS, `&sslrootcert=ca.pem` to trust a private CA).
    #[arg(long, env = "SEALBASE_DATABASE", default_value = "sqlite://sealbase.db", global = true)]
    database: String,
}

impl Database {
    /// The store, for commands that need no server around it (apps and their secrets).
    async fn store(&self) -> anyhow::Result<Arc<dyn Store>> {
        sealbase_server::store::open(&self.database).await
    }
}

#[derive(Args)]
struct KeyFile {
    /// The key-encryption key that seals the server's signing keys and secret at rest: a file of 32
    /// random bytes, base64url, readable by its owner only. Required on PostgreSQL; on SQLite the
    /// default is `<database file>.kek` beside the database, created when missing.
    #[arg(long, env = "SEALBASE_KEY_ENCRYPTION_KEY_FILE")]
    key_encryption_key_file: Option<PathBuf>,
}

impl KeyFile {
    fn source(self) -> KeySource {
        self.key_encryption_key_file.map_or(KeySource::BesideSqliteDatabase, KeySource::File)
    }
}

/// Where verification mail goes (none: a request that needs mail is refused).
#[derive(Args)]
struct MailArgs {
    /// SMTP server for verification mail: `smtps://user:pass@host:465` (TLS), `smtp://host:587?tls=required`
    /// (STARTTLS) or `smtp://host:25` (plain, for a local relay). The password never reaches the logs.
    #[arg(long, env = "SEALBASE_SMTP_URL", conflicts_with = "mail_outbox")]
    smtp_url: Option<String>,
    /// Development and quickstart: write each message to a `.eml` file in this directory instead.
    #[arg(long, env = "SEALBASE_MAIL_OUTBOX")]
    mail_outbox: Option<PathBuf>,
    /// The sender of verification mail.
    #[arg(long, env = "SEALBASE_MAIL_FROM", default_value = "sealbase <no-reply@localhost>")]
    mail_from: String,
    /// The server's public URL, for the links in verification mail (default: the listening address).
    #[arg(long, env = "SEALBASE_PUBLIC_URL")]
    public_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API.
    Serve {
        #[command(flatten)]
        database: Database,
        #[command(flatten)]
        key: KeyFile,
        /// Address to listen on.
        #[arg(long, env = "SEALBASE_BIND", default_value = "127.0.0.1:8080")]
        bind: String,
        /// `iss` claim of issued authTokens.
        #[arg(long, env = "SEALBASE_ISSUER", default_value = "sealbase")]
        issuer: String,
        /// Pre-login, sign-in, sign-up and rename requests one client address may make per minute (per
        /// server).
        #[arg(long, env = "SEALBASE_ADDRESS_BUDGET", default_value_t = 300)]
        address_budget_per_minute: u32,
        /// A reverse proxy (address or CIDR network) whose `X-Forwarded-For` names the client; repeatable,
        /// or comma-separated in the environment.
        #[arg(long = "trusted-proxy", env = "SEALBASE_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_proxy)]
        trusted_proxies: Vec<IpNet>,
        #[command(flatten)]
        mail: MailArgs,
    },
    /// Manage apps.
    App {
        #[command(subcommand)]
        command: AppCommand,
    },
    /// Manage the authToken signing keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create a new signing key. The old one signs nothing more but stays in the JWKS until every token
    /// it signed has expired. Running servers switch within 5 seconds.
    Rotate {
        #[command(flatten)]
        database: Database,
        #[command(flatten)]
        key: KeyFile,
    },
    /// Write a new key-encryption key file (32 random bytes, base64url, readable by its owner only);
    /// prints JSON. Every server on one database needs the same one.
    GenerateKek {
        /// Where to write it (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Seal the signing keys and the server secret under a new key-encryption key, all at once; prints
    /// JSON. Then restart every server with the new file: until then they keep what they loaded, but
    /// cannot open a signing key rotated in after this.
    RotateKek {
        #[command(flatten)]
        database: Database,
        #[command(flatten)]
        key: KeyFile,
        /// The new key-encryption key file (created, readable by its owner only, when missing).
        #[arg(long)]
        new_key_encryption_key_file: PathBuf,
    },
}

#[derive(Subcommand)]
enum AppCommand {
    /// Create an app; prints its appId and admin access token as JSON.
    Create {
        #[command(flatten)]
        database: Database,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Minimum password length.
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(6..=1000))]
        password_min_length: u32,
        /// How many of the five password practices (8+ characters, upper case, lower case, a number,
        /// one of !@#$%^&*) a password must follow.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=5))]
        password_complexity: u8,
        /// Origin allowed to call from a browser (repeatable; none = any).
        #[arg(long = "allowed-origin")]
        allowed_origins: Vec<String>,
        /// Maximum number of users.
        #[arg(long)]
        user_quota: Option<u32>,
        /// `disabled`, `test` or `prod`.
        #[arg(long, default_value = "disabled")]
        payments_mode: PaymentsMode,
        /// Trial length for new users, in days (with payments on).
        #[arg(long)]
        trial_days: Option<u32>,
        /// Longest authToken lifetime, in seconds.
        #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(u32).range(60..=86400))]
        token_lifetime_secs: u32,
        /// Sign-in needs a verified email (servers need a mail transport to send verifications).
        #[arg(long)]
        require_verified_email: bool,
    },
    /// Change an app's password policy; prints it as JSON. Clients see it within 5 seconds (or their
    /// next start, when they cached it).
    Update {
        #[command(flatten)]
        database: Database,
        /// The app.
        #[arg(long)]
        app_id: String,
        /// New minimum password length.
        #[arg(long, value_parser = clap::value_parser!(u32).range(6..=1000))]
        password_min_length: Option<u32>,
        /// New number of password practices required.
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
        password_complexity: Option<u8>,
        /// Whether sign-in needs a verified email (`true` or `false`).
        #[arg(long)]
        require_verified_email: Option<bool>,
    },
    /// Replace an app's admin access token (the old one stops working); prints the new one.
    Token {
        #[command(flatten)]
        database: Database,
        /// The app.
        #[arg(long)]
        app_id: String,
    },
    /// Manage the secrets an app's backend authenticates with on the server-side APIs.
    Secret {
        #[command(subcommand)]
        command: SecretCommand,
    },
}

#[derive(Subcommand)]
enum SecretCommand {
    /// Create a named secret; prints it, once, as JSON. Several can be live at once, for rotation.
    Create {
        #[command(flatten)]
        database: Database,
        /// The app.
        #[arg(long)]
        app_id: String,
        /// A name unique among the app's live secrets.
        #[arg(long)]
        name: String,
    },
    /// List the app's live secrets (names, created, last used) as JSON; never the secrets.
    List {
        #[command(flatten)]
        database: Database,
        /// The app.
        #[arg(long)]
        app_id: String,
    },
    /// Revoke a secret by name: it stops working at once.
    Revoke {
        #[command(flatten)]
        database: Database,
        /// The app.
        #[arg(long)]
        app_id: String,
        /// The secret's name.
        #[arg(long)]
        name: String,
    },
}

/// An address is a network of one.
fn parse_proxy(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("not an IP address or CIDR network: {text:?}"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Logs go to stderr, so what commands print on stdout (JSON, the listening address) is all there is.
    let stderr = std::io::stderr();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_ansi(stderr.is_terminal())
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Serve { database, key, bind, issuer, address_budget_per_minute, trusted_proxies, mail } => {
            let listener = tokio::net::TcpListener::bind(&bind).await?;
            let transport = match (mail.smtp_url, mail.mail_outbox) {
                (Some(url), _) => MailTransport::Smtp(url),
                (None, Some(dir)) => MailTransport::Outbox(dir),
                (None, None) => MailTransport::None,
            };
            let public_url = mail.public_url.unwrap_or_else(|| {
                listener.local_addr().map_or_else(|_| format!("http://{bind}"), |address| format!("http://{address}"))
            });
            let config = Config {
                issuer,
                address_budget_per_minute,
                trusted_proxies,
                key_encryption_key: key.source(),
                mail: MailConfig { transport, from: mail.mail_from, public_url },
                ..Config::new(database.database)
            };
            let server = Server::open(config).await?;
            // On stdout, for scripts (port 0 picks a free port).
            println!("listening on http://{}", listener.local_addr()?);
            server.serve(listener).await
        }
        Command::App {
            command:
                AppCommand::Create {
                    database,
                    name,
                    password_min_length,
                    password_complexity,
                    allowed_origins,
                    user_quota,
                    payments_mode,
                    trial_days,
                    token_lifetime_secs,
                    require_verified_email,
                },
        } => {
            let store = database.store().await?;
            let app = NewApp {
                name,
                password_min_length,
                password_complexity,
                allowed_origins,
                user_quota,
                payments_mode,
                trial_days,
                token_lifetime_secs,
                require_verified_email,
            };
            let created = apps::create(store.as_ref(), &app).await?;
            println!("{}", serde_json::to_string_pretty(&created)?);
            Ok(())
        }
        Command::App {
            command:
                AppCommand::Update { database, app_id, password_min_length, password_complexity, require_verified_email },
        } => {
            let store = database.store().await?;
            let change = AppChange { password_min_length, password_complexity, require_verified_email };
            println!("{}", serde_json::to_string_pretty(&apps::update(store.as_ref(), &app_id, &change).await?)?);
            Ok(())
        }
        Command::App { command: AppCommand::Token { database, app_id } } => {
            let store = database.store().await?;
            let token = apps::new_admin_token(store.as_ref(), &app_id).await?;
            println!("{}", serde_json::json!({ "appId": app_id, "adminAccessToken": token.as_str() }));
            Ok(())
        }
        Command::App { command: AppCommand::Secret { command } } => match command {
            SecretCommand::Create { database, app_id, name } => {
                let store = database.store().await?;
                let created = apps::create_secret(store.as_ref(), &app_id, &name).await?;
                println!("{}", serde_json::to_string_pretty(&created)?);
                Ok(())
            }
            SecretCommand::List { database, app_id } => {
                let store = database.store().await?;
                println!("{}", serde_json::to_string_pretty(&apps::secrets(store.as_ref(), &app_id).await?)?);
                Ok(())
            }
            SecretCommand::Revoke { database, app_id, name } => {
                let store = database.store().await?;
                apps::revoke_secret(store.as_ref(), &app_id, &name).await?;
                println!("{}", serde_json::json!({ "appId": app_id, "name": name, "revoked": true }));
                Ok(())
            }
        },
        Command::Keys { command: KeysCommand::Rotate { database, key } } => {
            let config = Config { key_encryption_key: key.source(), ..Config::new(database.database) };
            let server = Server::open(config).await?;
            let kid = server.rotate_signing_key().await?;
            println!("{}", serde_json::json!({ "kid": kid }));
            Ok(())
        }
        Command::Keys { command: KeysCommand::GenerateKek { out } } => {
            KeyEncryptionKey::create(&out)?;
            println!("{}", serde_json::json!({ "keyEncryptionKeyFile": out.display().to_string() }));
            Ok(())
        }
        Command::Keys { command: KeysCommand::RotateKek { database, key, new_key_encryption_key_file } } => {
            let old = match key.key_encryption_key_file {
                Some(file) => KeyEncryptionKey::read(&file)?,
                None => {
                    let path = sealbase_server::store::sqlite::file_path(&database.database).ok_or_else(|| {
                        anyhow::anyhow!("--key-encryption-key-file names the current key-encryption key")
                    })?;
                    KeyEncryptionKey::read(&PathBuf::from(format!("{}.kek", path.display())))?
                }
            };
            let new = match new_key_encryption_key_file.exists() {
                true => KeyEncryptionKey::read(&new_key_encryption_key_file)?,
                false => KeyEncryptionKey::create(&new_key_encryption_key_file)?,
            };
            let store = database.store().await?;
            let resealed = sealbase_server::auth::sealing::reseal(store.as_ref(), &old, &new).await?;
            let file = new_key_encryption_key_file.display().to_string();
            println!("{}", serde_json::json!({ "resealed": resealed, "keyEncryptionKeyFile": file }));
            Ok(())
        }
    }
}
