//! The command line: flags, subcommands, and the shared set-up (config,
//! `--demo`, logging) they stand on.

mod export;
mod ledger;
mod output;
mod progress;
mod replay;
mod rerun;
mod send;
#[cfg(test)]
mod settings_tests;
mod show;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use color_eyre::eyre::{Result, WrapErr as _};
use time::OffsetDateTime;

use crate::config::{self, Config, FlagLayer};
use crate::convfile::{self, ConvFolder};
use crate::engine::Engine;
use crate::{advice, gateway, tui};
use pixloom_core::grid::{GridSpec, ModelList, SizeList};
use pixloom_core::settings::{self, TurnSettings};
use pixloom_core::size::SizeSpec;
use pixloom_core::tree::Endpoint;
use pixloom_core::tree::{Conversation, RequestParams};
use pixloom_fake::cli::FakeArgs;
use pixloom_fake::{FakeConfig, FakeGateway};

const EXAMPLES: &str = "\
Settings: docs/config.md (config.toml, environment, flags). Keys: docs/keys.md.

Examples:
  pixloom --demo                      # the app against the built-in fake gateway: no key
  pixloom                             # pick a conversation (here or opened lately), or start one
  pixloom fox                         # open (or create) fox.pixloom/ in the app
  pixloom send fox --prompt 'a red fox in snow' --size 2048x1152
  pixloom send fox --prompt 'make it dusk' --from n2 --variants 3
  pixloom send fox --prompt 'a lighthouse' --size 1280x720,2048x1152   # a grid: one turn per size
  pixloom show fox --json
  pixloom export fox --format html --out fox.html
  pixloom replay fox
  pixloom ledger --since 2026-12-01 --refusals
  pixloom completions bash > ~/.local/share/bash-completion/completions/pixloom";

/// Where each shell looks for completions, as `completions --help` shows it.
const COMPLETIONS_HELP: &str = "\
The script goes to stdout; no key and no config file are needed. Put it where
your shell looks for completions, then open a new shell:

Examples:
  pixloom completions bash > ~/.local/share/bash-completion/completions/pixloom
  pixloom completions zsh > ~/.zfunc/_pixloom    # ~/.zshrc: fpath+=(~/.zfunc) before compinit
  pixloom completions fish > ~/.config/fish/completions/pixloom.fish
  pixloom completions elvish >> ~/.config/elvish/rc.elv
  pixloom completions powershell >> $PROFILE";

/// Keyboard-driven, multi-turn image generation and editing in the terminal.
#[derive(Debug, Parser)]
#[command(name = "pixloom", version, about, after_help = EXAMPLES)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The conversation to open: a folder NAME.pixloom (created if missing).
    pub conv: Option<String>,
}

/// Flags every command takes.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Run against a fake gateway started inside pixloom: no key, no network.
    #[arg(long, global = true)]
    pub demo: bool,
    /// The gateway's root URL [default: https://api.apiyi.com].
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) base_url: Option<String>,
    /// Allow a plain http:// base URL to a host other than this machine (the key would cross the network unencrypted).
    #[arg(long, global = true)]
    pub allow_insecure_http: bool,
    /// The API key. Prefer PIXLOOM_API_KEY: a flag shows in the process list.
    #[arg(long, global = true, value_name = "KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// The model [default: gpt-image-2-vip]. `send` takes a comma list: a
    /// grid, one turn per size and model.
    #[arg(long, global = true, value_name = "MODEL")]
    pub(crate) model: Option<ModelList>,
    /// Output size: auto or one of the 30 WIDTHxHEIGHT sizes. `send` takes a
    /// comma list (1280x720,2048x1152): a grid, one turn per size and model.
    #[arg(long, global = true, value_name = "SIZE")]
    pub(crate) size: Option<SizeList>,
    /// chat (/v1/chat/completions, whole history) or images (generations/edits).
    #[arg(long, global = true, value_name = "chat|images")]
    pub(crate) endpoint: Option<Endpoint>,
    /// Seconds to wait for a whole request [default: 300].
    #[arg(long, global = true, value_name = "SECONDS")]
    pub request_timeout: Option<f64>,
    /// Config file [default: $XDG_CONFIG_HOME/pixloom/config.toml].
    #[arg(long, global = true, value_name = "PATH")]
    pub(crate) config: Option<PathBuf>,
    /// Thumbnails: auto (detect), kitty, iterm, sixel, blocks or none [default: auto].
    #[arg(long, global = true, value_name = "MODE")]
    pub graphics: Option<tui::GraphicsChoice>,
    /// Spend limit per day (UTC), in USD: a request that would pass it is not sent.
    #[arg(long, global = true, value_name = "USD")]
    pub(crate) budget_day: Option<f64>,
    /// Spend limit per conversation, in USD: a request that would pass it is not sent.
    #[arg(long, global = true, value_name = "USD")]
    pub(crate) budget_conversation: Option<f64>,
    /// Log detail in the log file: error, warn, info, debug or trace [default: info].
    #[arg(long, global = true, value_name = "LEVEL", value_parser = log_level)]
    pub log_level: Option<String>,
}

