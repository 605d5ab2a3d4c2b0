//! Running helper programs (pdftotext, pdftoppm, tesseract) on untrusted input: stdin fed from
//! memory, stdout capped, a deadline after which the child is killed.

use std::process::Stdio;
use std::time::Instant;

use domain::extraction::ExtractError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

/// What a finished helper produced.
pub(crate) struct Output {
    pub stdout: Vec<u8>,
    /// Stdout hit the cap; the child was killed and the output cut there.
    pub capped: bool,
    pub success: bool,
    /// The first bytes of stderr, for the log.
    pub stderr: String,
}

/// Runs `program args…` with `input` on stdin. The child is killed when the deadline passes
/// (→ `Timeout`), when stdout exceeds `max_stdout` (→ `capped`), or when this future is dropped.
pub(crate) async fn run(
    program: &str,
    args: &[&str],
    input: &[u8],
    max_stdout: usize,
    deadline: Instant,
) -> Result<Output, ExtractError> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| ExtractError::Internal(format!("cannot start {program}: {e}")))?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let input = input.to_vec();

    let work = async {
        // Feed stdin concurrently with draining stdout, or a chatty child deadlocks on a full pipe.
        let feed = async move {
            // The child may exit without reading everything (e.g. a corrupt header): not an error.
            let _ = stdin.write_all(&input).await;
            drop(stdin);
        };
        let drain = async {
            let mut out = Vec::new();
            let mut chunk = vec![0u8; 64 * 1024];
            let mut capped = false;
            loop {
                let n = stdout.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                if out.len() + n > max_stdout {
                    out.extend_from_slice(&chunk[..max_stdout - out.len()]);
                    capped = true;
                    break;
                }
                out.extend_from_slice(&chunk[..n]);
            }
            (out, capped)
        };
        let errs = async {
            let mut buf = Vec::new();
            let _ = (&mut stderr).take(4096).read_to_end(&mut buf).await;
            String::from_utf8_lossy(&buf).into_owned()
        };
        let ((), (out, capped), err) = tokio::join!(feed, drain, errs);
        (out, capped, err)
    };
    let remaining = deadline.saturating_duration_since(Instant::now());
    let (out, capped, err) = match tokio::time::timeout(remaining, work).await {
        Ok(r) => r,
        Err(_) => {
            let _ = child.kill().await;
            return Err(ExtractError::Timeout);
        }
    };
    if capped {
        let _ = child.kill().await;
        return Ok(Output {
            stdout: out,
            capped: true,
            success: true,
            stderr: err,
        });
    }
    let remaining = deadline.saturating_duration_since(Instant::now());
    let status = match tokio::time::timeout(remaining, child.wait()).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Err(ExtractError::Internal(format!("{program}: {e}"))),
        Err(_) => {
            let _ = child.kill().await;
            return Err(ExtractError::Timeout);
        }
    };
    Ok(Output {
        stdout: out,
        capped: false,
        success: status.success(),
        stderr: err,
    })
}

/// Whether `program` can be started here (`program --version`/`-v` exits, whatever its status).
pub(crate) async fn available(program: &str, version_flag: &str) -> bool {
    Command::new(program)
        .arg(version_flag)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .status()
        .await
        .is_ok()
}
