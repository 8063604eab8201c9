//! Secret keys: creation (256 bits, file mode 0600), loading from a file or an
//! environment variable with refusals (missing, too short, readable by others),
//! fingerprints (recorded in outputs instead of the key), and the well-known
//! demonstration key, allowed only for the synthetic `sample-data/`.

use std::path::Path;

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

pub use crate::settings::KEY_BYTES;

pub use crate::error::KeyError;

/// A 256-bit secret key, wiped from memory when dropped.
///
/// It also keeps the HMAC state already keyed (the inner and outer pads hashed once):
/// every MAC clones it instead of hashing the pads again, which halves the work of the
/// short messages pseudonymisation signs (two compressions instead of four). The state
/// is key material: `hmac`'s `zeroize` feature wipes it on drop, clones included.
#[derive(Clone)]
pub struct SecretKey {
    bytes: [u8; KEY_BYTES],
    demo: bool,
    keyed: Hmac<Sha256>,
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.bytes);
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey({})", self.fingerprint())
    }
}

impl SecretKey {
    pub fn from_bytes(bytes: [u8; KEY_BYTES]) -> SecretKey {
        Self::with_flag(bytes, false)
    }

    fn with_flag(bytes: [u8; KEY_BYTES], demo: bool) -> SecretKey {
        // HMAC accepts keys of any length: new_from_slice cannot fail here.
        let keyed = match <Hmac<Sha256> as KeyInit>::new_from_slice(&bytes) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC takes keys of any size"),
        };
        SecretKey { bytes, demo, keyed }
    }

    /// A fresh random key.
    pub fn random() -> Result<SecretKey, KeyError> {
        let mut k = [0u8; KEY_BYTES];
        getrandom::fill(&mut k).map_err(|e| KeyError::Io(e.to_string()))?;
        Ok(SecretKey::from_bytes(k))
    }

    /// The well-known demonstration key for `role` (public: never for real data).
    pub fn demonstration(role: &str) -> SecretKey {
        let digest = Sha256::digest(format!("observatoire/cle-de-demonstration/{role}").as_bytes());
        let mut bytes = [0u8; KEY_BYTES];
        bytes.copy_from_slice(&digest);
        Self::with_flag(bytes, true)
    }

    pub fn is_demonstration(&self) -> bool {
        self.demo
    }

    /// Short public fingerprint: identifies which key was used, reveals nothing of it.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"observatoire/empreinte/v1");
        h.update(self.bytes);
        let hex = hex::encode(h.finalize());
        format!("{}{}", if self.demo { "demo-" } else { "" }, &hex[..16])
    }

    /// HMAC-SHA-256 of `fields` under `domain`, with a separator between fields so that
    /// ("AB","C") and ("A","BC") differ.
    pub fn mac(&self, domain: &str, fields: &[&[u8]]) -> [u8; 32] {
        let mut mac = self.keyed.clone();
        mac.update(domain.as_bytes());
        for f in fields {
            mac.update(&[0x1F]);
            mac.update(f);
        }
        let out = mac.finalize().into_bytes();
        let mut a = [0u8; 32];
        a.copy_from_slice(&out);
        a
    }

    /// [`SecretKey::mac`] of text fields, without gathering their bytes first.
    pub fn mac_text(&self, domain: &str, fields: &[&str]) -> [u8; 32] {
        let mut mac = self.keyed.clone();
        mac.update(domain.as_bytes());
        for f in fields {
            mac.update(&[0x1F]);
            mac.update(f.as_bytes());
        }
        let out = mac.finalize().into_bytes();
        let mut a = [0u8; 32];
        a.copy_from_slice(&out);
        a
    }

    /// Hex pseudonym of text fields.
    pub fn pseudonym(&self, domain: &str, fields: &[&str]) -> String {
        hex_lower(&self.mac_text(domain, fields))
    }

    /// The characters of [`SecretKey::short_pseudonym`], in a buffer of their own
    /// (pseudonymisation appends them to a column without a `String` a value).
    pub fn short_pseudonym_bytes(
        &self,
        domain: &str,
        fields: &[&str],
    ) -> [u8; SHORT_PSEUDONYM_CHARS] {
        use base64::Engine as _;
        let mac = self.mac_text(domain, fields);
        let mut out = [0u8; SHORT_PSEUDONYM_CHARS];
        // 9 bytes are exactly 12 base64 characters: the buffer always fits.
        let _ = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode_slice(&mac[..SHORT_PSEUDONYM_BYTES], &mut out);
        out
    }

    /// Short pseudonym of text fields, for the observatory's own use after re-keying:
    /// the first 72 bits of the HMAC in base64url, 12 characters that Arrow keeps
    /// inside the 16-byte view of a string column instead of 64 hex characters in a
    /// buffer beside it (80 bytes a value). With 72 bits, a million distinct values
    /// collide with a probability of about 10⁻¹⁰ (docs/architecture.md, « Short
    /// pseudonyms inside the observatory »). Never written into a partner's extract.
    pub fn short_pseudonym(&self, domain: &str, fields: &[&str]) -> String {
        String::from_utf8_lossy(&self.short_pseudonym_bytes(domain, fields)).into_owned()
    }

    /// Reads a key file (64 hex characters), refusing one readable by others.
    pub fn load(path: &Path) -> Result<SecretKey, KeyError> {
        let shown = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|_| KeyError::Missing(shown.clone()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(KeyError::Readable(shown, mode));
            }
        }
        #[cfg(not(unix))]
        let _ = meta;
        let text = std::fs::read_to_string(path).map_err(|_| KeyError::NotHex(shown.clone()))?;
        Self::parse_hex(text.trim(), &shown)
    }

    /// Reads a key from the environment variable `var` (64 hex characters).
    pub fn from_env(var: &str) -> Result<SecretKey, KeyError> {
        let v = std::env::var(var).map_err(|_| KeyError::MissingEnv(var.to_string()))?;
        if v.trim().is_empty() {
            return Err(KeyError::MissingEnv(var.to_string()));
        }
        Self::parse_hex(v.trim(), &format!("${var}"))
    }

    fn parse_hex(text: &str, shown: &str) -> Result<SecretKey, KeyError> {
        // The decoded bytes are wiped when dropped, like the key itself.
        let bytes = zeroize::Zeroizing::new(
            hex::decode(text).map_err(|_| KeyError::NotHex(shown.to_string()))?,
        );
        if bytes.len() < KEY_BYTES {
            return Err(KeyError::TooShort(shown.to_string(), bytes.len()));
        }
        let mut k = [0u8; KEY_BYTES];
        // Longer keys are condensed, not truncated.
        if bytes.len() == KEY_BYTES {
            k.copy_from_slice(&bytes);
        } else {
            k.copy_from_slice(&Sha256::digest(bytes.as_slice()));
        }
        Ok(SecretKey::from_bytes(k))
    }

    /// Creates a new random key file with mode 0600; never overwrites.
    pub fn create_file(path: &Path) -> Result<SecretKey, KeyError> {
        let shown = path.display().to_string();
        if path.exists() {
            return Err(KeyError::Exists(shown));
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
            && !parent.is_dir()
        {
            return Err(KeyError::MissingFolder(parent.display().to_string()));
        }
        let key = SecretKey::random()?;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        use std::io::Write;
        let mut f = opts.open(path).map_err(|e| KeyError::Io(e.to_string()))?;
        f.write_all(format!("{}\n", hex::encode(key.bytes)).as_bytes())
            .map_err(|e| KeyError::Io(e.to_string()))?;
        Ok(key)
    }
}

