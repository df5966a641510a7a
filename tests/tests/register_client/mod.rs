//! A deliberately small, scripted REGISTER client over UDP: it sends exactly the requests a
//! test spells out, so SIPp scenarios can be checked against both right and wrong clients.

use std::net::UdpSocket;
use std::time::Duration;

pub struct RegisterClient {
    socket: UdpSocket,
    registrar: String,
    user: String,
    call_id: String,
    cseq: u32,
    nc: u32,
}

/// A parsed response: status code plus raw text for header lookups.
pub struct Response {
    pub status: u16,
    pub text: String,
}

impl Response {
    /// First value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<String> {
        self.text.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    }

    /// A parameter of the WWW-Authenticate challenge, unquoted.
    pub fn challenge_param(&self, param: &str) -> Option<String> {
        let header = self.header("WWW-Authenticate")?;
        header
            .trim_start_matches("Digest")
            .split(',')
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| k.eq_ignore_ascii_case(param))
            .map(|(_, v)| v.trim_matches('"').to_string())
    }
}

/// Credentials to answer a challenge with.
pub struct Digest<'a> {
    pub password: &'a str,
    pub realm: &'a str,
    pub nonce: &'a str,
}

impl RegisterClient {
    pub fn new(registrar_port: u16, user: &str) -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind client socket");
        socket
            .set_read_timeout(Some(Duration::from_secs(2)))
            .expect("set timeout");
        let port = socket.local_addr().expect("local addr").port();
        Self {
            socket,
            registrar: format!("127.0.0.1:{registrar_port}"),
            user: user.to_string(),
            call_id: format!("reg-{port}-{}@127.0.0.1", std::process::id()),
            cseq: 0,
            nc: 0,
        }
    }

    /// How long [`RegisterClient::register`] waits for a final response.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.socket
            .set_read_timeout(Some(timeout))
            .expect("set timeout");
    }

    fn local_port(&self) -> u16 {
        self.socket.local_addr().expect("local addr").port()
    }

    /// Sends one REGISTER asking for `expires` seconds (in the Expires header), optionally with
    /// an Authorization header, and returns the final response (`None` on timeout).
    pub fn register(&mut self, expires: u32, digest: Option<Digest<'_>>) -> Option<Response> {
        self.cseq += 1;
        let port = self.local_port();
        let (user, registrar, cseq) = (&self.user, &self.registrar, self.cseq);
        let uri = format!("sip:{registrar}");
        let authorization = digest
            .map(|d| {
                self.nc += 1;
                let nc = format!("{:08x}", self.nc);
                let cnonce = format!("c{port}x{cseq}");
                let ha1 = format!(
                    "{:x}",
                    md5::compute(format!("{user}:{}:{}", d.realm, d.password))
                );
                let ha2 = format!("{:x}", md5::compute(format!("REGISTER:{uri}")));
                let response = format!(
                    "{:x}",
                    md5::compute(format!("{ha1}:{}:{nc}:{cnonce}:auth:{ha2}", d.nonce))
                );
                format!(
                    "Authorization: Digest username=\"{user}\", realm=\"{}\", nonce=\"{}\", \
                     uri=\"{uri}\", response=\"{response}\", algorithm=MD5, qop=auth, nc={nc}, \
                     cnonce=\"{cnonce}\"\r\n",
                    d.realm, d.nonce
                )
            })
            .unwrap_or_default();
        let request = format!(
            "REGISTER {uri} SIP/2.0\r\n\
             Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-{port}-{cseq};rport\r\n\
             Max-Forwards: 70\r\n\
             From: <sip:{user}@{registrar}>;tag=t{port}\r\n\
             To: <sip:{user}@{registrar}>\r\n\
             Call-ID: {call_id}\r\n\
             CSeq: {cseq} REGISTER\r\n\
             Contact: <sip:{user}@127.0.0.1:{port}>\r\n\
             Expires: {expires}\r\n\
             {authorization}\
             User-Agent: dialtone-tests register_client\r\n\
             Content-Length: 0\r\n\r\n",
            call_id = self.call_id,
        );
        self.socket
            .send_to(request.as_bytes(), registrar.as_str())
            .expect("send REGISTER");
        let mut buf = vec![0u8; 65_535];
        loop {
            let n = self.socket.recv(&mut buf).ok()?;
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            let status: u16 = text.split_whitespace().nth(1)?.parse().ok()?;
            if status >= 200 {
                return Some(Response { status, text });
            }
        }
    }
}
