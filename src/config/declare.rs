//! How a key is declared. `config_keys!` expands the table in `keys.rs` (one entry per key)
//! into the file struct, the typed settings structs, the lookups by name and [`KEYS`], so
//! nothing about a key is written twice.
//!
//! [`KEYS`]: super::KEYS

use crate::error::Result;

/// What kind of value a key takes in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    Text,
    Bool,
    Integer,
}

/// One key of the config: name, section, type, validation, default and what it is for.
pub struct Key {
    pub name: &'static str,
    /// The group the docs list it under (smtp, imap, dns, ...).
    pub section: &'static str,
    pub ty: ValueType,
    pub check: fn(&str) -> Result<()>,
    /// What the key is for, without its default.
    pub about: &'static str,
    /// The default as people read it; `None` when an unset key means "none".
    pub default: fn() -> Option<String>,
    /// A valid value other than the default, as `config get` prints it back.
    pub sample: &'static str,
}

impl Key {
    /// The help line: what the key is for, then its default.
    pub fn help(&self) -> String {
        match (self.default)() {
            Some(d) => format!("{}; default {d}", self.about),
            None => self.about.to_string(),
        }
    }
}

/// The Rust type a file value of each kind deserializes into.
macro_rules! file_type {
    (text) => {
        String
    };
    (int) => {
        u64
    };
    (bool) => {
        bool
    };
}

macro_rules! value_type {
    (text) => {
        $crate::config::ValueType::Text
    };
    (int) => {
        $crate::config::ValueType::Integer
    };
    (bool) => {
        $crate::config::ValueType::Bool
    };
}

/// The table: settings structs, each with its keys in display order. An entry is
///
/// ```text
/// /// help (what the key is for; the rule adds its default)
/// section key: text|int|bool = rule, check_fn, sample "value" => field: Type;
/// ```
///
/// The rule (`rules.rs`) turns the file value into the field and states the default; the
/// check validates the text form, for the file and for `config set` alike.
macro_rules! config_keys {
    ($(
        $(#[doc = $sdoc:literal])*
        pub struct $S:ident { $( $(#[doc = $edoc:literal])* pub $extra:ident: $ety:ty, )* }
        keys {$(
            #[doc = $about:literal]
            $section:ident $key:ident: $fty:ident = $rule:expr, $check:path, sample $sample:literal
                => $field:ident: $vty:ty;
        )*}
    )*) => {
        /// The file as written; every key optional. Unknown keys are an error.
        #[derive(Debug, Default, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct FileConfig {
            $($( pub $key: Option<file_type!($fty)>, )*)*
        }

        impl FileConfig {
            /// A key's value as the file has it, as text (what its check reads).
            pub(super) fn raw(&self, key: &str) -> Option<String> {
                match key {
                    $($( stringify!($key) => self.$key.as_ref().map(|v| v.to_string()), )*)*
                    _ => None,
                }
            }
        }

        $(
            $(#[doc = $sdoc])*
            #[derive(Debug, Clone)]
            pub struct $S {
                $( $(#[doc = $edoc])* pub $extra: $ety, )*
                $( #[doc = $about] pub $field: $vty, )*
            }

            impl $S {
                pub(super) fn from_file(f: &FileConfig, cx: &Context, $($extra: $ety),*) -> Self {
                    Self { $($extra,)* $( $field: Rule::resolve(&$rule, f.$key.clone(), cx), )* }
                }

                /// The effective value of one of this struct's keys, as text.
                pub(super) fn show(&self, key: &str) -> Option<String> {
                    match key {
                        $( stringify!($key) => Some(Rule::show(&$rule, &self.$field)), )*
                        _ => None,
                    }
                }
            }
        )*

        /// Every key `config` knows, in display order.
        pub const KEYS: &[Key] = &[$($(
            Key {
                name: stringify!($key),
                section: stringify!($section),
                ty: value_type!($fty),
                check: $check,
                about: $about.trim_ascii(),
                default: || default_doc::<file_type!($fty), _>(&$rule),
                sample: $sample,
            },
        )*)*];
    };
}
