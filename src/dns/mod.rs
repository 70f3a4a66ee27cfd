//! DNS for mail domains: the desired records ([`records`]), their values ([`value`]), the plan
//! against what a zone holds ([`plan`]), the providers that read and write zones
//! ([`provider`]) and the live check ([`check`]).

pub mod check;
pub mod client;
pub mod lookup;
pub mod plan;
pub mod provider;
pub mod records;
pub mod secure;
pub mod value;
pub mod wire;
pub mod zone;