impl GlobalArgs {
    /// `--size` when it names one size (a list is a grid's, `grid`).
    fn one_size(&self) -> Option<SizeSpec> {
        self.size.as_ref().and_then(SizeList::single)
    }

    /// `--model` when it names one model.
    fn one_model(&self) -> Option<&str> {
        self.model.as_ref().and_then(ModelList::single)
    }

    /// What `send` fans a prompt out across: the `--size` and `--model`
    /// lists (empty when not given).
    pub(crate) fn grid(&self) -> GridSpec {
        GridSpec {
            sizes: self
                .size
                .as_ref()
                .map_or_else(Vec::new, |l| l.sizes().to_vec()),
            models: self
                .model
                .as_ref()
                .map_or_else(Vec::new, |l| l.models().to_vec()),
        }
    }

    /// Refuses a list of sizes or models where only `send` makes a grid.
    fn refuse_lists(&self) -> Result<()> {
        if let Some(list) = self.size.as_ref().filter(|l| l.single().is_none()) {
            return Err(color_eyre::eyre::eyre!(
                "--size {list}: a list of sizes makes a grid, which only `pixloom send` does; give one size here"
            ));
        }
        if let Some(list) = self.model.as_ref().filter(|l| l.single().is_none()) {
            return Err(color_eyre::eyre::eyre!(
                "--model {}: a list of models makes a grid, which only `pixloom send` does; give one model here",
                crate::sanitize::line(&list.to_string())
            ));
        }
        Ok(())
    }

    /// The flags' layer of the configuration.
    pub(crate) fn flag_layer(&self) -> FlagLayer {
        FlagLayer {
            base_url: self.base_url.clone(),
            allow_insecure_http: self.allow_insecure_http,
            api_key: self.api_key.clone(),
            model: self.one_model().map(str::to_owned),
            size: self.one_size(),
            endpoint: self.endpoint,
            request_timeout_secs: self.request_timeout,
            budget_day: self.budget_day,
            budget_conversation: self.budget_conversation,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send a prompt as a new turn and wait for the result(s).
    #[command(after_help = "\
Examples:
  pixloom send fox --prompt 'a red fox in snow'
  pixloom send fox --prompt 'same, at night' --from n2 --image ref.jpg --variants 2 --json
  pixloom send fox --prompt 'a poster' --size 1152x2048 --model gpt-image-2-all
  pixloom send fox --prompt 'a lighthouse' --size 1280x720,2048x1152 --model gpt-image-2-vip,gpt-image-2-all --json")]
    Send(send::SendArgs),
    /// Print a conversation's tree.
    #[command(after_help = "\
Examples:
  pixloom show fox
  pixloom show fox.pixloom --json | jq '.nodes[] | select(.status==\"done\")'")]
    Show(show::ShowArgs),
    /// Write a conversation as one HTML file (images embedded) or Markdown.
    #[command(after_help = "\
Examples:
  pixloom export fox --format html --out fox.html
  pixloom export fox --format markdown --out fox.md")]
    Export(export::ExportArgs),
    /// Serve the fake gateway on loopback (for tests, demos, benchmarks).
    #[command(after_help = "\
Examples:
  pixloom fake-gateway --port 8080 --latency 2
  pixloom fake-gateway --fail 429,500 --mode chat-markdown")]
    FakeGateway(FakeArgs),
    /// Play a saved conversation back turn by turn, offline and read-only.
    #[command(after_help = "\
No request is made and no key is needed; the folder is only read.
Keys: space steps, p plays, +/- speed, h/l pick a branch. P re-runs the
path shown from the current turn: the replay ends, the conversation opens
for writing (as `pixloom CONV`; it needs a key) and asks, with the price.

Examples:
  pixloom replay fox
  pixloom replay ~/Downloads/fox.pixloom --play --speed 1")]
    Replay(replay::ReplayArgs),
    /// The spending ledger: every billed call, with totals per day, model and outcome.
    #[command(after_help = "\
Reads STATE/pixloom/ledger.jsonl ($XDG_STATE_HOME or ~/.local/state); needs no key.
Outcomes: done and refused are billed; failed-may-have-been-billed and
unknown (the process stopped mid-call) may have been: check them on the bill.

Examples:
  pixloom ledger --since 2026-12-01
  pixloom ledger --refusals --since 2026-11-01 --until 2026-11-30 --csv > refusals.csv
  pixloom ledger --json | jq .totals.all")]
    Ledger(ledger::LedgerArgs),
    /// Send a saved path's turns again, live, as a new branch beside it.
    #[command(after_help = "\
Each turn from --from to --to (default: the end of its branch) is sent
again with the same prompt and references (from the local copies), one
after another, each under the new answer before it; --model, --size and
--endpoint change what they name (a change a step's model cannot make,
such as a 4K size with gpt-image-2-all, is refused before anything is
sent). The price (calls x $0.03) is said on
stderr first; each step is saved as it finishes, and a failed step ends
the run (non-zero exit) with the steps before it kept.

Examples:
  pixloom rerun fox --from n1 --model gpt-image-2-all
  pixloom rerun fox --from n3 --to n7 --size 2048x1152 --json")]
    Rerun(rerun::RerunArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = COMPLETIONS_HELP)]
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Writes the completion script for `shell` to stdout. Needs no config,
/// key or log file, so it works on a fresh machine.
pub fn print_completions(shell: clap_complete::Shell) -> Result<()> {
    use clap::CommandFactory as _;
    use std::io::Write as _;
    // Rendered whole first: clap_complete panics on a write error, and a
    // closed pipe (`| head`) is not a panic.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "pixloom", &mut script);
    let mut out = std::io::stdout().lock();
    match out.write_all(&script).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).wrap_err("could not write the completion script to stdout")
        }
        _ => Ok(()),
    }
}

