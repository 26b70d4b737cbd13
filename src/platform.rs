//! Process set-up that is about the platform, not about IIS: signals, file limits, logging.

use std::io::IsTerminal;

/// `iis-sweep rules | head` must end quietly when the reader goes away, like other Unix tools,
/// instead of panicking on a broken pipe.
pub fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// A sweep holds about two sockets per host in flight (and the simulator one listener per
/// virtual host): lift the soft open-file limit to the hard one so `--concurrency 1000` or a
/// 10,000-host simulated fleet does not fail on the common default of 1,024.
pub fn raise_open_file_limit() {
    #[cfg(unix)]
    // SAFETY: getrlimit/setrlimit on a local, fully initialised struct.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            let _ = libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// Logs go to stderr: `-q` errors only, `-v`… more; `IIS_SWEEP_LOG` overrides (an
/// `EnvFilter`); `NO_COLOR` and non-terminals get no colour. `quiet_client` hides the WinRM
/// client's own warnings.
pub fn init_logging(quiet: bool, verbose: u8, quiet_client: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (_, 0) => "warn",
        (_, 1) => "info",
        (_, 2) => "debug",
        _ => "trace",
    };
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("IIS_SWEEP_LOG").unwrap_or_else(|_| {
            let client = if quiet_client { ",winrm_rs=error" } else { "" };
            tracing_subscriber::EnvFilter::new(format!(
                "iis_sweep={level},iis_sweep_sim={level},warn{client}"
            ))
        });
    let color = std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .with_target(false)
        .without_time()
        .init();
}
