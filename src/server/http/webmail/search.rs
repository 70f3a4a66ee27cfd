//! The webmail's search: by text, from, to, subject and arrival dates, in one folder or all,
//! with the same key and rule as IMAP SEARCH (`ops::search`) and the same full-text index.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::super::super::Shared;
use super::{CSS_PATH, Member, failed, page, pages};
use crate::ops::webmail as ops;

/// Hits shown at most: a search names messages to open, it does not page through a folder.
const MOST: usize = 100;
/// Longest field taken (a search string longer than a line is not a search).
const MAX_FIELD: usize = 500;

#[derive(Deserialize, Default)]
pub struct Form {
    #[serde(default)]
    q: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    before: String,
    #[serde(default)]
    folder: String,
}

/// A `YYYY-MM-DD` field, its error naming the field.
fn day(label: &str, v: &str) -> Result<Option<i64>, String> {
    super::settings::day(v).map_err(|e| format!("{label}: {e}"))
}

fn criteria(f: &Form) -> Result<ops::Criteria, String> {
    for (label, v) in [("Text", &f.q), ("From", &f.from), ("To", &f.to), ("Subject", &f.subject)] {
        if v.len() > MAX_FIELD {
            return Err(format!("{label}: at most {MAX_FIELD} characters"));
        }
    }
    Ok(ops::Criteria {
        text: f.q.clone(),
        from: f.from.clone(),
        to: f.to.clone(),
        subject: f.subject.clone(),
        since: day("Since", &f.since)?,
        before: day("Before", &f.before)?,
    })
}

pub async fn search(State(shared): State<Arc<Shared>>, member: Member, Query(f): Query<Form>) -> Response {
    let store = shared.store();
    let folders = match ops::folders(&store, &member.account).await {
        Ok(x) => x,
        Err(e) => return failed(e),
    };
    let fields = [
        ("q", "Text", f.q.clone()),
        ("from", "From", f.from.clone()),
        ("to", "To", f.to.clone()),
        ("subject", "Subject", f.subject.clone()),
        ("since", "Since", f.since.clone()),
        ("before", "Before", f.before.clone()),
    ];
    let mut p = pages::SearchPage {
        chrome: member.chrome(&folders),
        fields: &fields,
        folder: &f.folder,
        found: None,
        more: false,
        error: None,
    };
    let found;
    let (status, error);
    match criteria(&f).map(|c| c.key()) {
        Err(e) => {
            (status, error) = (StatusCode::BAD_REQUEST, e);
            p.error = Some(&error);
        }
        Ok(None) => status = StatusCode::OK,
        Ok(Some(key)) => {
            let folder = (!f.folder.is_empty()).then_some(f.folder.as_str());
            match ops::search(&store, shared.fts.as_deref(), &member.account, folder, &key, MOST + 1).await {
                Ok(mut hits) => {
                    p.more = hits.len() > MOST;
                    hits.truncate(MOST);
                    found = hits;
                    p.found = Some(&found);
                    status = StatusCode::OK;
                }
                Err(e) => return failed(e),
            }
        }
    }
    page(status, pages::search(&CSS_PATH, &p))
}