/// `--log-level`: a level, or a tracing filter with `=` (`pixloom=debug`).
/// Checked here because the log set-up falls back to `info` silently.
fn log_level(s: &str) -> std::result::Result<String, String> {
    const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];
    let ok = LEVELS.contains(&s.to_ascii_lowercase().as_str())
        || (s.contains('=') && tracing_subscriber::EnvFilter::try_new(s).is_ok());
    if ok {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "use error, warn, info, debug or trace (or a filter like pixloom=debug), not {s:?}"
        ))
    }
}

/// Parses the command line and runs it.
pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Some(Command::FakeGateway(args)) => pixloom_fake::cli::run(args).await,
        Some(Command::Show(args)) => show::run(&args),
        Some(Command::Export(args)) => export::run(&args),
        Some(Command::Completions(args)) => print_completions(args.shell),
        Some(Command::Ledger(args)) => ledger::run(&args),
        Some(Command::Replay(args)) => {
            let session = Session::start(&cli.global).await?;
            let r = replay::run(&session, args).await;
            session.stop().await;
            r
        }
        Some(Command::Rerun(args)) => {
            let session = Session::start(&cli.global).await?;
            let r = rerun::run(&session, args).await;
            session.stop().await;
            r
        }
        Some(Command::Send(args)) => {
            let session = Session::start_for_grid(&cli.global).await?;
            let r = send::run(&session, &cli.global.grid(), args).await;
            session.stop().await;
            r
        }
        None => {
            let session = Session::start(&cli.global).await?;
            let r = open_app(&session, cli.conv.as_deref()).await;
            session.stop().await;
            r
        }
    }
}

/// `pixloom [CONV]`: the terminal app. Without a key it still opens (to
/// browse and replay) and says how to set one. A bare `pixloom` opens the
/// start screen (the conversations here and opened lately) and creates
/// nothing until the user names a new one; `--demo` opens `demo.pixloom`.
async fn open_app(session: &Session, conv: Option<&str>) -> Result<()> {
    let cfg = &session.config;
    let engine = match cfg.api_key {
        Some(_) => Some(session.engine()?),
        None => None,
    };
    let keys = session.app.keymap.clone();
    let now = OffsetDateTime::now_utc();
    let named = conv.or(session.demo.is_some().then_some("demo"));
    let (folder, loaded) = match named {
        Some(name) => ConvFolder::open_or_create(convfile::conversation_dir(name), now)?,
        None => {
            let recent = crate::recent::default_path()
                .map(|f| crate::recent::load(&f))
                .unwrap_or_default();
            let here = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
            match tui::start::run::choose(here, recent, keys.clone()).await? {
                tui::start::run::Chosen::Open { folder, loaded } => (folder, *loaded),
                tui::start::run::Chosen::Quit => return Ok(()),
            }
        }
    };
    run_opened(session, folder, loaded, engine, None).await
}

