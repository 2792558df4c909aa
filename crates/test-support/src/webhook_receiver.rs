//! A webhook receiver on 127.0.0.1 that holds each delivery before it answers, for the
//! shutdown tests: a delivery still in flight when a node stops, and which delivery (its
//! `webhook-id`) a node sent. Plain threads, so it serves the same under any runtime.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Starts a receiver that notes each request's `webhook-id` and answers 200 after `hold`:
/// its URL (`http://127.0.0.1:PORT/hook`) and the ids it was sent, in order.
pub fn holding_receiver(hold: Duration) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let noted = Arc::clone(&seen);
    std::thread::spawn(move || {
        for mut stream in listener.incoming().map_while(Result::ok) {
            let noted = Arc::clone(&noted);
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
                let mut head = Vec::new();
                let mut buffer = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65_536 {
                    match stream.read(&mut buffer) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buffer[..n]),
                    }
                }
                let id = String::from_utf8_lossy(&head)
                    .lines()
                    .find_map(|line| {
                        let (name, value) = line.split_once(':')?;
                        name.eq_ignore_ascii_case("webhook-id")
                            .then(|| value.trim().to_string())
                    })
                    .unwrap_or_default();
                noted.lock().unwrap().push(id);
                std::thread::sleep(hold);
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                );
            });
        }
    });
    (url, seen)
}
