//! Running CPU-heavy work (scrypt) without stalling the async executor.

/// Native: a tokio blocking thread, so other tasks keep running during the ~100 ms of scrypt.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> crate::Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(|_| crate::Error::ServiceUnavailable)
}

/// wasm32: there is one thread; run inline.
#[cfg(target_arch = "wasm32")]
pub(crate) async fn blocking<T>(work: impl FnOnce() -> T) -> crate::Result<T> {
    Ok(work())
}