/// The app over an opened (locked) folder, with the session's engine
/// when a key is set; `rerun`: open on the re-run question for that path
/// (a replay handed it over).
pub(crate) async fn run_opened(
    session: &Session,
    folder: ConvFolder,
    loaded: convfile::Loaded,
    engine: Option<Engine>,
    rerun: Option<tui::replay::RerunPath>,
) -> Result<()> {
    if let Some(list) = crate::recent::default_path() {
        crate::recent::record(&list, &folder.dir);
    }
    let engine = engine.map(|e| e.with_ledger(session.ledger_for(&folder.dir)));
    let mut args = session.app_args(folder, loaded, engine);
    args.rerun = rerun;
    tui::run_with_keys(args, session.app.keymap.clone()).await
}

/// A stored image's path as printed for scripts: absolute, so it works
/// from any directory. The folder is resolved (the user may have named it
/// through a link); the image's own name is not, so a link planted in
/// `images/` never prints where it points.
pub(crate) fn image_path(
    store: &crate::images::ImageStore,
    blob: &pixloom_core::tree::Blob,
) -> String {
    let p = store.path(blob);
    let dir = std::fs::canonicalize(store.dir()).unwrap_or_else(|_| store.dir().to_path_buf());
    p.file_name()
        .map_or(p.clone(), |name| dir.join(name))
        .display()
        .to_string()
}

/// The config in force and the app's part of it (`graphics`, `[keys]`):
/// the file at `path`, the environment read through `env`, the flags.
fn load_config(
    path: Option<&std::path::Path>,
    env: &dyn Fn(&str) -> Option<String>,
    global: &GlobalArgs,
) -> Result<(Config, tui::config::TuiConfig)> {
    let config = Config::load(path, env, &global.flag_layer())?;
    let app = tui::config::TuiConfig::load(&config, global.graphics)?;
    Ok((config, app))
}

/// Config in force plus, under `--demo`, the fake gateway it points at.
pub(crate) struct Session {
    pub(crate) config: Config,
    /// The app's part of the config (`graphics`, `[keys]`), checked for
    /// every command that loads the config.
    pub app: tui::config::TuiConfig,
    /// What `--size`, `--model` and `--endpoint` said: these beat a
    /// conversation's saved choice, which beats the config.
    pub(crate) flags: TurnSettings,
    pub demo: Option<FakeGateway>,
}

/// The demo gateway's picture seed (a number); unset, each run picks one.
pub const DEMO_SEED_VAR: &str = "PIXLOOM_DEMO_SEED";

/// The key the in-process demo gateway accepts.
const DEMO_KEY: &str = "sk-pixloom-demo";

impl Session {
    /// The session of a command that takes one size and one model (a
    /// list is refused with a message).
    pub(crate) async fn start(global: &GlobalArgs) -> Result<Session> {
        global.refuse_lists()?;
        Session::start_for_grid(global).await
    }

