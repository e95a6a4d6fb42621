//! Sessions: created at sign-up and sign-in, presented as `Authorization: Bearer <secret>`, stored
//! only as the secret's SHA-256.

use axum::extract::{FromRequestParts, Path};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use sealbase::protocol::b64::Bytes;
use sealbase::protocol::{SessionGrant, SessionSecret};
use sealbase::validate::RememberMe;
use sealbase::Error;
use sqlx::{FromRow, SqliteConnection};

use crate::clock::{hours_to_ms, iso, now_ms};
use crate::db::hash_secret;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// The session INSERT with its seven values (in [`NewSession::bind`]'s order) at the given parameter
/// numbers, so it can also follow other statements in one round trip.
macro_rules! insert_session_sql {
    ($id:literal, $user:literal, $hash:literal, $remember:literal, $length:literal, $created:literal, $expires:literal) => {
        concat!(
            "INSERT INTO sessions (id, user_id, secret_hash, remember_me, session_length_hours, created_at, expires_at) ",
            "VALUES (?", $id, ", ?", $user, ", ?", $hash, ", ?", $remember, ", ?", $length, ", ?", $created, ", ?", $expires, ");"
        )
    };
}
pub(crate) use insert_session_sql;

/// A session about to be stored: its secret is returned once, in the grant; the database gets its hash.
pub struct NewSession {
    id: String,
    user_id: String,
    secret: SessionSecret,
    remember_me: RememberMe,
    session_length: f64,
    created_at: i64,
    expires_at: i64,
}

impl NewSession {
    /// A fresh session for `user_id`, starting now.
    pub fn new(user_id: &str, remember_me: RememberMe, session_length: f64) -> Self {
        let created_at = now_ms();
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            user_id: user_id.to_owned(),
            secret: SessionSecret::random(),
            remember_me,
            session_length,
            created_at,
            expires_at: created_at + hours_to_ms(session_length),
        }
    }

    /// Binds the seven values of the session INSERT, in column order (`id, user_id, secret_hash,
    /// remember_me, session_length_hours, created_at, expires_at`).
    pub fn bind<'q, O>(
        &'q self,
        query: sqlx::query::QueryScalar<'q, sqlx::Sqlite, O, sqlx::sqlite::SqliteArguments<'q>>,
    ) -> sqlx::query::QueryScalar<'q, sqlx::Sqlite, O, sqlx::sqlite::SqliteArguments<'q>> {
        query
            .bind(self.id.as_str())
            .bind(self.user_id.as_str())
            .bind(hash_secret(self.secret.expose()))
            .bind(remember_me_str(self.remember_me))
            .bind(self.session_length)
            .bind(self.created_at)
            .bind(self.expires_at)
    }

    /// What the client gets once the session is stored, and the expiry (Unix ms).
    pub fn grant(self) -> (SessionGrant, i64) {
        let grant = SessionGrant {
            session_id: self.id,
            secret: self.secret,
            expiration_date: iso(self.expires_at),
            session_length: self.session_length,
        };
        (grant, self.expires_at)
    }
}

/// Inserts a session for `user_id`; the secret is returned once, in the grant.
pub async fn create(
    db: &mut SqliteConnection,
    user_id: &str,
    remember_me: RememberMe,
    session_length: f64,
) -> sqlx::Result<(SessionGrant, i64)> {
    let session = NewSession::new(user_id, remember_me, session_length);
    // An INSERT returns no rows; the scalar query type is the one `bind` works on.
    session.bind(sqlx::query_scalar::<_, i64>(insert_session_sql!(1, 2, 3, 4, 5, 6, 7))).fetch_optional(db).await?;
    Ok(session.grant())
}

fn remember_me_str(remember_me: RememberMe) -> &'static str {
    match remember_me {
        RememberMe::Local => "local",
        RememberMe::Session => "session",
        RememberMe::None => "none",
    }
}

/// A request made with a live session of the app in the path.
#[derive(Debug, Clone, FromRow)]
pub struct Authenticated {
    /// The session's public id.
    pub session_id: String,
    /// The signed-in user.
    pub user_id: String,
    /// The user's app.
    pub app_id: String,
    /// Current expiry (Unix ms).
    pub expires_at: i64,
    /// The session's length in hours.
    pub session_length_hours: f64,
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let Path(app_id) = Path::<String>::from_request_parts(parts, state).await.map_err(|_| Error::AppIdNotValid)?;
        let secret = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .and_then(Bytes::<32>::decode)
            .ok_or(Error::SessionNotValid)?;
        let session: Option<Authenticated> = sqlx::query_as(
            "SELECT s.id AS session_id, s.user_id, u.app_id, s.expires_at, s.session_length_hours
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.secret_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ?",
        )
        .bind(hash_secret(&secret.0))
        .bind(now_ms())
        .fetch_optional(&state.db)
        .await?;
        // A session of another app is as unknown here as a made-up one.
        session.filter(|session| session.app_id == app_id).ok_or_else(|| Error::SessionNotValid.into())
    }
}
