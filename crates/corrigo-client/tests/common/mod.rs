//! What several of the client's test servers share.

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// One HTTP/1.1 request read off `stream`: its head (request line and headers, as text)
/// and its body (the Content-Length bytes after the head). `None` when the peer closes the
/// connection before the request is whole.
pub async fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<(String, Vec<u8>)>> {
    let mut request = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(None);
        }
        request.extend_from_slice(&buf[..n]);
        if let Some(at) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&request[..head_end]).to_string();
    let length = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    while request.len() < head_end + length {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(None);
        }
        request.extend_from_slice(&buf[..n]);
    }
    Ok(Some((head, request[head_end..head_end + length].to_vec())))
}
