//! The connection the store's mailbox writes run on: sqlx's `Any` connection (PostgreSQL, and
//! SQLite outside the server's writer), or the group commit's own SQLite connection, driven
//! directly on the writer's thread.
//!
//! Why a second way to reach SQLite: sqlx runs each SQLite connection on a thread of its own
//! and hands every statement and every row across to it and back, two thread switches per
//! statement. Under load those switches wait for a CPU, and the one writer that every mailbox
//! write goes through spent 2.5 ms on a batch of 2.7 writes (issue 13), most of it waiting.
//! The writer's connection is used from one thread only, the writer's own, so it needs no
//! hand-over: a batch crosses from the sessions to that thread once, and its statements run
//! where its transaction is.
//!
//! A query is written once, with `$N` placeholders, and runs on either connection.

use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row as _};

use crate::error::{Error, Kind, Result};

/// Where a store query runs.
pub enum Conn<'a> {
    Any(&'a mut AnyConnection),
    Sqlite(&'a mut rusqlite::Connection),
}

impl<'a> From<&'a mut AnyConnection> for Conn<'a> {
    fn from(c: &'a mut AnyConnection) -> Self {
        Conn::Any(c)
    }
}

impl<'a> From<&'a mut sqlx::pool::PoolConnection<Any>> for Conn<'a> {
    fn from(c: &'a mut sqlx::pool::PoolConnection<Any>) -> Self {
        Conn::Any(c)
    }
}

impl<'a, 't> From<&'a mut sqlx::Transaction<'t, Any>> for Conn<'a> {
    fn from(c: &'a mut sqlx::Transaction<'t, Any>) -> Self {
        Conn::Any(c)
    }
}

impl<'a, 'b: 'a> From<&'a mut Conn<'b>> for Conn<'a> {
    fn from(c: &'a mut Conn<'b>) -> Self {
        match c {
            Conn::Any(c) => Conn::Any(c),
            Conn::Sqlite(c) => Conn::Sqlite(c),
        }
    }
}

/// A value bound to a `$N` placeholder. NULLs carry their type (PostgreSQL wants one).
#[derive(Debug, Clone, Copy)]
pub enum Arg<'q> {
    Int(Option<i64>),
    Text(Option<&'q str>),
    Blob(Option<&'q [u8]>),
}

impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg<'_> {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}
impl<'q> From<&'q str> for Arg<'q> {
    fn from(v: &'q str) -> Self {
        Arg::Text(Some(v))
    }
}
impl<'q> From<&'q String> for Arg<'q> {
    fn from(v: &'q String) -> Self {
        Arg::Text(Some(v))
    }
}
impl<'q> From<Option<&'q str>> for Arg<'q> {
    fn from(v: Option<&'q str>) -> Self {
        Arg::Text(v)
    }
}
impl<'q> From<Option<&'q [u8]>> for Arg<'q> {
    fn from(v: Option<&'q [u8]>) -> Self {
        Arg::Blob(v)
    }
}

/// A column value either connection can read.
pub trait Col: Sized {
    fn any(row: &AnyRow, i: usize) -> Result<Self>;
    fn sqlite(row: &rusqlite::Row<'_>, i: usize) -> Result<Self>;
}

impl<T> Col for T
where
    T: for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any> + rusqlite::types::FromSql,
{
    fn any(row: &AnyRow, i: usize) -> Result<Self> {
        Ok(row.try_get::<T, usize>(i)?)
    }
    fn sqlite(row: &rusqlite::Row<'_>, i: usize) -> Result<Self> {
        row.get::<usize, T>(i).map_err(Error::from)
    }
}

/// A row of either connection, read by column index.
pub trait RowAt {
    fn at<T: Col>(&self, i: usize) -> Result<T>;
}

impl RowAt for AnyRow {
    fn at<T: Col>(&self, i: usize) -> Result<T> {
        T::any(self, i)
    }
}

impl RowAt for rusqlite::Row<'_> {
    fn at<T: Col>(&self, i: usize) -> Result<T> {
        T::sqlite(self, i)
    }
}

/// A result row as a tuple of columns.
pub trait FromRow: Sized {
    fn any(row: &AnyRow) -> Result<Self>;
    fn sqlite(row: &rusqlite::Row<'_>) -> Result<Self>;
}

macro_rules! tuple_row {
    ($($t:ident $i:tt),+) => {
        impl<$($t: Col),+> FromRow for ($($t,)+) {
            fn any(row: &AnyRow) -> Result<Self> {
                Ok(($($t::any(row, $i)?,)+))
            }
            fn sqlite(row: &rusqlite::Row<'_>) -> Result<Self> {
                Ok(($($t::sqlite(row, $i)?,)+))
            }
        }
    };
}
tuple_row!(A 0);
tuple_row!(A 0, B 1);
tuple_row!(A 0, B 1, C 2);
tuple_row!(A 0, B 1, C 2, D 3);
tuple_row!(A 0, B 1, C 2, D 3, E 4);
tuple_row!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
tuple_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);

