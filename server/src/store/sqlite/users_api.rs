//! The server-side users API on SQLite: one user's whole record, lookups, pages, changes and deletion.

use rusqlite::{named_params, Connection, OptionalExtension, Transaction};
use sealbase::admin::record::Identity;
use sealbase::admin::EditableUser;

use super::use_cases::{user_by_id, users_duplicate, Duplicate};
use super::{unless_duplicate, Decision};
use crate::store::*;

/// The user of the app with this id: row, record and identities, read in the caller's transaction
/// (or at one moment, for a reader that opened one).
pub(super) fn read_account(c: &Connection, app_id: &str, user_id: &str) -> rusqlite::Result<Option<AccountColumns>> {
    let Some(user) = user_by_id(c, user_id)?.filter(|user| user.app_id == app_id) else { return Ok(None) };
    let details = c.prepare_cached(&format!("{SELECT_DETAILS}?"))?.query_row([user_id], |row| {
        Ok(DetailsColumns {
            name: row.get(0)?,
            picture: row.get(1)?,
            phone_number: row.get(2)?,
            phone_number_verified: row.get(3)?,
            email_verified: row.get(4)?,
            verify_email: row.get(5)?,
            blocked: row.get(6)?,
            login_attempts: row.get(7)?,
            claims: row.get(8)?,
            metadata: row.get(9)?,
        })
    })?;
    let identities = c
        .prepare_cached(&format!("{SELECT_IDENTITIES}? ORDER BY position"))?
        .query_map([user_id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(AccountColumns { user, details, identities }))
}

/// The id of the app's user a lookup names.
pub(super) fn find_user_id(c: &Connection, app_id: &str, lookup: &UserLookup) -> rusqlite::Result<Option<String>> {
    match lookup {
        UserLookup::Username(username) => c
            .prepare_cached("SELECT id FROM users WHERE app_id = ? AND username = ?")?
            .query_row([app_id, username], |row| row.get(0))
            .optional(),
        UserLookup::Email(email) => c
            .prepare_cached("SELECT id FROM users WHERE app_id = ? AND email_key = ?")?
            .query_row([app_id, email], |row| row.get(0))
            .optional(),
        UserLookup::Identity { provider, id } => c
            .prepare_cached(
                "SELECT user_id FROM identities
                 WHERE app_id = ? AND provider = ? AND external_id = ? AND external_id IS NOT NULL",
            )?
            .query_row([app_id, provider, id], |row| row.get(0))
            .optional(),
    }
}

/// A page of the app's users, read at one moment.
pub(super) fn list(c: &Connection, app_id: &str, query: &ListUsers) -> rusqlite::Result<Vec<AccountColumns>> {
    let tx = c.unchecked_transaction()?;
    let ids: Vec<String> = tx
        .prepare_cached(
            "SELECT id FROM users
             WHERE app_id = :app_id AND (:cursor IS NULL OR id > :cursor)
               AND (:blocked IS NULL OR blocked = :blocked)
               AND (:email_verified IS NULL OR email_verified = :email_verified)
             ORDER BY id LIMIT :limit",
        )?
        .query_map(
            named_params! {
                ":app_id": app_id,
                ":cursor": query.cursor,
                ":blocked": query.blocked,
                ":email_verified": query.email_verified,
                ":limit": query.limit as i64,
            },
            |row| row.get(0),
        )?
        .collect::<rusqlite::Result<_>>()?;
    let mut accounts = Vec::with_capacity(ids.len());
    for id in ids {
        accounts.extend(read_account(&tx, app_id, &id)?);
    }
    Ok(accounts)
}

/// Replaces a user's identities; the position of the first one another user of the app has.
pub(super) fn insert_identities(
    tx: &Transaction<'_>,
    user_id: &str,
    app_id: &str,
    identities: &[Identity],
) -> rusqlite::Result<Option<usize>> {
    tx.prepare_cached("DELETE FROM identities WHERE user_id = ?")?.execute([user_id])?;
    for (position, identity) in identities.iter().enumerate() {
        let linked = tx
            .prepare_cached(
                "INSERT INTO identities (user_id, position, app_id, connection, provider, type, external_id, details)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )?
            .execute((
                user_id,
                position as i64,
                app_id,
                &identity.connection,
                &identity.provider,
                &identity.kind,
                &identity.id,
                json(&identity.details),
            ));
        if !unless_duplicate(linked)? {
            return Ok(Some(position));
        }
    }
    Ok(None)
}

/// What an update came to, its columns not yet checked.
pub(super) enum Updated {
    Done(Box<AccountColumns>),
    Refused(AccountRefusal),
    /// The stored record did not read back (a fault of ours).
    Malformed(StoreError),
}

/// [`Store::update_account`] in the writer's transaction.
pub(super) fn update(
    tx: &Transaction<'_>,
    app_id: &str,
    user_id: &str,
    change: &UserChange,
    now: i64,
) -> rusqlite::Result<Decision<Updated>> {
    let Some(current) = read_account(tx, app_id, user_id)? else {
        return Ok(Decision::Rollback(Updated::Refused(AccountRefusal::UserNotFound)));
    };
    let current = match current.into_record() {
        Ok(record) => record,
        Err(error) => return Ok(Decision::Rollback(Updated::Malformed(error))),
    };
    let next: EditableUser = match change.apply(&current.editable()) {
        Ok(next) => next,
        Err(error) => return Ok(Decision::Rollback(Updated::Refused(AccountRefusal::NotValid(error)))),
    };
    let details = &next.details;
    // email_key follows a changed email only: a user whose email another user held first when emails
    // became unique keeps theirs without holding the key.
    let written = tx
        .prepare_cached(
            "UPDATE users SET username = :username,
                 email_key = CASE WHEN email IS :email THEN email_key ELSE :email END, email = :email,
                 name = :name, picture = :picture, phone_number = :phone_number,
                 phone_number_verified = :phone_number_verified, email_verified = :email_verified,
                 verify_email = :verify_email, blocked = :blocked, login_attempts = :login_attempts,
                 claims = :claims, metadata = :metadata
             WHERE id = :id",
        )?
        .execute(named_params! {
            ":id": user_id,
            ":username": next.username,
            ":email": next.email,
            ":name": details.name,
            ":picture": details.picture,
            ":phone_number": details.phone_number,
            ":phone_number_verified": details.phone_number_verified,
            ":email_verified": details.email_verified,
            ":verify_email": details.verify_email,
            ":blocked": details.blocked,
            ":login_attempts": details.login_attempts,
            ":claims": details.profile.as_ref().map(json),
            ":metadata": details.metadata.as_ref().map(json),
        });
    match written.as_ref().err().and_then(users_duplicate) {
        Some(Duplicate::Username) => return Ok(Decision::Rollback(Updated::Refused(AccountRefusal::UsernameTaken))),
        Some(Duplicate::Email) => return Ok(Decision::Rollback(Updated::Refused(AccountRefusal::EmailTaken))),
        None => written?,
    };
    if change.identities.is_some() {
        if let Some(position) = insert_identities(tx, user_id, app_id, &details.identities)? {
            return Ok(Decision::Rollback(Updated::Refused(AccountRefusal::IdentityTaken(position))));
        }
    }
    if details.blocked {
        tx.prepare_cached("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL")?
            .execute((now, user_id))?;
    }
    Ok(match read_account(tx, app_id, user_id)? {
        Some(updated) => Decision::Commit(Updated::Done(Box::new(updated))),
        None => Decision::Rollback(Updated::Refused(AccountRefusal::UserNotFound)),
    })
}

/// [`Store::delete_account`] in the writer's transaction.
pub(super) fn delete(tx: &Transaction<'_>, app_id: &str, user_id: &str) -> rusqlite::Result<Decision<bool>> {
    let deleted = tx.prepare_cached("DELETE FROM users WHERE id = ? AND app_id = ?")?.execute([user_id, app_id])?;
    if deleted == 0 {
        return Ok(Decision::Rollback(false));
    }
    tx.prepare_cached("UPDATE apps SET user_count = user_count - 1 WHERE id = ?")?.execute([app_id])?;
    Ok(Decision::Commit(true))
}
