//! `mailctl serve`

use clap::Args;

use super::Ctx;
use crate::error::Result;

#[derive(Debug, Args)]
pub struct ServeArgs {}

pub async fn run(_args: ServeArgs, ctx: &mut Ctx) -> Result<()> {
    crate::server::serve(ctx.location.clone(), ctx.config.clone()).await
}
