//! Certificates for the mail host: reading one (`info`), installing a key and certificate
//! as an atomic pair (`files`), ACME issuance with instant-acme (`acme`), and the challenge
//! responders it needs (`challenge`).

pub mod acme;
pub mod challenge;
pub mod cms;
pub mod files;
pub mod info;
