//! Secrets the identity handlers mint and recognise: refresh tokens, recovery codes, and the keyed
//! index that names the reservation streams. Only digests of tokens and codes are ever stored.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::ids::UserId;
use domain::user::{Email, Handle};
use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// A refresh token as handed to the client, and the digest that is stored.
pub struct MintedToken {
    pub token: String,
    pub digest: String,
}

impl std::fmt::Debug for MintedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MintedToken")
            .field("digest", &self.digest)
            .finish_non_exhaustive()
    }
}

/// A new refresh token: `<user id>.<256 random bits, base64url>`. The user id lets the handler
/// load the right stream directly, without a lookup table that could lag behind the log; it is
/// not a secret. The 256 random bits are.
pub fn mint_refresh_token(user: UserId) -> MintedToken {
    let mut random = [0u8; 32];
    OsRng.fill_bytes(&mut random);
    let token = format!("{}.{}", user.0.simple(), URL_SAFE_NO_PAD.encode(random));
    MintedToken {
        digest: digest(&token),
        token,
    }
}

/// The user a refresh token claims to belong to, if it is well-formed.
pub fn refresh_token_user(token: &str) -> Option<UserId> {
    let (user, random) = token.split_once('.')?;
    if URL_SAFE_NO_PAD.decode(random).ok()?.len() != 32 {
        return None;
    }
    Uuid::try_parse(user).ok().map(UserId)
}

/// SHA-256, hex. Enough for tokens and codes with ≥ 80 random bits: there is nothing to brute
/// force, so a slow hash would only cost time.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Lower-case base32 without the look-alikes 0, 1, l and o.
const RECOVERY_ALPHABET: &[u8] = b"23456789abcdefghijkmnpqrstuvwxyz";
pub const RECOVERY_CODE_COUNT: usize = 10;

/// Ten recovery codes of 16 characters (80 bits), shown as `xxxx-xxxx-xxxx-xxxx`.
pub fn recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODE_COUNT)
        .map(|_| {
            let chars: Vec<char> = (0..16)
                .map(|_| RECOVERY_ALPHABET[OsRng.gen_range(0..RECOVERY_ALPHABET.len())] as char)
                .collect();
            chars
                .chunks(4)
                .map(|c| c.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// The stored digest of a recovery code as the user may type it (any case, with or without
/// dashes and spaces).
pub fn recovery_digest(code: &str) -> String {
    let normalised: String = code
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect();
    digest(&normalised)
}

/// A six-digit string is a TOTP code; anything else offered as a second factor is taken for a
/// recovery code.
pub fn looks_like_totp(code: &str) -> bool {
    let code = code.trim();
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

/// The data-key subject that encrypts failed logins for unknown accounts: not any user's key, so
/// erasing a user never touches it and its existence says nothing about any account.
pub const LOGIN_ATTEMPTS_KEY_SUBJECT: Uuid =
    Uuid::from_u128(0x0d0c_7a17_0000_4000_8000_1091_a77e_0001);

/// A server-side HMAC key that turns emails and handles into stream ids, so that the event log's
/// stream names do not spell out anyone's email address (and nobody without the key can test
/// whether an address has an account by computing its stream name).
#[derive(Clone)]
pub struct IndexKey([u8; 32]);

impl IndexKey {
    pub fn new(key: [u8; 32]) -> Self {
        Self(key)
    }

    /// Derives the index key from the master key with a fixed label, so no extra secret has to
    /// be configured. The index names streams for good: if the master key is ever rotated, pin
    /// the old derivation (or configure the index key explicitly) instead of re-deriving.
    pub fn derive_from_master(master_key: &[u8]) -> Self {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(master_key).expect("HMAC takes any key length");
        mac.update(b"docuvault/identity-index/v1");
        Self(mac.finalize().into_bytes().into())
    }

    fn index(&self, purpose: &str, value: &str) -> Uuid {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        let bytes = mac.finalize().into_bytes();
        let mut id = [0u8; 16];
        id.copy_from_slice(&bytes[..16]);
        Uuid::from_bytes(id)
    }

    /// The id of the email's reservation stream (`email-<id>`).
    pub fn email(&self, email: &Email) -> Uuid {
        self.index("email", email.as_str())
    }

    /// The id of the handle's reservation stream (`handle-<id>`).
    pub fn handle(&self, handle: &Handle) -> Uuid {
        self.index("handle", handle.as_str())
    }

    /// The id of the stream recording failed logins for an email without an account.
    pub fn login_attempts(&self, email: &Email) -> Uuid {
        self.index("login-attempts", email.as_str())
    }
}

impl std::fmt::Debug for IndexKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IndexKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_tokens_name_their_user_and_store_only_a_digest() {
        let user = UserId::new();
        let a = mint_refresh_token(user);
        let b = mint_refresh_token(user);
        assert_ne!(a.token, b.token);
        assert_eq!(refresh_token_user(&a.token), Some(user));
        assert_eq!(a.digest, digest(&a.token));
        assert!(!format!("{a:?}").contains(&a.token));
        assert_eq!(refresh_token_user("nonsense"), None);
        assert_eq!(
            refresh_token_user(&format!("{}.short", user.0.simple())),
            None
        );
    }

    #[test]
    fn recovery_codes_are_distinct_and_forgiving_to_type() {
        let codes = recovery_codes();
        assert_eq!(codes.len(), 10);
        let unique: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), 10);
        let code = &codes[0];
        assert_eq!(code.len(), 19);
        assert!(!looks_like_totp(code));
        let sloppy = code.to_uppercase().replace('-', " ");
        assert_eq!(recovery_digest(&sloppy), recovery_digest(code));
        assert!(looks_like_totp(" 123456 "));
        assert!(!looks_like_totp("12345"));
    }

    #[test]
    fn the_index_is_keyed_and_separates_purposes() {
        let k1 = IndexKey::new([1; 32]);
        let k2 = IndexKey::new([2; 32]);
        let email = Email::parse("ann@example.org").unwrap();
        assert_eq!(
            k1.email(&email),
            k1.email(&Email::parse("ANN@example.org").unwrap())
        );
        assert_ne!(k1.email(&email), k2.email(&email));
        assert_ne!(k1.email(&email), k1.login_attempts(&email));
        let handle = Handle::parse("Ann").unwrap();
        assert_eq!(
            k1.handle(&handle),
            k1.handle(&Handle::parse("ann").unwrap())
        );
    }
}
