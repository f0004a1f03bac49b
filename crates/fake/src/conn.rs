//! The accept loop: one task per TCP connection, counted, each with a kill
//! switch a handler can pull to close its socket without answering
//! ([`super::Fault::Drop`]). `axum::serve` offers neither, hence hyper-util.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, Request};
use hyper::body::Incoming;
use hyper::service::{Service as _, service_fn};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

/// Pulled by a handler to close the connection it arrived on, unanswered.
/// Inserted into every request's extensions.
#[derive(Clone)]
pub(crate) struct ConnKill(Arc<Notify>);

impl ConnKill {
    /// Closes the connection: its task drops the hyper connection (and so
    /// the socket) as soon as it is woken. `notify_one` keeps a permit, so
    /// this works even before the task waits.
    pub(crate) fn pull(&self) {
        self.0.notify_one();
    }
}

/// Counts open connections and lets a caller wait for the count to fall.
pub(crate) struct Conns {
    open: watch::Sender<usize>,
}

impl Conns {
    pub(crate) fn new() -> Conns {
        Conns {
            open: watch::Sender::new(0),
        }
    }

    pub(crate) fn open(&self) -> usize {
        *self.open.borrow()
    }

    /// Waits until at most `n` connections are open, or `within` passes.
    pub(crate) async fn wait_at_most(&self, n: usize, within: Duration) -> bool {
        let mut rx = self.open.subscribe();
        tokio::time::timeout(within, rx.wait_for(|open| *open <= n))
            .await
            .is_ok_and(|r| r.is_ok())
    }
}

/// Decrements the count when a connection task ends, however it ends.
struct Open(Arc<Conns>);

impl Open {
    fn new(conns: &Arc<Conns>) -> Open {
        conns.open.send_modify(|n| *n += 1);
        Open(Arc::clone(conns))
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.open.send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// Accepts until `shutdown` turns true, serving each connection with
/// `router`. Connections end when the peer closes, when a handler pulls
/// their [`ConnKill`], or at shutdown.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    router: Router,
    conns: Arc<Conns>,
    shutdown: watch::Receiver<bool>,
) {
    let mut stop = shutdown.clone();
    loop {
        tokio::select! {
            res = listener.accept() => match res {
                Ok((stream, _peer)) => {
                    let open = Open::new(&conns);
                    // Small JSON answers should not wait for Nagle.
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(serve_one(stream, router.clone(), open, shutdown.clone()));
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off, keep going.
                    tracing::warn!(error = %e, "fake gateway: accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            _ = stopped(&mut stop) => break,
        }
    }
}

/// Resolves once shutdown is asked for (or the sender is gone). The
/// watch guard is dropped inside, so the future stays `Send`.
async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await.is_ok();
}

async fn serve_one(
    stream: tokio::net::TcpStream,
    router: Router,
    open: Open,
    mut shutdown: watch::Receiver<bool>,
) {
    let _open = open;
    let kill = ConnKill(Arc::new(Notify::new()));
    let inner = TowerToHyperService::new(router);
    let for_requests = kill.clone();
    let svc = service_fn(move |mut req: Request<Incoming>| {
        req.extensions_mut().insert(for_requests.clone());
        let fut = inner.call(req);
        async move {
            let mut resp = fut.await?;
            // Every answer carries a request id; API handlers set their own.
            if !resp.headers().contains_key(super::REQUEST_ID)
                && let Ok(v) = HeaderValue::from_str(&super::new_request_id())
            {
                resp.headers_mut().insert(super::REQUEST_ID, v);
            }
            Ok::<_, Infallible>(resp)
        }
    });
    let builder = Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection(TokioIo::new(stream), svc);
    tokio::select! {
        res = conn => {
            if let Err(e) = res {
                tracing::debug!(error = %e, "fake gateway: connection ended with an error");
            }
        }
        // Dropping `conn` drops the socket: the peer sees the connection
        // close with no response at all.
        () = kill.0.notified() => {}
        _ = stopped(&mut shutdown) => {}
    }
}
