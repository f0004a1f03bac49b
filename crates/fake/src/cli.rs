//! `pixloom fake …`: run the fake gateway as a process, for CLI tests and
//! manual poking (`curl`).

use std::io::Write as _;
use std::time::Duration;

use color_eyre::eyre::{WrapErr as _, eyre};

use crate::faults::{Fault, Shape};
use crate::{FakeConfig, FakeGateway};

/// Options of the `fake` subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct FakeArgs {
    /// Port on 127.0.0.1 (0: a free port; the line printed at start names it).
    #[arg(long, default_value_t = 0)]
    pub(crate) port: u16,
    /// Seconds to wait before answering each valid API request.
    #[arg(long, value_name = "SECONDS", default_value_t = 0.0)]
    pub latency: f64,
    /// Faults for the first requests, in order: 500, 429, 429:5, 502,
    /// truncated, hang, drop, refuse, empty, 401, … and hostile ones:
    /// oversize:BYTES, oversize-claimed:BYTES, echo:STATUS|html|malformed|refuse|url,
    /// redirect:URL (docs/fake-gateway.md).
    #[arg(long, value_name = "FAULT,…", value_delimiter = ',')]
    pub fail: Vec<Fault>,
    /// Force a response shape: data-url, data-b64, data-b64-bare, data-both,
    /// chat-markdown, chat-bare-url, chat-data-url.
    #[arg(long, value_name = "SHAPE")]
    pub(crate) mode: Option<Shape>,
    /// Accept only this key (default: any key starting with sk-).
    #[arg(long, value_name = "KEY")]
    pub api_key: Option<String>,
    /// Seconds a result URL lives.
    #[arg(long, value_name = "SECONDS", default_value_t = 86_400.0)]
    pub url_ttl: f64,
    /// Seconds a `hang` fault waits before answering 504.
    #[arg(long, value_name = "SECONDS", default_value_t = 600.0)]
    pub hang_for: f64,
    /// Seed of the pictures: every answer is a new picture, and the same
    /// seed and requests give the same pictures (tests and benchmarks rely
    /// on that).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
}

fn seconds(name: &str, v: f64) -> color_eyre::Result<Duration> {
    Duration::try_from_secs_f64(v).map_err(|e| eyre!("--{name} {v}: {e}"))
}

impl FakeArgs {
    /// The configuration these options describe.
    pub(crate) fn config(&self) -> color_eyre::Result<FakeConfig> {
        Ok(FakeConfig {
            latency: seconds("latency", self.latency)?,
            faults: self.fail.clone(),
            shape: self.mode,
            api_key: self.api_key.clone(),
            url_ttl: seconds("url-ttl", self.url_ttl)?,
            hang_for: seconds("hang-for", self.hang_for)?,
            seed: self.seed,
        })
    }
}

/// Starts the fake, prints `fake gateway listening on http://127.0.0.1:PORT`
/// (flushed: a test reads it to learn the port), and serves until Ctrl-C
/// or SIGTERM.
pub async fn run(args: FakeArgs) -> color_eyre::Result<()> {
    let fake = FakeGateway::start_on(args.port, args.config()?)
        .await
        .wrap_err_with(|| format!("could not listen on 127.0.0.1:{}", args.port))?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "fake gateway listening on {}", fake.base_url())?;
        out.flush()?;
    }
    wait_for_stop().await?;
    fake.shutdown().await;
    Ok(())
}

#[cfg(unix)]
async fn wait_for_stop() -> color_eyre::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r?,
        _ = term.recv() => {}
    }
    Ok(())
}

#[cfg(not(unix))]
async fn wait_for_stop() -> color_eyre::Result<()> {
    tokio::signal::ctrl_c().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cmd {
        #[command(flatten)]
        args: FakeArgs,
    }

    #[test]
    fn options_parse_into_a_config() {
        let cmd = Cmd::try_parse_from([
            "fake",
            "--port",
            "0",
            "--latency",
            "0.25",
            "--fail",
            "500,429,502,drop",
            "--mode",
            "chat-markdown",
            "--api-key",
            "sk-test",
            "--url-ttl",
            "2",
            "--seed",
            "7",
        ])
        .expect("parse");
        let cfg = cmd.args.config().expect("config");
        assert_eq!(cfg.latency, Duration::from_millis(250));
        assert_eq!(
            cfg.faults,
            vec![
                Fault::Status(500),
                Fault::Status(429),
                Fault::BadGatewayHtml,
                Fault::Drop
            ]
        );
        assert_eq!(cfg.shape, Some(Shape::ChatMarkdown));
        assert_eq!(cfg.api_key.as_deref(), Some("sk-test"));
        assert_eq!(cfg.url_ttl, Duration::from_secs(2));
        assert_eq!(cfg.hang_for, Duration::from_secs(600));
        assert_eq!(cfg.seed, 7);
        assert!(Cmd::try_parse_from(["fake", "--fail", "boom"]).is_err());
        assert!(Cmd::try_parse_from(["fake", "--mode", "nope"]).is_err());
        let neg = Cmd::try_parse_from(["fake", "--latency=-1"]).expect("parses");
        assert!(neg.args.config().is_err());
    }
}
