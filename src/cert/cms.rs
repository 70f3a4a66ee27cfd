//! CMS SignedData (RFC 5652) with the server's certificate: what makes iOS show a
//! configuration profile as verified. The serving key must be ECDSA P-256 (what rcgen and
//! `cert issue` make); the chain in the certificate file goes with the signature.

use std::path::Path;

use cms::builder::{SignedDataBuilder, SignerInfoBuilder};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::signed_data::{EncapsulatedContentInfo, SignerIdentifier};
use der::{Any, Encode, Tag};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;

use crate::error::{Error, Kind, Result};

fn fail(what: &str, e: impl std::fmt::Display) -> Error {
    Error::new(Kind::Invalid, format!("signing with the server's certificate: {what}: {e}"))
}

/// Sign `data` with the certificate and key in these PEM files; the DER SignedData with the
/// content inside.
pub fn sign_with_files(cert: &Path, key: &Path, data: &[u8]) -> Result<Vec<u8>> {
    let cert_pem = std::fs::read(cert).map_err(|e| Error::io("reading", cert, e))?;
    let key_pem = std::fs::read_to_string(key).map_err(|e| Error::io("reading", key, e))?;
    sign(&cert_pem, &key_pem, data)
}

pub fn sign(cert_pem: &[u8], key_pem: &str, data: &[u8]) -> Result<Vec<u8>> {
    let chain = Certificate::load_pem_chain(cert_pem).map_err(|e| fail("the certificate", e))?;
    let leaf = chain.first().ok_or_else(|| fail("the certificate", "no certificate in the file"))?;
    let sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
        issuer: leaf.tbs_certificate.issuer.clone(),
        serial_number: leaf.tbs_certificate.serial_number.clone(),
    });
    let content = EncapsulatedContentInfo {
        econtent_type: const_oid::db::rfc5911::ID_DATA,
        econtent: Some(Any::new(Tag::OctetString, data).map_err(|e| fail("the content", e))?),
    };
    let digest = AlgorithmIdentifierOwned { oid: const_oid::db::rfc5912::ID_SHA_256, parameters: None };
    let mut builder = SignedDataBuilder::new(&content);
    builder.add_digest_algorithm(digest.clone()).map_err(|e| fail("the digest", e))?;
    for c in &chain {
        builder.add_certificate(CertificateChoices::Certificate(c.clone())).map_err(|e| fail("the chain", e))?;
    }
    use p256::pkcs8::DecodePrivateKey;
    let key = p256::SecretKey::from_pkcs8_pem(key_pem)
        .map_err(|_| fail("the key", "only an ECDSA P-256 key in PKCS#8 PEM signs profiles (mailctl's default)"))?;
    let signer = p256::ecdsa::SigningKey::from(key);
    let info = SignerInfoBuilder::new(&signer, sid, digest, &content, None).map_err(|e| fail("the signer", e))?;
    builder
        .add_signer_info::<p256::ecdsa::SigningKey, p256::ecdsa::DerSignature>(info)
        .map_err(|e| fail("the signature", e))?;
    let signed = builder.build().map_err(|e| fail("the structure", e))?;
    signed.to_der().map_err(|e| fail("the encoding", e))
}
