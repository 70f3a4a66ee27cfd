//! Queries on `webmail_identities`: the display name and signature a member gave each address
//! they send as.

use sqlx::AnyConnection;

use crate::error::Result;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// Lower case.
    pub address: String,
    pub display_name: String,
    pub signature: String,
}

/// The identities an account has set, by address.
pub async fn of(conn: &mut AnyConnection, account_id: i64) -> Result<Vec<Identity>> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT address, display_name, signature FROM webmail_identities WHERE account_id = $1 ORDER BY address",
    )
    .bind(account_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(address, display_name, signature)| Identity { address, display_name, signature })
        .collect())
}

/// Set (or, when both texts are empty, clear) one address's name and signature.
pub async fn put(conn: &mut AnyConnection, account_id: i64, i: &Identity) -> Result<()> {
    let address = i.address.to_lowercase();
    sqlx::query("DELETE FROM webmail_identities WHERE account_id = $1 AND address = $2")
        .bind(account_id)
        .bind(&address)
        .execute(&mut *conn)
        .await?;
    if i.display_name.is_empty() && i.signature.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO webmail_identities (account_id, address, display_name, signature) VALUES ($1, $2, $3, $4)",
    )
    .bind(account_id)
    .bind(&address)
    .bind(&i.display_name)
    .bind(&i.signature)
    .execute(conn)
    .await?;
    Ok(())
}
