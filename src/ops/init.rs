//! `mailctl init`: write the config, create the data directory and the database, add the
//! first domain. Refuses an existing set-up unless forced; never removes data.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::{self, redact_url, sqlite_url};
use crate::error::{Error, Result};
use crate::fsutil::create_private_dir;
use crate::names;
use crate::store::{Store, domains, now};

pub struct InitOptions {
    pub config_path: PathBuf,
    pub domain: String,
    pub hostname: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database: Option<String>,
    pub force: bool,
    /// The mail host's public addresses, for the DNS records.
    pub ipv4: Option<std::net::Ipv4Addr>,
    pub ipv6: Option<std::net::Ipv6Addr>,
}

#[derive(Debug, Serialize)]
pub struct Initialised {
    pub config: PathBuf,
    pub data_dir: PathBuf,
    pub database: String,
    pub domain: String,
    pub hostname: String,
    pub domain_added: bool,
    pub config_existed: bool,
}

pub async fn run(opts: InitOptions) -> Result<Initialised> {
    let domain = names::domain(&opts.domain)?;
    let hostname_flag = opts.hostname.as_deref().map(names::domain).transpose().map_err(|e| e.context("--hostname"))?;
    if let Some(url) = &opts.database {
        config::parse(&format!("database = {}", toml_edit::value(url.as_str())))
            .map_err(|_| Error::usage(format!("--database: not a sqlite: or postgres:// URL: {}", redact_url(url))))?;
    }
    let config_path = crate::fsutil::absolute(&opts.config_path);
    let config_existed = config_path.exists();
    // With --force on an existing config, its data dir and database stay unless flags say
    // otherwise: re-running init must never point the config somewhere else by accident.
    let existing = if config_existed && opts.force {
        let c = config::Config::load(&config::Location::File(config_path.clone()))?;
        Some(c)
    } else {
        None
    };
    let hostname = match (&hostname_flag, &existing) {
        (Some(h), _) => h.clone(),
        (None, Some(c)) if crate::config::is_set(&config_path, "hostname") => c.hostname.clone(),
        _ => format!("mail.{domain}"),
    };
    let data_dir = match (&opts.data_dir, &existing) {
        (Some(d), _) => crate::fsutil::absolute(d),
        (None, Some(c)) => c.data_dir.clone(),
        (None, None) => crate::fsutil::absolute(Path::new(config::DEV_DATA_DIR)),
    };
    let database = match (&opts.database, &existing) {
        (Some(u), _) => u.clone(),
        (None, Some(c)) => c.database.clone(),
        (None, None) => sqlite_url(&data_dir.join("mailctl.db")),
    };
    if !opts.force {
        if config_existed {
            return Err(Error::exists(format!("{} already exists", config_path.display()))
                .with_hint("pass --force to rewrite it (data is kept), or edit it with `mailctl config set`"));
        }
        if data_dir.join("mailctl.db").exists() {
            return Err(Error::exists(format!("{} already holds a mailctl database", data_dir.display()))
                .with_hint("pass --force to adopt it (data is kept)"));
        }
    }

    let created_dir = !data_dir.exists();
    create_private_dir(&data_dir)?;
    // An existing directory becomes private too.
    std::fs::set_permissions(&data_dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .map_err(|e| Error::io("securing", &data_dir, e))?;
    let undo = |e: Error| {
        if created_dir {
            let _ = std::fs::remove_dir_all(&data_dir);
        }
        e
    };
    let store = Store::connect(&database, &data_dir, 2).await.map_err(undo)?;
    if !opts.force {
        let mut conn = store.pool.acquire().await?;
        if !domains::list(&mut conn).await?.is_empty() {
            return Err(undo(
                Error::exists(format!("the database {} already holds a mailctl set-up", redact_url(&database)))
                    .with_hint("pass --force to adopt it (data is kept)"),
            ));
        }
    }
    create_private_dir(&store.mail_root()).map_err(undo)?;
    let mut conn = store.pool.acquire().await?;
    let domain_added = if domains::exists(&mut conn, &domain).await? {
        false
    } else {
        domains::insert(&mut conn, &domain, now()).await?;
        true
    };
    drop(conn);
    store.close().await;

    let text = if config_existed {
        let mut t = std::fs::read_to_string(&config_path).map_err(|e| Error::io("reading", &config_path, e))?;
        t = config::edit(&t, "primary_domain", &domain)?;
        t = config::edit(&t, "hostname", &hostname)?;
        if opts.data_dir.is_some() {
            t = config::edit(&t, "data_dir", &data_dir.display().to_string())?;
        }
        if let Some(url) = &opts.database {
            t = config::edit(&t, "database", url)?;
        }
        t
    } else {
        config::template(&domain, &hostname, &data_dir, opts.database.as_deref())
    };
    let text = match opts.ipv4 {
        Some(ip) => config::edit(&text, "ipv4", &ip.to_string())?,
        None => text,
    };
    let text = match opts.ipv6 {
        Some(ip) => config::edit(&text, "ipv6", &ip.to_string())?,
        None => text,
    };
    if let Some(parent) = config_path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io("creating", parent, e))?;
    }
    // 0600: the database URL may carry a password.
    crate::fsutil::write_atomic(&config_path, text.as_bytes(), 0o600)?;
    Ok(Initialised {
        config: config_path,
        data_dir,
        database: redact_url(&database),
        domain,
        hostname,
        domain_added,
        config_existed,
    })
}
