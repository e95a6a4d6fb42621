//! Quickstart: start the companion server on a SQLite file in a temporary directory, create an app, then
//! walk one user through sign-up, sign-out, sign-in and a resumed session after a "restart", printing the
//! user and what the server stored (no password, no password-equivalent, no plaintext seed).
//!
//! ```sh
//! cargo run --example quickstart
//! ```

use sealbase::store::FileStore;
use sealbase::{Client, Init, Profile, RememberMe, SignIn, SignUp};
use sealbase_server::{Config, NewApp, Server};

const PASSWORD: &str = "correct horse battery staple";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let database_url = format!("sqlite://{}", dir.path().join("sealbase.db").display());
    let server = Server::open(Config::new(&database_url)).await?;
    let app = server.create_app(&NewApp { name: "quickstart".into(), ..Default::default() }).await?;
    let address = server.clone().spawn("127.0.0.1:0").await?;
    let endpoint = format!("http://{address}");
    println!("server on {endpoint} with {database_url}, appId {}", app.app_id);
    // Sessions with rememberMe = local go to this file (by default: one file per app in the OS data dir).
    let device = || -> anyhow::Result<Client> {
        Ok(Client::new(&app.app_id, &endpoint)?.with_local_store(FileStore::new(dir.path().join("session.json"))))
    };

    let client = device()?;
    let user = client
        .sign_up(SignUp {
            username: "Ada".into(),
            password: PASSWORD.into(),
            email: Some("ada@example.com".into()),
            profile: Some(Profile::from([("plan".to_owned(), "pro".to_owned())])),
            remember_me: RememberMe::Local,
            ..Default::default()
        })
        .await?;
    println!("1. signed up:\n{}", serde_json::to_string_pretty(&user)?);
    let fingerprint = client.key_fingerprint().unwrap_or_default();

    client.sign_out().await?;
    println!("2. signed out; init now reports {:?}", device()?.init(Init::default()).await?);

    let user = client
        .sign_in(SignIn {
            username: "ada".into(),
            password: PASSWORD.into(),
            remember_me: RememberMe::Local,
            ..Default::default()
        })
        .await?;
    let same_keys = client.key_fingerprint().unwrap_or_default() == fingerprint;
    println!("3. signed in again as {} (same end-to-end keys: {same_keys})", user.username);
    drop(client);

    let restarted = device()?;
    let resumed = restarted.init(Init::default()).await?;
    println!("4. a new client resumed the stored session: {:?}", resumed.user.map(|u| u.username));

    // The server's own file, read through a connection of our own.
    let db = rusqlite::Connection::open(dir.path().join("sealbase.db"))?;
    let stored = db.query_row(
        "SELECT id, username, email, profile, kdf_algorithm, kdf_log_n, kdf_r, kdf_p, hex(kdf_salt) AS salt,
                hex(login_public_key) AS login_public_key, hex(seed_backup_ciphertext) AS seed_backup,
                hex(identity_signing_public_key) AS identity_signing, hex(identity_exchange_public_key) AS identity_exchange,
                created_at
         FROM users",
        [],
        |row| {
            Ok(serde_json::json!({
        "id": row.get::<_, String>("id")?,
        "username": row.get::<_, String>("username")?,
        "email": row.get::<_, Option<String>>("email")?,
        "profile": row.get::<_, Option<String>>("profile")?,
        "kdf": format!("{} logN={} r={} p={} salt={}", row.get::<_, String>("kdf_algorithm")?, row.get::<_, i64>("kdf_log_n")?,
            row.get::<_, i64>("kdf_r")?, row.get::<_, i64>("kdf_p")?, row.get::<_, String>("salt")?),
        "loginPublicKey": row.get::<_, String>("login_public_key")?,
        "seedBackup (AES-256-GCM ciphertext)": row.get::<_, String>("seed_backup")?,
        "identitySigningPublicKey": row.get::<_, String>("identity_signing")?,
        "identityExchangePublicKey": row.get::<_, String>("identity_exchange")?,
        "createdAt": row.get::<_, i64>("created_at")?,
            }))
        },
    )?;
    println!(
        "row stored by the server (no password, no password hash, no plaintext seed):\n{}",
        serde_json::to_string_pretty(&stored)?
    );
    Ok(())
}
