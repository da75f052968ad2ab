//! A TCP proxy the test controls, to take a dependency away in the middle of traffic: it
//! forwards every connection to a target until [`TcpProxy::cut`] (drop the live connections
//! and refuse new ones) or [`TcpProxy::blackhole`] (drop the live ones and hold new ones
//! open without an answer), and [`TcpProxy::restore`] lets traffic through again. It runs on
//! a thread and runtime of its own, so that a test blocked on a child process does not
//! stall it.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};

/// What the proxy does with connections right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyMode {
    /// Forward to the target.
    Open,
    /// Close live connections; close new ones at once (the peer reads end-of-stream).
    Refused,
    /// Close live connections; accept new ones and never answer until restored.
    Blackholed,
}

/// A running proxy on `127.0.0.1:<free port>`, stopped when dropped.
#[derive(Debug)]
pub struct TcpProxy {
    addr: SocketAddr,
    mode: watch::Sender<ProxyMode>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TcpProxy {
    /// Starts forwarding `127.0.0.1:<free port>` to `target`.
    pub fn start(target: SocketAddr) -> TcpProxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding the test proxy");
        listener.set_nonblocking(true).expect("a non-blocking proxy listener");
        let addr = listener.local_addr().expect("the proxy's address");
        let (mode, mode_rx) = watch::channel(ProxyMode::Open);
        let (stop, stop_rx) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name(format!("tcp-proxy-{addr}"))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime for the test proxy");
                runtime.block_on(async move {
                    let listener = TcpListener::from_std(listener).expect("a tokio proxy listener");
                    tokio::select! {
                        () = accept_loop(listener, target, mode_rx) => {}
                        _ = stop_rx => {}
                    }
                });
            })
            .expect("spawning the test proxy thread");
        TcpProxy { addr, mode, stop: Some(stop), thread: Some(thread) }
    }

    /// The address to give the client instead of the target's.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Drops every live connection and closes new ones at once.
    pub fn cut(&self) {
        self.mode.send_replace(ProxyMode::Refused);
    }

    /// Drops every live connection and holds new ones open without forwarding a byte.
    pub fn blackhole(&self) {
        self.mode.send_replace(ProxyMode::Blackholed);
    }

    /// Forwards new connections again (the held ones of a blackhole are closed).
    pub fn restore(&self) {
        self.mode.send_replace(ProxyMode::Open);
    }

    /// Restores the connection after `delay`, from a thread of its own.
    pub fn restore_after(&self, delay: Duration) -> std::thread::JoinHandle<()> {
        let mode = self.mode.clone();
        std::thread::spawn(move || {
            std::thread::sleep(delay);
            mode.send_replace(ProxyMode::Open);
        })
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept_loop(listener: TcpListener, target: SocketAddr, mode: watch::Receiver<ProxyMode>) {
    loop {
        let Ok((inbound, _)) = listener.accept().await else { continue };
        let current = *mode.borrow();
        let mode = mode.clone();
        match current {
            ProxyMode::Open => {
                tokio::spawn(forward(inbound, target, mode));
            }
            ProxyMode::Refused => drop(inbound),
            ProxyMode::Blackholed => {
                tokio::spawn(hold(inbound, mode));
            }
        }
    }
}

/// Copies both ways until either side closes or the proxy leaves [`ProxyMode::Open`].
async fn forward(mut inbound: TcpStream, target: SocketAddr, mut mode: watch::Receiver<ProxyMode>) {
    let Ok(mut outbound) = TcpStream::connect(target).await else { return };
    let _ = inbound.set_nodelay(true);
    let _ = outbound.set_nodelay(true);
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
        _ = mode.wait_for(|m| *m != ProxyMode::Open) => {}
    }
}

/// Keeps a connection open without a byte until the proxy is restored, then closes it.
async fn hold(inbound: TcpStream, mut mode: watch::Receiver<ProxyMode>) {
    let _ = mode.wait_for(|m| *m == ProxyMode::Open).await;
    drop(inbound);
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    async fn echo_server() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 64];
                    while let Ok(n) = s.read(&mut buf).await {
                        if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        addr
    }

    async fn round_trip(s: &mut TcpStream) -> std::io::Result<usize> {
        s.write_all(b"ping").await?;
        let mut buf = [0u8; 4];
        tokio::time::timeout(Duration::from_millis(500), s.read(&mut buf))
            .await
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))?
    }

    #[tokio::test]
    async fn cut_drops_live_connections_and_refuses_new_ones_until_restored() {
        let proxy = TcpProxy::start(echo_server().await);
        let mut live = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(round_trip(&mut live).await.unwrap(), 4);

        proxy.cut();
        // The live connection ends (end-of-stream or reset), and so does a new one.
        assert!(round_trip(&mut live).await.map_or(true, |n| n == 0));
        let mut new = TcpStream::connect(proxy.addr()).await.unwrap();
        assert!(round_trip(&mut new).await.map_or(true, |n| n == 0));

        proxy.restore();
        let mut again = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(round_trip(&mut again).await.unwrap(), 4);
    }

    #[tokio::test]
    async fn a_blackhole_holds_new_connections_without_an_answer() {
        let proxy = TcpProxy::start(echo_server().await);
        proxy.blackhole();
        let mut held = TcpStream::connect(proxy.addr()).await.unwrap();
        let err = round_trip(&mut held).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        proxy.restore();
        let mut again = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(round_trip(&mut again).await.unwrap(), 4);
    }
}
