//! Managing folders: create, rename and delete through `ops::mailbox`, the same CREATE, RENAME
//! and DELETE as IMAP. The standard folders (INBOX, Drafts, Sent, Junk, Trash) stay as they
//! are; a folder with messages is deleted only when the member confirms it.

use std::sync::Arc;

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::pages::{self, FoldersPage};
use super::{CSS_PATH, Member, checked, failed, page};
use crate::error::Kind;
use crate::ops::webmail as ops;
use crate::server::Shared;

async fn show(shared: &Shared, member: &Member, status: StatusCode, notice: Option<&str>) -> Response {
    let folders = match ops::folders(&shared.store(), &member.account).await {
        Ok(f) => f,
        Err(e) => return failed(e),
    };
    let p = FoldersPage { chrome: member.chrome(&folders), notice };
    page(status, pages::folders(&CSS_PATH, &p))
}

pub async fn folders(State(shared): State<Arc<Shared>>, member: Member) -> Response {
    show(&shared, &member, StatusCode::OK, None).await
}

/// A standard folder: never renamed or deleted here.
fn standard(name: &str) -> bool {
    name == "INBOX" || crate::ops::mailbox::special_use(name).is_some()
}

#[derive(Deserialize)]
pub struct Change {
    #[serde(default)]
    csrf: String,
    /// create, rename or delete.
    action: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    confirm: Option<String>,
}

pub async fn change(
    State(shared): State<Arc<Shared>>,
    member: Member,
    headers: HeaderMap,
    Form(f): Form<Change>,
) -> Response {
    if let Some(r) = checked(&member, &headers, &f.csrf) {
        return r;
    }
    let store = shared.store();
    let (name, to) = (f.name.trim(), f.to.trim());
    let done = match f.action.as_str() {
        "create" => {
            crate::ops::mailbox::create(&store, &member.account, name).await.map(|()| format!("{name} created."))
        }
        "rename" | "delete" if standard(name) => {
            return show(
                &shared,
                &member,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&format!("{name} is a standard folder.")),
            )
            .await;
        }
        "rename" => crate::ops::mailbox::rename(&store, &member.account, name, to)
            .await
            .map(|()| format!("{name} is now {to}.")),
        "delete" => {
            let count = match ops::folders(&store, &member.account).await {
                Ok(all) => all.iter().find(|x| x.name == name).map_or(0, |x| x.messages),
                Err(e) => return failed(e),
            };
            if count > 0 && f.confirm.is_none() {
                let why = format!("{name} holds {count} messages: tick the box to delete them with it.");
                return show(&shared, &member, StatusCode::UNPROCESSABLE_ENTITY, Some(&why)).await;
            }
            crate::ops::mailbox::delete(&store, &member.account, name).await.map(|()| format!("{name} deleted."))
        }
        _ => return super::problem(StatusCode::BAD_REQUEST, "Refused", "unknown change"),
    };
    match done {
        Ok(notice) => show(&shared, &member, StatusCode::OK, Some(&notice)).await,
        Err(e) if matches!(e.kind, Kind::Invalid | Kind::Exists | Kind::NotFound) => {
            show(&shared, &member, StatusCode::UNPROCESSABLE_ENTITY, Some(&format!("Not done: {}.", e.message))).await
        }
        Err(e) => failed(e),
    }
}