    /// The session of `send`, whose `--size` and `--model` may be lists
    /// (`GlobalArgs::grid`); the flags' layer then keeps a lone value only.
    pub(crate) async fn start_for_grid(global: &GlobalArgs) -> Result<Session> {
        let env = |k: &str| std::env::var(k).ok();
        // The default file may be missing; a file named with --config may not.
        if let Some(p) = global.config.as_ref().filter(|p| !p.exists()) {
            return Err(config::ConfigError::NoSuchFile { path: p.clone() }.into());
        }
        let path = global
            .config
            .clone()
            .or_else(|| config::default_config_path(&env));
        let (mut config, app) = load_config(path.as_deref(), &env, global)?;
        // Said once, before the app takes the screen.
        for warning in &config.warnings {
            eprintln!("pixloom: {}", crate::sanitize::line(warning));
        }
        let demo = if global.demo {
            // A few seconds by default so a newcomer sees progress;
            // tests shorten it.
            let latency = std::env::var("PIXLOOM_DEMO_LATENCY")
                .ok()
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|v| v.is_finite() && *v >= 0.0)
                .unwrap_or(3.0);
            // A fresh seed per run, as the real gateway never repeats a
            // picture; tests fix it to repeat a run's pictures.
            let seed = std::env::var(DEMO_SEED_VAR)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or_else(rand::random);
            let fake = FakeGateway::start(FakeConfig {
                latency: Duration::from_secs_f64(latency),
                api_key: Some(DEMO_KEY.to_owned()),
                seed,
                ..FakeConfig::default()
            })
            .await
            .wrap_err("could not start the demo gateway on loopback")?;
            config.base_url = fake.base_url();
            config.api_key = Some(crate::gateway::ApiKey::new(DEMO_KEY)?);
            Some(fake)
        } else {
            None
        };
        let flags = TurnSettings {
            size: global.one_size(),
            model: global.one_model().map(str::to_owned),
            endpoint: global.endpoint,
        };
        Ok(Session {
            config,
            app,
            flags,
            demo,
        })
    }

    /// What the app starts from for an opened folder (`pixloom CONV`).
    pub(crate) fn app_args(
        &self,
        folder: ConvFolder,
        loaded: convfile::Loaded,
        engine: Option<Engine>,
    ) -> tui::TuiArgs {
        tui::TuiArgs {
            defaults: self.params_for(&loaded.conv),
            folder,
            conv: loaded.conv,
            interrupted: loaded.interrupted,
            missing_images: loaded.missing_images,
            engine,
            demo: self.demo.is_some(),
            graphics: self.app.graphics,
            budgets: self.config.budgets,
            spent_today: self
                .config
                .budgets
                .spent_at_start(OffsetDateTime::now_utc()),
            rerun: None,
        }
    }

    /// The size, model and endpoint new turns in `conv` are sent with:
    /// the flags, then the conversation's saved choice, then the config.
    pub(crate) fn params_for(&self, conv: &Conversation) -> RequestParams {
        let cfg = &self.config;
        let config = RequestParams {
            endpoint: cfg.endpoint,
            model: cfg.model.clone(),
            size: cfg.size,
        };
        settings::for_new_turns(&self.flags, &conv.settings, &config)
    }

    /// The engine for this session's gateway; fails with directions when
    /// no key is set.
    pub(crate) fn engine(&self) -> Result<Engine> {
        let settings = self
            .config
            .client_settings()
            .map_err(|e| color_eyre::eyre::Report::msg(advice::no_key(&e)))?;
        let client = gateway::Client::new(settings)
            .map_err(|e| color_eyre::eyre::Report::msg(advice::setup(&e)))?;
        let engine = Engine::new(client, self.config.image_budget);
        Ok(if self.demo.is_some() {
            engine.without_remote_urls()
        } else {
            engine
        })
    }

    /// The ledger calls from `dir` are recorded in; none under `--demo`
    /// (the demo gateway bills nothing).
    pub(crate) fn ledger_for(&self, dir: &std::path::Path) -> crate::ledger::Ledger {
        if self.demo.is_some() {
            crate::ledger::Ledger::default()
        } else {
            crate::ledger::Ledger::for_conversation(dir)
        }
    }

    pub(crate) async fn stop(self) {
        if let Some(f) = self.demo {
            f.shutdown().await;
        }
    }
}

/// A failure as the one line the user sees: the error and its causes,
/// each cause only when the text so far does not already quote it (many
/// of our messages name their cause, and `{:#}` would say it twice).
pub fn error_line(e: &color_eyre::Report) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        // A cause shaped `REASON — PATH` (errline) is quoted when both are.
        let quoted = match text.rsplit_once(crate::errline::SEP) {
            Some((reason, path)) => line.contains(reason) && line.contains(path),
            None => line.contains(&text),
        };
        if quoted {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    crate::sanitize::line(&line).into_owned()
}

#[cfg(test)]
mod error_line_tests {
    use color_eyre::eyre::{WrapErr as _, eyre};

    #[test]
    fn causes_already_quoted_are_not_repeated() {
        let io = std::io::Error::other("No space left on device (os error 28)");
        let quoted = Err::<(), _>(io)
            .wrap_err("cannot write a.json: No space left on device (os error 28)")
            .wrap_err("could not save")
            .unwrap_err();
        assert_eq!(
            super::error_line(&quoted),
            "could not save: cannot write a.json: No space left on device (os error 28)"
        );
        let new_cause = Err::<(), _>(eyre!("connection refused"))
            .wrap_err("gateway down")
            .unwrap_err();
        assert_eq!(
            super::error_line(&new_cause),
            "gateway down: connection refused"
        );
    }
}
