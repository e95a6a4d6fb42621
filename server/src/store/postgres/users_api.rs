//! The server-side users API on PostgreSQL: one user's whole record, lookups, pages, changes (under the
//! user's row lock) and deletion.

use deadpool_postgres::Transaction;
use sealbase::admin::record::Identity;
use tokio_postgres::types::ToSql;
use tokio_postgres::IsolationLevel;

use super::use_cases::user_from_row;
use super::{violates, Failure, PostgresStore};
use crate::store::*;

/// The user of the app with this id: row, record and identities (`lock`: the row `FOR UPDATE`).
pub(super) async fn read_account(
    tx: &Transaction<'_>,
    app_id: &str,
    user_id: &str,
    lock: bool,
) -> Result<Option<AccountColumns>, Failure> {
    let user = if lock {
        tx.prepare_cached(select_user!("u.id = $1 AND u.app_id = $2 FOR UPDATE OF u")).await?
    } else {
        tx.prepare_cached(select_user!("u.id = $1 AND u.app_id = $2")).await?
    };
    let Some(user) = tx.query_opt(&user, &[&user_id, &app_id]).await? else { return Ok(None) };
    let details = tx.prepare_cached(&format!("{SELECT_DETAILS}$1")).await?;
    let row = tx.query_one(&details, &[&user_id]).await?;
    let details = DetailsColumns {
        name: row.try_get(0)?,
        picture: row.try_get(1)?,
        phone_number: row.try_get(2)?,
        phone_number_verified: row.try_get(3)?,
        email_verified: row.try_get(4)?,
        verify_email: row.try_get(5)?,
        blocked: row.try_get(6)?,
        login_attempts: row.try_get::<_, i32>(7)?.into(),
        claims: row.try_get(8)?,
        metadata: row.try_get(9)?,
    };
    let identities = tx.prepare_cached(&format!("{SELECT_IDENTITIES}$1 ORDER BY position")).await?;
    let identities = tx
        .query(&identities, &[&user_id])
        .await?
        .iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, row.try_get(3)?, row.try_get(4)?)))
        .collect::<Result<Vec<IdentityColumns>, Failure>>()?;
    Ok(Some(AccountColumns { user: user_from_row(&user)?, details, identities }))
}

