//! Password hashing and checking.
//!
//! New passwords are Argon2id PHC strings at OWASP's parameters (m=19456 KiB, t=2, p=1,
//! argon2's defaults). Hashes imported from Dovecot are kept as they are and verified by
//! scheme: `$argon2id$` (PHC), `$2y$`/`$2b$`/`$2a$` (BLF-CRYPT), `$6$` (SHA512-CRYPT),
//! `$5$` (SHA256-CRYPT). Anything not Argon2id at the current parameters is reported by
//! [`needs_rehash`] so that a successful login can upgrade it.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rand::RngExt;

use crate::error::{Error, Result};

/// Shortest password accepted for a new password.
pub const MIN_LEN: usize = 8;
/// Longest password accepted (Argon2 takes any length; this bounds the work per login).
pub const MAX_LEN: usize = 1024;

/// Hash a new password as an Argon2id PHC string.
pub fn hash(password: &str) -> Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| Error::new(crate::error::Kind::Internal, format!("hashing password: {e}")))
}

/// Check a password policy for a new password.
pub fn check_new(password: &str) -> Result<()> {
    let n = password.chars().count();
    if n < MIN_LEN {
        return Err(Error::invalid(format!("password too short: {n} characters, at least {MIN_LEN} needed")));
    }
    if password.len() > MAX_LEN {
        return Err(Error::invalid(format!("password too long: more than {MAX_LEN} bytes")));
    }
    if password.chars().any(|c| c.is_control()) {
        return Err(Error::invalid("password contains control characters"));
    }
    Ok(())
}

/// A strong random password: 20 characters from 56 unambiguous letters and digits (~116 bits).
pub fn generate() -> String {
    const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..20).map(|_| CHARS[rng.random_range(0..CHARS.len())] as char).collect()
}

/// The scheme of a stored hash, as Dovecot names it.
pub fn scheme(stored: &str) -> Option<&'static str> {
    if stored.starts_with("$argon2id$") {
        Some("ARGON2ID")
    } else if stored.starts_with("$2y$") || stored.starts_with("$2b$") || stored.starts_with("$2a$") {
        Some("BLF-CRYPT")
    } else if stored.starts_with("$6$") {
        Some("SHA512-CRYPT")
    } else if stored.starts_with("$5$") {
        Some("SHA256-CRYPT")
    } else {
        None
    }
}

/// Does `password` match the stored hash? Unknown or malformed hashes never match.
pub fn verify(password: &str, stored: &str) -> bool {
    let pw = password.as_bytes();
    match scheme(stored) {
        Some("ARGON2ID") => {
            PasswordHash::new(stored).map(|h| Argon2::default().verify_password(pw, &h).is_ok()).unwrap_or(false)
        }
        Some("BLF-CRYPT") => bcrypt::verify(pw, stored).unwrap_or(false),
        Some("SHA512-CRYPT") | Some("SHA256-CRYPT") => {
            sha_crypt::ShaCrypt::default().verify_password(pw, stored).is_ok()
        }
        _ => false,
    }
}

/// True when the stored hash is not Argon2id at the current parameters.
pub fn needs_rehash(stored: &str) -> bool {
    let Ok(h) = PasswordHash::new(stored) else { return true };
    if h.algorithm.as_str() != "argon2id" {
        return true;
    }
    let p = argon2::Params::DEFAULT;
    let get = |k: &str| h.params.get_decimal(k);
    get("m") != Some(p.m_cost()) || get("t") != Some(p.t_cost()) || get("p") != Some(p.p_cost())
}

/// Turn a Dovecot passwd-file password field (`{SCHEME}hash`) into a stored hash, or say
/// why it is refused.
pub fn from_dovecot(field: &str) -> std::result::Result<String, String> {
    let field = field.trim();
    let Some(rest) = field.strip_prefix('{') else {
        return Err("no {SCHEME} prefix; the scheme cannot be known".into());
    };
    let Some((scheme_name, hash)) = rest.split_once('}') else {
        return Err("unterminated {SCHEME} prefix".into());
    };
    let scheme_name = scheme_name.to_ascii_uppercase();
    // Dovecot's CRYPT scheme is libc crypt(3): accept it only for the strong formats.
    let want = match scheme_name.as_str() {
        "ARGON2ID" => "ARGON2ID",
        "BLF-CRYPT" => "BLF-CRYPT",
        "SHA512-CRYPT" => "SHA512-CRYPT",
        "SHA256-CRYPT" => "SHA256-CRYPT",
        "CRYPT" => match scheme(hash) {
            Some(s) if s != "ARGON2ID" => s,
            _ => return Err("{CRYPT} with a DES or MD5 hash is too weak; reset this password".into()),
        },
        "PLAIN" | "CLEARTEXT" | "CLEAR" | "PLAIN-TRUNC" | "MD5" | "MD5-CRYPT" | "PLAIN-MD5" | "LDAP-MD5" | "SMD5"
        | "SHA" | "SSHA" | "SHA1" | "SHA256" | "SSHA256" | "SHA512" | "SSHA512" | "DES-CRYPT" | "NTLM" | "LANMAN"
        | "CRAM-MD5" | "DIGEST-MD5" | "RPA" | "OTP" | "SKEY" => {
            return Err(format!("scheme {scheme_name} is too weak; reset this password"));
        }
        other => return Err(format!("unsupported scheme {other}")),
    };
    if scheme(hash) != Some(want) {
        return Err(format!("the hash does not look like {want}"));
    }
    check_cost(want, hash)?;
    Ok(hash.to_string())
}

