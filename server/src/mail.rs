//! Verification mail (docs/protocol.md §3.16): SMTP through lettre, or `.eml` files in a directory for
//! development and the quickstart. Without either, a request that needs mail is refused rather than
//! accepted and dropped.

use std::path::PathBuf;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How mail leaves the server.
#[derive(Clone, Default)]
pub enum MailTransport {
    /// No mail: verification requests are refused.
    #[default]
    None,
    /// An SMTP URL (`smtps://…` TLS, `smtp://…?tls=required` STARTTLS, `smtp://…` plain).
    Smtp(String),
    /// A directory that receives each message as a `.eml` file.
    Outbox(PathBuf),
}

impl std::fmt::Debug for MailTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            // The URL may carry a password.
            Self::Smtp(url) => write!(
                f,
                "Smtp({})",
                url::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default()
            ),
            Self::Outbox(dir) => f.debug_tuple("Outbox").field(dir).finish(),
        }
    }
}

/// Mail settings of a server.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// Where mail goes.
    pub transport: MailTransport,
    /// The sender (`Name <address>`).
    pub from: String,
    /// The server's public URL, for links.
    pub public_url: String,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            transport: MailTransport::None,
            from: "sealbase <no-reply@localhost>".into(),
            public_url: "http://127.0.0.1:8080".into(),
        }
    }
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(AsyncFileTransport<Tokio1Executor>),
}

/// Sends verification mail.
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    public_url: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

/// A verification message's secrets, as the mail carries them.
pub struct Verification<'a> {
    /// The app.
    pub app_id: &'a str,
    /// The address.
    pub to: &'a str,
    /// The link's token (in the URL fragment, which browsers never send to a server).
    pub token: &'a str,
    /// The code a user types into the app.
    pub code: &'a str,
}

impl Mailer {
    /// The mailer a configuration asks for; `None` without a transport.
    pub fn new(config: &MailConfig) -> anyhow::Result<Option<Self>> {
        let transport = match &config.transport {
            MailTransport::None => return Ok(None),
            MailTransport::Smtp(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| anyhow::anyhow!("--smtp-url: {e}"))?
                    .build(),
            ),
            MailTransport::Outbox(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("--mail-outbox {}: {e}", dir.display()))?;
                Transport::Outbox(AsyncFileTransport::<Tokio1Executor>::new(dir))
            }
        };
        let from = config.from.parse().map_err(|e| anyhow::anyhow!("--mail-from {:?}: {e}", config.from))?;
        Ok(Some(Self { transport, from, public_url: config.public_url.trim_end_matches('/').to_owned() }))
    }

    /// The link a verification mail carries.
    pub fn link(&self, app_id: &str, token: &str) -> String {
        let path = sealbase::protocol::routes::VERIFY_EMAIL.replace("{app_id}", app_id);
        format!("{}{path}#token={token}", self.public_url)
    }

    /// Sends a verification message.
    pub async fn send_verification(&self, verification: &Verification<'_>) -> anyhow::Result<()> {
        let link = self.link(verification.app_id, verification.token);
        let body = format!(
            "Confirm your email address by opening this link:\n\n{link}\n\nor by entering this code in the app:\n\n    {}\n\n\
             Both work once and expire in {} hours. If you did not ask for this, ignore this message.\n",
            verification.code,
            crate::auth::email_verification::VALID_MS / 3_600_000,
        );
        let message = Message::builder()
            .from(self.from.clone())
            .to(verification.to.parse()?)
            .subject("Confirm your email address")
            .header(ContentType::TEXT_PLAIN)
            .body(body)?;
        match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.send(message).await?;
            }
            Transport::Outbox(outbox) => {
                outbox.send(message).await?;
            }
        }
        Ok(())
    }
}