/// Replaces a user's identities; the position of the first one another user of the app has (the
/// caller rolls back).
pub(super) async fn link_identities(
    tx: &Transaction<'_>,
    user_id: &str,
    app_id: &str,
    identities: &[Identity],
) -> Result<Option<usize>, Failure> {
    let unlink = tx.prepare_cached("DELETE FROM identities WHERE user_id = $1").await?;
    tx.execute(&unlink, &[&user_id]).await?;
    let link = tx
        .prepare_cached(
            "INSERT INTO identities (user_id, position, app_id, connection, provider, type, external_id, details)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .await?;
    for (position, identity) in identities.iter().enumerate() {
        let index = position as i32;
        let details = json(&identity.details);
        let params: [&(dyn ToSql + Sync); 8] = [
            &user_id,
            &index,
            &app_id,
            &identity.connection,
            &identity.provider,
            &identity.kind,
            &identity.id,
            &details,
        ];
        match tx.execute(&link, &params).await {
            Err(error) if violates(&error, "identities_unique") => return Ok(Some(position)),
            other => other?,
        };
    }
    Ok(None)
}

/// What an update came to, its columns not yet checked.
pub(super) enum Updated {
    Done(Box<AccountColumns>),
    Refused(AccountRefusal),
}

impl PostgresStore {
    /// Runs `read` in a read-only snapshot, so what it reads is the database at one moment.
    pub(super) async fn in_snapshot<T>(
        &self,
        read: impl AsyncFnOnce(&Transaction<'_>) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        let mut client = self.pool.get().await?;
        let tx =
            client.build_transaction().read_only(true).isolation_level(IsolationLevel::RepeatableRead).start().await?;
        let value = read(&tx).await?;
        tx.commit().await?;
        Ok(value)
    }

    /// [`Store::find_user`].
    pub(super) async fn find_account(
        &self,
        app_id: &str,
        lookup: &UserLookup,
    ) -> Result<Option<AccountColumns>, Failure> {
        self.in_snapshot(async |tx| {
            let row = match lookup {
                UserLookup::Username(username) => {
                    let select = tx.prepare_cached("SELECT id FROM users WHERE app_id = $1 AND username = $2").await?;
                    tx.query_opt(&select, &[&app_id, username]).await?
                }
                UserLookup::Email(email) => {
                    let select = tx.prepare_cached("SELECT id FROM users WHERE app_id = $1 AND email_key = $2").await?;
                    tx.query_opt(&select, &[&app_id, email]).await?
                }
                UserLookup::Identity { provider, id } => {
                    let select = tx
                        .prepare_cached(
                            "SELECT user_id FROM identities
                             WHERE app_id = $1 AND provider = $2 AND external_id = $3 AND external_id IS NOT NULL",
                        )
                        .await?;
                    tx.query_opt(&select, &[&app_id, provider, id]).await?
                }
            };
            let Some(row) = row else { return Ok(None) };
            let user_id: String = row.try_get(0)?;
            read_account(tx, app_id, &user_id, false).await
        })
        .await
    }

    /// [`Store::list_users`].
    pub(super) async fn list_accounts(&self, app_id: &str, query: &ListUsers) -> Result<Vec<AccountColumns>, Failure> {
        self.in_snapshot(async |tx| {
            let select = tx
                .prepare_cached(
                    "SELECT id FROM users
                     WHERE app_id = $1 AND ($2::TEXT IS NULL OR id > $2)
                       AND ($3::BOOLEAN IS NULL OR blocked = $3)
                       AND ($4::BOOLEAN IS NULL OR email_verified = $4)
                     ORDER BY id LIMIT $5",
                )
                .await?;
            let limit = query.limit as i64;
            let params: [&(dyn ToSql + Sync); 5] =
                [&app_id, &query.cursor, &query.blocked, &query.email_verified, &limit];
            let mut accounts = Vec::new();
            for row in tx.query(&select, &params).await? {
                let user_id: String = row.try_get(0)?;
                accounts.extend(read_account(tx, app_id, &user_id, false).await?);
            }
            Ok(accounts)
        })
        .await
    }

    /// One attempt at [`Store::update_account`].
    pub(super) async fn update_account_once(
        &self,
        app_id: &str,
        user_id: &str,
        change: &UserChange,
        now: i64,
    ) -> Result<Updated, Failure> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let Some(current) = read_account(&tx, app_id, user_id, true).await? else {
            return Ok(Updated::Refused(AccountRefusal::UserNotFound));
        };
        let current = current.into_record().map_err(|error| Failure::Unexpected(error.to_string()))?;
        let next = match change.apply(&current.editable()) {
            Ok(next) => next,
            Err(error) => return Ok(Updated::Refused(AccountRefusal::NotValid(error))),
        };
        let details = &next.details;
        // email_key follows a changed email only (see the SQLite store).
        let write = tx
            .prepare_cached(
                "UPDATE users SET username = $2,
                     email_key = CASE WHEN email IS NOT DISTINCT FROM $3 THEN email_key ELSE $3 END, email = $3,
                     name = $4, picture = $5, phone_number = $6, phone_number_verified = $7, email_verified = $8,
                     verify_email = $9, blocked = $10, login_attempts = $11, claims = $12, metadata = $13
                 WHERE id = $1",
            )
            .await?;
        let login_attempts = i32::try_from(details.login_attempts).unwrap_or(i32::MAX);
        let claims = details.profile.as_ref().map(json);
        let metadata = details.metadata.as_ref().map(json);
        let params: [&(dyn ToSql + Sync); 13] = [
            &user_id,
            &next.username,
            &next.email,
            &details.name,
            &details.picture,
            &details.phone_number,
            &details.phone_number_verified,
            &details.email_verified,
            &details.verify_email,
            &details.blocked,
            &login_attempts,
            &claims,
            &metadata,
        ];
        match tx.execute(&write, &params).await {
            Err(error) if violates(&error, "users_username_unique") => {
                return Ok(Updated::Refused(AccountRefusal::UsernameTaken))
            }
            Err(error) if violates(&error, "users_email_unique") => {
                return Ok(Updated::Refused(AccountRefusal::EmailTaken))
            }
            other => other?,
        };
        if change.identities.is_some() {
            if let Some(position) = link_identities(&tx, user_id, app_id, &details.identities).await? {
                return Ok(Updated::Refused(AccountRefusal::IdentityTaken(position)));
            }
        }
        if details.blocked {
            // Under the user's row lock: a sign-in holds it FOR SHARE until its session is committed,
            // so every session it opens is seen here (or the sign-in sees the block).
            let revoke = tx
                .prepare_cached("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                .await?;
            tx.execute(&revoke, &[&now, &user_id]).await?;
        }
        let updated = read_account(&tx, app_id, user_id, false).await?;
        let Some(updated) = updated else { return Ok(Updated::Refused(AccountRefusal::UserNotFound)) };
        tx.commit().await?;
        Ok(Updated::Done(Box::new(updated)))
    }

    /// One attempt at [`Store::delete_account`]: the app row first, as sign-up takes it, then the user row.
    pub(super) async fn delete_account_once(&self, app_id: &str, user_id: &str) -> Result<bool, Failure> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let uncount = tx.prepare_cached("UPDATE apps SET user_count = user_count - 1 WHERE id = $1").await?;
        tx.execute(&uncount, &[&app_id]).await?;
        let delete = tx.prepare_cached("DELETE FROM users WHERE id = $1 AND app_id = $2").await?;
        if tx.execute(&delete, &[&user_id, &app_id]).await? == 0 {
            // No such user: the count goes back with the rollback.
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }
}
