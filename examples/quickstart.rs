//! Quickstart: start the companion server on a SQLite file in a temporary directory, create an app,
//! sign a user up through the SDK, and show what the server stored (no password, no password-equivalent,
//! no plaintext seed).
//!
//! ```sh
//! cargo run --example quickstart
//! ```

use sealbase::{Client, Profile, SignUp};
use sealbase_server::{Config, NewApp, Server};
use sqlx::Row;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let database_url = format!("sqlite://{}", dir.path().join("sealbase.db").display());
    let server = Server::open(Config::new(&database_url)).await?;
    let app = server.create_app(&NewApp { name: "quickstart".into(), ..Default::default() }).await?;
    let address = server.clone().spawn("127.0.0.1:0").await?;
    println!("server on http://{address} with {database_url}, appId {}", app.app_id);

    let client = Client::new(&app.app_id, &format!("http://{address}"))?;
    let user = client
        .sign_up(SignUp {
            username: "Ada".into(),
            password: "correct horse battery staple".into(),
            email: Some("ada@example.com".into()),
            profile: Some(Profile::from([("plan".to_owned(), "pro".to_owned())])),
            ..Default::default()
        })
        .await?;
    println!("signed up user:\n{}", serde_json::to_string_pretty(&user)?);

    let row = sqlx::query(
        "SELECT id, username, email, profile, kdf_algorithm, kdf_log_n, kdf_r, kdf_p, hex(kdf_salt) AS salt,
                hex(login_public_key) AS login_public_key, hex(seed_backup_ciphertext) AS seed_backup,
                hex(identity_signing_public_key) AS identity_signing, hex(identity_exchange_public_key) AS identity_exchange,
                created_at
         FROM users",
    )
    .fetch_one(server.pool())
    .await?;
    let stored = serde_json::json!({
        "id": row.get::<String, _>("id"),
        "username": row.get::<String, _>("username"),
        "email": row.get::<Option<String>, _>("email"),
        "profile": row.get::<Option<String>, _>("profile"),
        "kdf": format!("{} logN={} r={} p={} salt={}", row.get::<String, _>("kdf_algorithm"), row.get::<i64, _>("kdf_log_n"),
            row.get::<i64, _>("kdf_r"), row.get::<i64, _>("kdf_p"), row.get::<String, _>("salt")),
        "loginPublicKey": row.get::<String, _>("login_public_key"),
        "seedBackup (AES-256-GCM ciphertext)": row.get::<String, _>("seed_backup"),
        "identitySigningPublicKey": row.get::<String, _>("identity_signing"),
        "identityExchangePublicKey": row.get::<String, _>("identity_exchange"),
        "createdAt": row.get::<i64, _>("created_at"),
    });
    println!(
        "row stored by the server (no password, no password hash, no plaintext seed):\n{}",
        serde_json::to_string_pretty(&stored)?
    );
    Ok(())
}