impl Conn<'_> {
    /// Whether a transaction is open (a failed statement may have ended it).
    pub fn in_transaction(&self) -> bool {
        match self {
            Conn::Any(c) => sqlx::Connection::is_in_transaction(&**c),
            Conn::Sqlite(c) => !c.is_autocommit(),
        }
    }

    /// Run a statement; returns the rows it changed.
    pub async fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        match self {
            Conn::Any(c) => Ok(sqlx::Executor::execute(&mut **c, any_query(sql, args)).await?.rows_affected()),
            Conn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                bind(&mut stmt, args)?;
                Ok(stmt.raw_execute()? as u64)
            }
        }
    }

    /// Every row of a query.
    pub async fn fetch_all<R: FromRow>(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<R>> {
        match self {
            Conn::Any(c) => {
                let rows = sqlx::Executor::fetch_all(&mut **c, any_query(sql, args)).await?;
                rows.iter().map(R::any).collect()
            }
            Conn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                bind(&mut stmt, args)?;
                let mut rows = stmt.raw_query();
                let mut out = Vec::new();
                while let Some(row) = rows.next()? {
                    out.push(R::sqlite(row)?);
                }
                Ok(out)
            }
        }
    }

    /// The first row of a query, if any (the statement runs to its end: an UPDATE … RETURNING
    /// changes every row it names).
    pub async fn fetch_optional<R: FromRow>(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Option<R>> {
        Ok(self.fetch_all(sql, args).await?.into_iter().next())
    }

    /// The one row of a query; an error when there is none.
    pub async fn fetch_one<R: FromRow>(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<R> {
        self.fetch_optional(sql, args).await?.ok_or_else(|| Error::new(Kind::Internal, "a query returned no row"))
    }

    /// The first column of the first row, if any.
    pub async fn scalar<T: Col>(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Option<T>> {
        Ok(self.fetch_optional::<(T,)>(sql, args).await?.map(|(v,)| v))
    }
}

fn any_query<'q>(sql: &str, args: &[Arg<'q>]) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
    for a in args {
        q = match *a {
            Arg::Int(v) => q.bind(v),
            Arg::Text(v) => q.bind(v.map(str::to_string)),
            Arg::Blob(v) => q.bind(v.map(<[u8]>::to_vec)),
        };
    }
    q
}

/// Bind `$N` (and `?N`) placeholders by their number, as sqlx does: SQLite numbers named
/// parameters in order of first appearance, which need not be N.
fn bind(stmt: &mut rusqlite::CachedStatement<'_>, args: &[Arg<'_>]) -> Result<()> {
    for i in 1..=stmt.parameter_count() {
        let n = match stmt.parameter_name(i) {
            Some(name) => name[1..].parse::<usize>().map_err(|_| placeholder(name))?,
            None => i,
        };
        let arg = args.get(n.wrapping_sub(1)).ok_or_else(|| placeholder(&format!("${n}")))?;
        match *arg {
            Arg::Int(v) => stmt.raw_bind_parameter(i, v)?,
            Arg::Text(v) => stmt.raw_bind_parameter(i, v)?,
            Arg::Blob(v) => stmt.raw_bind_parameter(i, v)?,
        }
    }
    Ok(())
}

fn placeholder(name: &str) -> Error {
    Error::new(Kind::Internal, format!("query placeholder {name} has no value"))
}

impl From<rusqlite::Error> for Error {
    fn from(err: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode as C;
        if let rusqlite::Error::SqliteFailure(_, Some(text)) = &err
            && let Some(refused) = crate::error::refusal(text)
        {
            return refused;
        }
        let kind = match err.sqlite_error_code() {
            Some(C::ConstraintViolation) => match &err {
                rusqlite::Error::SqliteFailure(e, _)
                    if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                        || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
                {
                    Kind::Exists
                }
                _ => Kind::Invalid,
            },
            Some(C::DatabaseBusy | C::DatabaseLocked) => Kind::TempFail,
            Some(C::DiskFull | C::SystemIoFailure | C::CannotOpen) => Kind::Unavailable,
            _ => Kind::Internal,
        };
        Error { stand_in: true, ..Error::new(kind, "database error").with_source(err) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run<T>(f: impl std::future::Future<Output = T>) -> T {
        let mut f = std::pin::pin!(f);
        match f.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("a query on the direct connection waited"),
        }
    }

    #[test]
    fn placeholders_bind_by_their_number_not_their_order_of_appearance() {
        let mut db = rusqlite::Connection::open_in_memory().unwrap();
        let mut c = Conn::Sqlite(&mut db);
        run(c.execute("CREATE TABLE t (a INTEGER, b TEXT, c BLOB)", &[])).unwrap();
        let n = run(c.execute("INSERT INTO t (b, a, c) VALUES ($2, $1, $3)", &[7.into(), "x".into(), Arg::Blob(None)]))
            .unwrap();
        assert_eq!(n, 1);
        let row: (i64, String, Option<Vec<u8>>) =
            run(c.fetch_one("SELECT a, b, c FROM t WHERE a = $1", &[7.into()])).unwrap();
        assert_eq!(row, (7, "x".to_string(), None));
        // A placeholder used twice takes one value.
        let twice: Option<i64> = run(c.scalar("SELECT $1 + $1", &[20.into()])).unwrap();
        assert_eq!(twice, Some(40));
    }

    #[test]
    fn a_placeholder_without_a_value_is_an_error_not_a_null() {
        let mut db = rusqlite::Connection::open_in_memory().unwrap();
        let mut c = Conn::Sqlite(&mut db);
        let e = run(c.scalar::<i64>("SELECT $2", &[1.into()])).unwrap_err();
        assert!(e.one_line().contains("$2"), "{}", e.one_line());
    }

    #[test]
    fn constraint_errors_keep_their_kind() {
        let mut db = rusqlite::Connection::open_in_memory().unwrap();
        let mut c = Conn::Sqlite(&mut db);
        run(c.execute("CREATE TABLE t (a INTEGER PRIMARY KEY)", &[])).unwrap();
        run(c.execute("INSERT INTO t VALUES ($1)", &[1.into()])).unwrap();
        let e = run(c.execute("INSERT INTO t VALUES ($1)", &[1.into()])).unwrap_err();
        assert_eq!(e.kind, Kind::Exists);
    }
}
