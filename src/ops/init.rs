//! `mailctl init`: write the config, create the data directory and the database, add the
//! first domain. Refuses an existing set-up unless forced; never removes data.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::{self, redact_url, sqlite_url};
use crate::error::{Error, Result};
use crate::names;
use crate::store::{Store, create_private_dir, domains, now};

pub struct InitOptions {
    pub config_path: PathBuf,
    pub domain: String,
    pub hostname: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database: Option<String>,
    pub force: bool,
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
    let hostname = match &opts.hostname {
        Some(h) => names::domain(h).map_err(|e| e.context("--hostname"))?,
        None => format!("mail.{domain}"),
    };
    if let Some(url) = &opts.database {
        config::parse(&format!("database = {}", toml_edit::value(url.as_str())))
            .map_err(|_| Error::usage(format!("--database: not a sqlite: or postgres:// URL: {}", redact_url(url))))?;
    }
    let config_path = config::absolute(&opts.config_path);
    let config_existed = config_path.exists();
    let data_dir = config::absolute(opts.data_dir.as_deref().unwrap_or(Path::new(config::DEV_DATA_DIR)));
    let database = opts.database.clone().unwrap_or_else(|| sqlite_url(&data_dir.join("mailctl.db")));
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
    let undo = |e: Error| {
        if created_dir {
            let _ = std::fs::remove_dir_all(&data_dir);
        }
        e
    };
    let store = Store::connect(&database, &data_dir, 2).await.map_err(undo)?;
    if !opts.force && store.backend == crate::store::Backend::Postgres {
        let mut conn = store.pool.acquire().await?;
        if !domains::list(&mut conn).await?.is_empty() {
            return Err(undo(
                Error::exists("the PostgreSQL database already holds a mailctl set-up")
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
        t = config::edit(&t, "data_dir", &data_dir.display().to_string())?;
        if let Some(url) = &opts.database {
            t = config::edit(&t, "database", url)?;
        }
        t
    } else {
        config::template(&domain, &hostname, &data_dir, opts.database.as_deref())
    };
    if let Some(parent) = config_path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io("creating", parent, e))?;
    }
    // 0600: the database URL may carry a password.
    config::write_atomic(&config_path, text.as_bytes(), 0o600)?;
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
