//! What a request can fail with: a public error (its name, status and message are the contract), a
//! storage failure, or another fault of ours. Only public errors reach the client as they are; the rest
//! are logged and answered `503 ServiceUnavailable` (a 5xx is never anything else), except contention
//! the database could not resolve, which is `429 TooManyRequests` (try again).

use sealbase::Error;

use crate::store::{Refusal, StoreError};

/// A request's failure.
#[derive(Debug)]
pub enum ApiError {
    /// A public error, sent as is.
    Public(Error),
    /// The store failed.
    Store(StoreError),
    /// Another fault of ours. Logged, never shown.
    Internal(anyhow::Error),
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        Self::Public(error)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        Self::Public(refusal.into())
    }
}

impl From<Refusal> for Error {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::SessionNotLive => Error::SessionNotValid,
            Refusal::UsernameTaken => Error::UsernameAlreadyExists,
            Refusal::EmailTaken => Error::EmailAlreadyExists,
            Refusal::UserNotFound => Error::UserNotFound,
            Refusal::UserBlocked => Error::UserBlocked,
            Refusal::EmailNotVerified => Error::EmailNotVerified,
            Refusal::RecoveryKeyChanged => Error::RecoveryKeyChanged,
        }
    }
}

impl ApiError {
    /// The public error this failure is answered with, logging what the client does not see.
    pub fn public(self) -> Error {
        match self {
            Self::Public(error) => error,
            Self::Store(StoreError::Contended) => {
                tracing::warn!("a transaction kept conflicting with concurrent ones");
                Error::TooManyRequests { delay: 1 }
            }
            Self::Store(fault) => {
                tracing::error!(error = %fault, "storage failure");
                Error::ServiceUnavailable
            }
            Self::Internal(fault) => {
                tracing::error!(error = %fault, "internal failure");
                Error::ServiceUnavailable
            }
        }
    }
}

/// A request's result.
pub type ApiResult<T> = Result<T, ApiError>;
