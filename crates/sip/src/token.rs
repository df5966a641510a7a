//! Random tokens for Call-IDs, tags, branches and `.invalid` host names.

use rand::Rng;

/// `len` random characters from `[a-z0-9]`: valid in a token, a branch and a host label alike.
pub fn random_token(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}
