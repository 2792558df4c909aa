//! `unifield sandbox`: the local Corrigo server, in the foreground.

use crate::{Failure, Outcome};
use std::net::SocketAddr;
use unifield_corrigo_sandbox::{start, Config, Faults};

pub(crate) fn serve(
    port: u16,
    seed: u64,
    work_orders: usize,
    client_id: Option<String>,
    client_secret: Option<String>,
    company: Option<String>,
    faults: &str,
) -> Outcome {
    let faults: Faults = faults
        .parse()
        .map_err(|e: String| Failure::usage(format!("--faults: {e}")))?;
    let defaults = Config::default();
    let config = Config {
        seed,
        work_orders,
        client_id: client_id.unwrap_or(defaults.client_id),
        client_secret: client_secret.unwrap_or(defaults.client_secret),
        company: company.unwrap_or(defaults.company),
        faults,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let running = start(config.clone(), SocketAddr::from(([127, 0, 0, 1], port)))
            .await
            .map_err(|e| Failure::usage(format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
        // The first line is for scripts: the base URL alone. A reader that goes away after
        // it (closing the pipe) must not stop the server, so write errors are ignored.
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", running.base_url);
        let _ = writeln!(
            out,
            "Corrigo sandbox: {work_orders} work orders (seed {seed}); Ctrl-C stops it"
        );
        let _ = writeln!(out, "  company:       {}", config.company);
        let _ = writeln!(out, "  client id:     {}", config.client_id);
        let _ = writeln!(
            out,
            "  client secret: {} (the sandbox's own test credential)",
            config.client_secret
        );
        let _ = writeln!(
            out,
            "  token:         POST {}/OAuth/token",
            running.base_url
        );
        let _ = out.flush();
        drop(out);
        running.wait().await;
        Ok(std::process::ExitCode::SUCCESS)
    })
}