/// Bytes of the HMAC a [`SecretKey::short_pseudonym`] keeps: 9 bytes, 12 base64
/// characters, the most Arrow stores inline in a view.
pub const SHORT_PSEUDONYM_BYTES: usize = 9;

/// Characters of a short pseudonym: [`SHORT_PSEUDONYM_BYTES`] in base64 (4 per 3).
pub const SHORT_PSEUDONYM_CHARS: usize = SHORT_PSEUDONYM_BYTES / 3 * 4;

/// Lower-case hex of `bytes`, as `hex::encode` writes it, through the crate's table
/// encoder (`hex::encode` goes character by character: measurable on a national network,
/// where every record gets pseudonyms and Bloom encodings).
/// A MAC in lower-case hexadecimal, in a buffer of its own.
pub(crate) fn hex_array(mac: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    // The buffer has exactly twice the input's length, the only error of the encoder.
    let _ = hex::encode_to_slice(mac, &mut out);
    out
}

pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    let mut out = vec![0u8; bytes.len() * 2];
    // The buffer has exactly twice the input's length, the only error of the encoder.
    if hex::encode_to_slice(bytes, &mut out).is_err() {
        return hex::encode(bytes);
    }
    String::from_utf8(out).unwrap_or_else(|_| hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> std::path::PathBuf {
        let d =
            std::env::temp_dir().join(format!("observatoire-cle-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn create_load_and_refuse() {
        let d = tmp("a");
        let p = d.join("collectif.cle");
        let k = SecretKey::create_file(&p).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let again = SecretKey::load(&p).unwrap();
        assert_eq!(k.fingerprint(), again.fingerprint());
        assert!(matches!(
            SecretKey::create_file(&p),
            Err(KeyError::Exists(_))
        ));
        assert!(matches!(
            SecretKey::load(&d.join("absente.cle")),
            Err(KeyError::Missing(_))
        ));
        // A folder that does not exist is an error, never created on the fly.
        let nowhere = d.join("dossier-absent").join("k.cle");
        assert!(matches!(
            SecretKey::create_file(&nowhere),
            Err(KeyError::MissingFolder(_))
        ));
        assert!(!d.join("dossier-absent").exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(matches!(
                SecretKey::load(&p),
                Err(KeyError::Readable(_, 0o644))
            ));
            let short = d.join("courte.cle");
            std::fs::write(&short, "00112233").unwrap();
            std::fs::set_permissions(&short, std::fs::Permissions::from_mode(0o600)).unwrap();
            assert!(matches!(
                SecretKey::load(&short),
                Err(KeyError::TooShort(_, 4))
            ));
            let bad = d.join("texte.cle");
            std::fs::write(&bad, "ceci n'est pas une clé").unwrap();
            std::fs::set_permissions(&bad, std::fs::Permissions::from_mode(0o600)).unwrap();
            assert!(matches!(SecretKey::load(&bad), Err(KeyError::NotHex(_))));
        }
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn fingerprints_and_macs() {
        let a = SecretKey::from_bytes([1; 32]);
        let b = SecretKey::from_bytes([2; 32]);
        assert_ne!(a.fingerprint(), b.fingerprint());
        assert_eq!(a.fingerprint().len(), 16);
        assert!(!a.fingerprint().contains(&hex::encode([1u8; 8])));
        assert_eq!(a.pseudonym("d", &["LEA"]), a.pseudonym("d", &["LEA"]));
        assert_ne!(a.pseudonym("d", &["LEA"]), b.pseudonym("d", &["LEA"]));
        assert_ne!(
            a.pseudonym("d", &["AB", "C"]),
            a.pseudonym("d", &["A", "BC"])
        );
        assert_ne!(a.pseudonym("d", &["LEA"]), a.pseudonym("e", &["LEA"]));
        // The short form is the start of the same HMAC, 12 characters in base64url.
        use base64::Engine as _;
        let short = a.short_pseudonym("d", &["LEA"]);
        assert_eq!(short.len(), 12);
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&short)
            .unwrap();
        assert_eq!(hex::encode(bytes), a.pseudonym("d", &["LEA"])[..18]);
        assert_ne!(short, b.short_pseudonym("d", &["LEA"]));
        let demo = SecretKey::demonstration("collectif");
        assert!(demo.is_demonstration() && demo.fingerprint().starts_with("demo-"));
        assert!(!format!("{demo:?}").contains(&hex::encode(demo.mac("x", &[]))));
    }

    #[test]
    fn keys_from_environment() {
        // SAFETY: test-local variable names, no other thread reads them.
        unsafe {
            std::env::set_var("OBSERVATOIRE_TEST_CLE_OK", "ab".repeat(32));
            std::env::set_var("OBSERVATOIRE_TEST_CLE_COURTE", "ab".repeat(8));
        }
        assert!(SecretKey::from_env("OBSERVATOIRE_TEST_CLE_OK").is_ok());
        assert!(matches!(
            SecretKey::from_env("OBSERVATOIRE_TEST_CLE_COURTE"),
            Err(KeyError::TooShort(_, 8))
        ));
        assert!(matches!(
            SecretKey::from_env("OBSERVATOIRE_TEST_CLE_ABSENTE"),
            Err(KeyError::MissingEnv(_))
        ));
    }

    #[test]
    fn table_hex_is_the_crate_hex() {
        let bytes: Vec<u8> = (0..=255u8).collect();
        assert_eq!(hex_lower(&bytes), hex::encode(&bytes));
        assert_eq!(hex_lower(&[]), "");
    }
}
