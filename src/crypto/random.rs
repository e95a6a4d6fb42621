//! Randomness from the operating system (or, in browsers, `crypto.getRandomValues`) via `getrandom`.

/// Fills `bytes` from the platform CSPRNG.
///
/// # Panics
/// If the platform has no usable random source. Every key, salt and nonce depends on it, so there is
/// nothing safe to fall back to (this matches `rand`'s `OsRng`).
pub fn fill(bytes: &mut [u8]) {
    if let Err(error) = getrandom::fill(bytes) {
        panic!("the platform's random number generator failed: {error}");
    }
}

/// `N` fresh random bytes.
///
/// ```
/// let a: [u8; 16] = sealbase::crypto::random::array();
/// let b: [u8; 16] = sealbase::crypto::random::array();
/// assert_ne!(a, b);
/// ```
pub fn array<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    fill(&mut bytes);
    bytes
}