/// Bound the work one login can cost: an imported hash with absurd parameters would let a
/// single login take gigabytes of memory or minutes of CPU.
pub const MAX_ARGON2_M_KIB: u32 = 256 * 1024;
pub const MAX_ARGON2_T: u32 = 10;
pub const MAX_ARGON2_P: u32 = 16;
pub const MAX_BCRYPT_COST: u32 = 14;
pub const MAX_SHA_CRYPT_ROUNDS: u64 = 100_000;

fn check_cost(scheme: &str, hash: &str) -> std::result::Result<(), String> {
    match scheme {
        "ARGON2ID" => {
            let h = PasswordHash::new(hash).map_err(|_| "malformed ARGON2ID hash".to_string())?;
            let get = |k: &str| h.params.get_decimal(k).unwrap_or(0);
            if get("m") > MAX_ARGON2_M_KIB || get("t") > MAX_ARGON2_T || get("p") > MAX_ARGON2_P {
                return Err(format!(
                    "ARGON2ID parameters too costly (at most m={MAX_ARGON2_M_KIB}, t={MAX_ARGON2_T}, p={MAX_ARGON2_P})"
                ));
            }
        }
        "BLF-CRYPT" => {
            let cost: u32 = hash.get(4..6).and_then(|c| c.parse().ok()).ok_or("malformed BLF-CRYPT hash")?;
            if cost > MAX_BCRYPT_COST {
                return Err(format!("BLF-CRYPT cost {cost} too high (at most {MAX_BCRYPT_COST})"));
            }
        }
        _ => {
            // $6$rounds=N$salt$hash
            if let Some(r) = hash.split('$').nth(2).and_then(|f| f.strip_prefix("rounds=")) {
                let n: u64 = r.parse().map_err(|_| "malformed rounds= field".to_string())?;
                if n > MAX_SHA_CRYPT_ROUNDS {
                    return Err(format!("{n} rounds too costly (at most {MAX_SHA_CRYPT_ROUNDS})"));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference hashes of "secret123", made with Python's crypt (libxcrypt),
    // independent of the crates that verify them.
    pub const SHA512: &str =
        "$6$saltsalt$4wxWeHqpAHNNJcQMSu6jvr3dQTQoGoqMQhPAP0o5Ygzna6vr4y0u6.EZzboAAqg6dXU4q/OfcYqdrvZixR76r0";
    pub const SHA256: &str = "$5$saltsalt$pp3UtJp4GRPEjMVZpuim6hKkT1yP7B8qiYFzcac84T5";
    pub const BLF: &str = "$2b$04$H2W0aMWXG80Rq.HZy0rlPO7onV57gd6xZpr/ELokjjb/fl0hXMHuy";

    #[test]
    fn reference_hashes_verify() {
        for h in [SHA512, SHA256, BLF] {
            assert!(verify("secret123", h), "{h}");
            assert!(!verify("secret124", h), "{h}");
            assert!(needs_rehash(h));
        }
        // argon2-cffi at other parameters: verifies, and is upgraded at the next login.
        let other = "$argon2id$v=19$m=65536,t=3,p=4$k9FZg6iovC/cjpoxz8VWYg$coXnRwn6w7YCxAPzcJvgwyRXShvIBKU0f7LbTTjDuaQ";
        assert!(verify("secret123", other));
        assert!(needs_rehash(other));
    }

    #[test]
    fn argon2id_round_trip() {
        let h = hash("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse", &h));
        assert!(!verify("wrong", &h));
        assert!(!needs_rehash(&h));
    }

    #[test]
    fn dovecot_schemes() {
        assert!(from_dovecot("{PLAIN}secret").unwrap_err().contains("too weak"));
        assert!(from_dovecot("{MD5-CRYPT}$1$abc$def").unwrap_err().contains("too weak"));
        assert!(from_dovecot("secret").is_err());
        assert!(from_dovecot("{SHA512-CRYPT}$5$x$y").is_err());
        assert!(from_dovecot("{CRYPT}abJnggxhB/yWI").is_err());
        assert!(from_dovecot("{BOGUS}x").unwrap_err().contains("unsupported"));
        let sha = format!("{{SHA512-CRYPT}}{SHA512}");
        assert_eq!(from_dovecot(&sha).unwrap(), SHA512);
        assert!(needs_rehash(SHA512));
        assert!(
            from_dovecot("{ARGON2ID}$argon2id$v=19$m=4194304,t=50,p=1$k9FZg6iovC/cjpoxz8VWYg$coXnRwn6w7YCxAPzcJvgwyRXShvIBKU0f7LbTTjDuaQ")
                .unwrap_err()
                .contains("costly")
        );
        assert!(
            from_dovecot("{BLF-CRYPT}$2y$31$H2W0aMWXG80Rq.HZy0rlPO7onV57gd6xZpr/ELokjjb/fl0hXMHuy")
                .unwrap_err()
                .contains("too high")
        );
        assert!(from_dovecot("{SHA512-CRYPT}$6$rounds=9999999$salt$abc").unwrap_err().contains("costly"));
    }

    #[test]
    fn generated_passwords_are_strong() {
        let a = generate();
        assert_eq!(a.len(), 20);
        assert_ne!(a, generate());
        check_new(&a).unwrap();
        assert!(check_new("short").is_err());
    }

    #[test]
    fn garbage_never_verifies() {
        for stored in ["", "$argon2id$", "$6$", "$2y$05$short", "plain", "$1$abc$def"] {
            assert!(!verify("x", stored), "{stored}");
        }
    }
}
