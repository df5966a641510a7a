//! HTTP Digest authentication for SIP, sans-IO: parse challenges, answer them, keep nonce counts.
//!
//! RFC 3261 §22 puts HTTP Digest (RFC 2617, updated by RFC 7616) into SIP; RFC 8760 adds SHA-256
//! and SHA-512/256 for SIP. A 401 carries `WWW-Authenticate` and is answered with `Authorization`;
//! a 407 carries `Proxy-Authenticate` and is answered with `Proxy-Authorization` (RFC 3261 §22.2,
//! §22.3). A forwarded response may carry several challenges of both kinds (RFC 3261 §16.7 step 6):
//! the UAC answers one per realm.
//!
//! [`DigestClient`] owns the per-realm state (last challenge, nonce count, cnonce) and never reads
//! a clock or a socket. It does not decide whether to retry: after a rejected answer the caller
//! should give up unless the new challenge says `stale=true` (RFC 7616 §3.3), or it loops forever
//! against a wrong password.

mod parse;

use std::fmt::{self, Write as _};

use md5::Md5;
use sha2::Sha256;

use crate::message::{HeaderName, SipMessage};
use crate::secret::Secret;

/// The hash a challenge asks for (RFC 7616 §3.3 names, RFC 8760 §2.1 for SIP). `-sess` variants
/// fold the nonce and cnonce into HA1 (RFC 7616 §3.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    Md5,
    Md5Sess,
    Sha256,
    Sha256Sess,
}

impl Algorithm {
    /// Parses an `algorithm` value; case-insensitive, as real servers send `md5`.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        [
            Algorithm::Md5,
            Algorithm::Md5Sess,
            Algorithm::Sha256,
            Algorithm::Sha256Sess,
        ]
        .into_iter()
        .find(|a| a.as_str().eq_ignore_ascii_case(name))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
        }
    }

    pub fn is_session(self) -> bool {
        matches!(self, Algorithm::Md5Sess | Algorithm::Sha256Sess)
    }

    /// MD5 or MD5-sess: the only ones an MD5 HA1 can answer.
    pub fn is_md5(self) -> bool {
        matches!(self, Algorithm::Md5 | Algorithm::Md5Sess)
    }

    /// `H(data)` as lowercase hex (RFC 7616 §3.4.1).
    fn hash(self, parts: &[&[u8]]) -> String {
        fn run<D: md5::Digest>(parts: &[&[u8]]) -> String {
            let mut d = D::new();
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    d.update(b":");
                }
                d.update(part);
            }
            hex(&d.finalize())
        }
        if self.is_md5() {
            run::<Md5>(parts)
        } else {
            run::<Sha256>(parts)
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What went wrong with a challenge or an answer; each message says what the user can do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    #[error(
        "The server asked for \"{0}\" authentication, which Dialtone does not support (only Digest). \
         Ask your PBX administrator to enable Digest authentication for SIP."
    )]
    UnsupportedScheme(String),
    #[error(
        "The server asked for the digest algorithm \"{0}\", which Dialtone does not support \
         (MD5, MD5-sess, SHA-256 and SHA-256-sess are). Ask your PBX administrator to allow one of those."
    )]
    UnsupportedAlgorithm(String),
    #[error(
        "The server asked for the digest protection \"{0}\", which Dialtone does not support \
         (auth and auth-int are). Ask your PBX administrator to allow qop=auth."
    )]
    UnsupportedQop(String),
    #[error("The server's authentication challenge has no {0}, so it cannot be answered. This is a server bug; report it to your PBX administrator.")]
    MissingParameter(&'static str),
    #[error("The server's authentication challenge is malformed ({0}), so it cannot be answered. Report it to your PBX administrator.")]
    Malformed(String),
    #[error("The {0} contains a control character, which cannot be sent in a SIP header. Check the account settings.")]
    InvalidCharacter(&'static str),
    #[error("The stored password hash (HA1) is not 32 hexadecimal characters. Sign in again so Dialtone gets a fresh one.")]
    InvalidHa1,
    #[error(
        "The server asked for {0} digest authentication, but this account only has an MD5 password hash \
         (HA1), which can only answer MD5 challenges. Sign in with the password instead, or ask your \
         PBX administrator to allow MD5."
    )]
    Ha1AlgorithmMismatch(Algorithm),
    #[error(
        "The server asked for credentials for realm \"{offered}\", but this account is set up for realm \
         \"{configured}\". Check the server address and realm in the account settings."
    )]
    RealmMismatch { offered: String, configured: String },
    #[error(
        "The server sent no usable authentication challenge. Report it to your PBX administrator."
    )]
    NoChallenge,
    #[error("The server's nonce for realm \"{0}\" has been used too many times. Wait for a new challenge.")]
    NonceCountExhausted(String),
}

/// One Digest challenge from a `WWW-Authenticate` or `Proxy-Authenticate` header (RFC 7616 §3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    pub algorithm: Algorithm,
    /// `qop` offers `auth`: answer with it (RFC 7616 §3.4).
    pub qop_auth: bool,
    /// `qop` offers `auth-int` and not `auth`: answer with a hash of the body.
    pub qop_auth_int_only: bool,
    /// The previous answer was fine but its nonce expired: retry without asking the user.
    pub stale: bool,
    /// Came from `Proxy-Authenticate`, so it is answered with `Proxy-Authorization`.
    pub proxy: bool,
}

impl Challenge {
    /// Parses a header value holding exactly one challenge. `proxy` says whether it came from
    /// `Proxy-Authenticate`. See [`Challenge::parse_all`] for a value holding several.
    pub fn parse(value: &str, proxy: bool) -> Result<Challenge, DigestError> {
        let raw = parse::challenges(value).map_err(|e| DigestError::Malformed(e.to_owned()))?;
        match <[_; 1]>::try_from(raw) {
            Ok([one]) => Challenge::from_raw(one, proxy),
            Err(_) => Err(DigestError::Malformed(
                "several challenges in one header field".to_owned(),
            )),
        }
    }

    /// Parses every challenge of a header value (RFC 7235 §4.1 allows a list), each on its own.
    pub fn parse_all(value: &str, proxy: bool) -> Vec<Result<Challenge, DigestError>> {
        match parse::challenges(value) {
            Ok(raw) => raw
                .into_iter()
                .map(|r| Challenge::from_raw(r, proxy))
                .collect(),
            Err(e) => vec![Err(DigestError::Malformed(e.to_owned()))],
        }
    }

    fn from_raw(raw: parse::RawChallenge<'_>, proxy: bool) -> Result<Challenge, DigestError> {
        if !raw.scheme.eq_ignore_ascii_case("Digest") {
            return Err(DigestError::UnsupportedScheme(raw.scheme.to_owned()));
        }
        if let Some(e) = raw.error {
            return Err(DigestError::Malformed(e.to_owned()));
        }
        let (mut realm, mut nonce, mut opaque, mut algorithm, mut qop, mut stale) =
            (None, None, None, None, None, None);
        for (name, value) in raw.params {
            let slot = match name.to_ascii_lowercase().as_str() {
                "realm" => &mut realm,
                "nonce" => &mut nonce,
                "opaque" => &mut opaque,
                "algorithm" => &mut algorithm,
                "qop" => &mut qop,
                "stale" => &mut stale,
                // domain, charset, userhash (RFC 7616 §3.3): optional for a client; ignored.
                _ => continue,
            };
            // RFC 7235 §2.1: each parameter name occurs once per challenge. Two nonces or
            // realms would make the answer ambiguous, so refuse rather than guess.
            if slot.replace(value).is_some() {
                return Err(DigestError::Malformed(format!(
                    "the parameter {name} appears twice"
                )));
            }
        }
        let algorithm = match algorithm {
            // RFC 7616 §3.3: "If this is not present, it is assumed to be MD5."
            None => Algorithm::Md5,
            Some(name) => {
                Algorithm::from_name(&name).ok_or(DigestError::UnsupportedAlgorithm(name))?
            }
        };
        let (mut auth, mut auth_int) = (false, false);
        if let Some(qop) = &qop {
            // RFC 7616 §3.3: a quoted, comma-separated list of tokens.
            for option in qop.split(',').map(str::trim).filter(|o| !o.is_empty()) {
                auth |= option.eq_ignore_ascii_case("auth");
                auth_int |= option.eq_ignore_ascii_case("auth-int");
            }
            if !auth && !auth_int && !qop.trim().is_empty() {
                return Err(DigestError::UnsupportedQop(qop.clone()));
            }
        }
        Ok(Challenge {
            realm: realm.ok_or(DigestError::MissingParameter("realm"))?,
            nonce: nonce.ok_or(DigestError::MissingParameter("nonce"))?,
            opaque,
            algorithm,
            qop_auth: auth,
            qop_auth_int_only: auth_int && !auth,
            stale: stale.is_some_and(|s| s.eq_ignore_ascii_case("true")),
            proxy,
        })
    }

    fn header_name(&self) -> HeaderName {
        if self.proxy {
            HeaderName::PROXY_AUTHORIZATION
        } else {
            HeaderName::AUTHORIZATION
        }
    }

    fn same_realm(&self, other: &Challenge) -> bool {
        self.proxy == other.proxy && self.realm == other.realm
    }
}

/// Every challenge of a 401 or 407, `WWW-Authenticate` first, skipping those Dialtone cannot
/// answer (other schemes, unknown algorithms, malformed). Anything else gives an empty list.
pub fn challenges(msg: &SipMessage) -> Vec<Challenge> {
    parse_response(msg)
        .into_iter()
        .filter_map(Result::ok)
        .collect()
}

/// Every challenge of a 401 or 407, with the reason each unusable one was skipped.
fn parse_response(msg: &SipMessage) -> Vec<Result<Challenge, DigestError>> {
    if !matches!(msg.status(), Some(401 | 407)) {
        return Vec::new();
    }
    let www = msg
        .headers
        .get_all(HeaderName::WWW_AUTHENTICATE)
        .map(|v| (v, false));
    let proxy = msg
        .headers
        .get_all(HeaderName::PROXY_AUTHENTICATE)
        .map(|v| (v, true));
    www.chain(proxy)
        .flat_map(|(value, proxy)| Challenge::parse_all(value, proxy))
        .inspect(|c| {
            if let Err(e) = c {
                tracing::debug!(error = %e, "skipped an authentication challenge");
            }
        })
        .collect()
}

/// The challenge to answer for each realm (and header kind), in order of first appearance.
///
/// RFC 8760 §2.4: a UAC facing several challenges for one realm uses the topmost it supports
/// "unless a local policy dictates otherwise". Dialtone's policy: SHA-256 over MD5, then topmost.
pub fn preferred(challenges: &[Challenge]) -> Vec<&Challenge> {
    pick(challenges.iter())
}

/// The one challenge to answer when a single realm matters (a registrar): the first realm's
/// [`preferred`] challenge. With an HA1, use [`DigestClient::choose`], which skips SHA-256.
/// Kept for callers that answer one realm only.
pub fn choose(challenges: &[Challenge]) -> Option<&Challenge> {
    preferred(challenges).into_iter().next()
}

fn pick<'a>(challenges: impl Iterator<Item = &'a Challenge>) -> Vec<&'a Challenge> {
    let mut chosen: Vec<&Challenge> = Vec::new();
    for c in challenges {
        match chosen.iter_mut().find(|k| k.same_realm(c)) {
            Some(kept) => {
                if kept.algorithm.is_md5() && !c.algorithm.is_md5() {
                    *kept = c;
                }
            }
            None => chosen.push(c),
        }
    }
    chosen
}

/// What the user holds to answer with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretKind {
    Password(Secret),
    /// Hex `MD5(username ":" realm ":" password)`, precomputed (RFC 7616 §3.4.2). The Yeastar
    /// Linkus login hands out this ("hal") instead of the password. It answers MD5 and MD5-sess
    /// challenges only, and only for the realm it was computed with.
    Ha1Md5(Secret),
}

/// A SIP account's digest credentials. `Debug` masks the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub secret: SecretKind,
    /// If set, only challenges for this realm are answered, so a stranger on the path (a
    /// misrouted proxy) cannot collect a response computed with the account's password.
    pub realm: Option<String>,
}

/// The state kept for one realm: the challenge last answered, its nonce count and cnonce.
struct RealmState {
    challenge: Challenge,
    nc: u32,
    cnonce: String,
}

type CnonceSource = Box<dyn FnMut() -> String + Send>;

/// Answers Digest challenges for one account and remembers, per realm, what is needed to answer
/// again pre-emptively (RFC 3261 §22.3: a UAC may reuse credentials for a realm).
pub struct DigestClient {
    credentials: Credentials,
    realms: Vec<RealmState>,
    cnonce_source: CnonceSource,
}

impl fmt::Debug for DigestClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let realms: Vec<(&str, u32)> = self
            .realms
            .iter()
            .map(|r| (r.challenge.realm.as_str(), r.nc))
            .collect();
        f.debug_struct("DigestClient")
            .field("credentials", &self.credentials)
            .field("realms", &realms)
            .finish_non_exhaustive()
    }
}

impl DigestClient {
    pub fn new(credentials: Credentials) -> DigestClient {
        DigestClient {
            credentials,
            realms: Vec::new(),
            // 128 random bits, hex (RFC 7616 §3.4: the cnonce should be unpredictable).
            cnonce_source: Box::new(|| hex(&rand::random::<[u8; 16]>())),
        }
    }

    /// Replaces the random cnonce with `source` (test vectors need fixed ones).
    pub fn with_cnonce_source(
        mut self,
        source: impl FnMut() -> String + Send + 'static,
    ) -> DigestClient {
        self.cnonce_source = Box::new(source);
        self
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// Forgets every remembered challenge: after a rejected answer or a change of credentials.
    pub fn forget(&mut self) {
        self.realms.clear();
    }

    /// Like [`preferred`] (one challenge per realm), among those these credentials can answer:
    /// the configured realm only; MD5 or MD5-sess only for an HA1, so an HA1 picks MD5 where a
    /// realm offers both.
    pub fn choose<'a>(&self, challenges: &'a [Challenge]) -> Vec<&'a Challenge> {
        pick(challenges.iter().filter(|c| self.check(c).is_ok()))
    }

    /// Answers a 401/407: one header per realm, ready to add to the re-sent request (with a new
    /// CSeq, RFC 3261 §22.2). If nothing can be answered, the error says why (the first
    /// unusable challenge's reason, or why these credentials cannot answer).
    pub fn answer(
        &mut self,
        response: &SipMessage,
        method: &str,
        digest_uri: &str,
        body: &[u8],
    ) -> Result<Vec<(HeaderName, String)>, DigestError> {
        let parsed = parse_response(response);
        let usable: Vec<Challenge> = parsed.iter().filter_map(|c| c.clone().ok()).collect();
        let chosen: Vec<Challenge> = self.choose(&usable).into_iter().cloned().collect();
        if chosen.is_empty() {
            let why = usable
                .iter()
                .find_map(|c| self.check(c).err())
                .or_else(|| parsed.into_iter().find_map(Result::err));
            return Err(why.unwrap_or(DigestError::NoChallenge));
        }
        chosen
            .iter()
            .map(|c| self.authorize(c, method, digest_uri, body))
            .collect()
    }

    /// Answers one challenge for a request `method` to `digest_uri` (the Request-URI, RFC 3261
    /// §22.4) with `body`. Returns the header to add: `Authorization` or `Proxy-Authorization`.
    ///
    /// The nonce count goes up by one for each answer to the same nonce; a new nonce gets a new
    /// cnonce and starts again at 1 (RFC 7616 §3.4).
    pub fn authorize(
        &mut self,
        challenge: &Challenge,
        method: &str,
        digest_uri: &str,
        body: &[u8],
    ) -> Result<(HeaderName, String), DigestError> {
        self.check(challenge)?;
        let existing = self
            .realms
            .iter()
            .position(|r| r.challenge.same_realm(challenge));
        let state = match existing.map(|at| &self.realms[at]) {
            Some(known)
                if known.challenge.nonce == challenge.nonce
                    && known.challenge.algorithm == challenge.algorithm =>
            {
                RealmState {
                    challenge: challenge.clone(),
                    nc: next_nc(known)?,
                    cnonce: known.cnonce.clone(),
                }
            }
            _ => RealmState {
                challenge: challenge.clone(),
                nc: 1,
                cnonce: (self.cnonce_source)(),
            },
        };
        // On error nothing was sent, so nothing is remembered either.
        let value = header_value(&self.credentials, &state, method, digest_uri, body)?;
        if let Some(at) = existing {
            self.realms.remove(at);
        }
        // The most recently answered realm goes last.
        self.realms.push(state);
        Ok((challenge.header_name(), value))
    }

    /// Answers pre-emptively (a REGISTER refresh, say): for every realm answered so far, the
    /// last challenge with the next nonce count, as RFC 3261 §22.3 lets a UAC reuse credentials
    /// for a realm. Empty if nothing was answered yet: send the request bare and answer the
    /// challenge that comes back. Ordered by when each realm was last answered, oldest first.
    pub fn authorize_again(
        &mut self,
        method: &str,
        digest_uri: &str,
        body: &[u8],
    ) -> Result<Vec<(HeaderName, String)>, DigestError> {
        self.realms
            .iter_mut()
            .map(|state| answer_again(&self.credentials, state, method, digest_uri, body))
            .collect()
    }

    /// Whether these credentials may and can answer `challenge`.
    fn check(&self, challenge: &Challenge) -> Result<(), DigestError> {
        if let Some(configured) = &self.credentials.realm {
            if *configured != challenge.realm {
                return Err(DigestError::RealmMismatch {
                    offered: challenge.realm.clone(),
                    configured: configured.clone(),
                });
            }
        }
        if let SecretKind::Ha1Md5(_) = self.credentials.secret {
            if !challenge.algorithm.is_md5() {
                return Err(DigestError::Ha1AlgorithmMismatch(challenge.algorithm));
            }
        }
        Ok(())
    }
}

fn answer_again(
    credentials: &Credentials,
    state: &mut RealmState,
    method: &str,
    digest_uri: &str,
    body: &[u8],
) -> Result<(HeaderName, String), DigestError> {
    let previous = state.nc;
    state.nc = next_nc(state)?;
    match header_value(credentials, state, method, digest_uri, body) {
        Ok(value) => Ok((state.challenge.header_name(), value)),
        Err(e) => {
            state.nc = previous;
            Err(e)
        }
    }
}

fn next_nc(state: &RealmState) -> Result<u32, DigestError> {
    state
        .nc
        .checked_add(1)
        .ok_or_else(|| DigestError::NonceCountExhausted(state.challenge.realm.clone()))
}

#[derive(Clone, Copy)]
enum Qop {
    Auth,
    AuthInt,
}

impl Qop {
    fn as_str(self) -> &'static str {
        match self {
            Qop::Auth => "auth",
            Qop::AuthInt => "auth-int",
        }
    }
}

/// Computes the response and writes the credentials (RFC 7616 §3.4, RFC 2617 §3.2.2).
fn header_value(
    credentials: &Credentials,
    state: &RealmState,
    method: &str,
    uri: &str,
    body: &[u8],
) -> Result<String, DigestError> {
    let c = &state.challenge;
    let alg = c.algorithm;
    let username = &credentials.username;
    for (field, text) in [
        ("username", username.as_str()),
        ("request URI", uri),
        ("method", method),
        ("cnonce", state.cnonce.as_str()),
        ("server's realm", c.realm.as_str()),
        ("server's nonce", c.nonce.as_str()),
        ("server's opaque value", c.opaque.as_deref().unwrap_or("")),
    ] {
        // A CR or LF here would let a hostile value add headers to our request.
        if text.chars().any(char::is_control) {
            return Err(DigestError::InvalidCharacter(field));
        }
    }
    let qop = if c.qop_auth {
        Some(Qop::Auth)
    } else if c.qop_auth_int_only {
        Some(Qop::AuthInt)
    } else {
        None
    };
    let nc = format!("{:08x}", state.nc);
    let cnonce = state.cnonce.as_str();

    // RFC 7616 §3.4.2: A1 = username:realm:password; for -sess, H(that):nonce:cnonce.
    let ha1 = Secret::new(match &credentials.secret {
        SecretKind::Password(password) => alg.hash(&[
            username.as_bytes(),
            c.realm.as_bytes(),
            password.expose().as_bytes(),
        ]),
        SecretKind::Ha1Md5(ha1) => {
            let ha1 = ha1.expose();
            if ha1.len() != 32 || !ha1.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(DigestError::InvalidHa1);
            }
            ha1.to_ascii_lowercase()
        }
    });
    let ha1 = if alg.is_session() {
        Secret::new(alg.hash(&[
            ha1.expose().as_bytes(),
            c.nonce.as_bytes(),
            cnonce.as_bytes(),
        ]))
    } else {
        ha1
    };
    // RFC 7616 §3.4.3: A2 = method:uri, or method:uri:H(body) for auth-int.
    let ha2 = match qop {
        Some(Qop::AuthInt) => {
            let body_hash = alg.hash(&[body]);
            alg.hash(&[method.as_bytes(), uri.as_bytes(), body_hash.as_bytes()])
        }
        _ => alg.hash(&[method.as_bytes(), uri.as_bytes()]),
    };
    // RFC 7616 §3.4.1: KD(H(A1), nonce:nc:cnonce:qop:H(A2)); without qop, the RFC 2069 form
    // KD(H(A1), nonce:H(A2)) that RFC 2617 §3.2.2.1 keeps for old servers.
    let response = match qop {
        Some(qop) => alg.hash(&[
            ha1.expose().as_bytes(),
            c.nonce.as_bytes(),
            nc.as_bytes(),
            cnonce.as_bytes(),
            qop.as_str().as_bytes(),
            ha2.as_bytes(),
        ]),
        None => alg.hash(&[ha1.expose().as_bytes(), c.nonce.as_bytes(), ha2.as_bytes()]),
    };

    let mut v = format!(
        "Digest username={}, realm={}, nonce={}, uri={}, response=\"{response}\", algorithm={alg}",
        quote(username),
        quote(&c.realm),
        quote(&c.nonce),
        quote(uri),
    );
    // The cnonce goes with qop (RFC 7616 §3.4); a -sess answer without qop needs it too, since
    // the server cannot compute HA1 without it.
    if qop.is_some() || alg.is_session() {
        let _ = write!(v, ", cnonce={}", quote(cnonce));
    }
    if let Some(opaque) = &c.opaque {
        let _ = write!(v, ", opaque={}", quote(opaque));
    }
    if let Some(qop) = qop {
        let _ = write!(v, ", qop={}, nc={nc}", qop.as_str());
    }
    Ok(v)
}

/// A quoted-string, with `"` and `\` escaped as quoted-pairs (RFC 3261 §25.1).
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_escape_quotes_and_backslashes() {
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(quote("Jürgen"), "\"Jürgen\"");
    }

    #[test]
    fn algorithm_names_round_trip_case_insensitively() {
        for a in [
            Algorithm::Md5,
            Algorithm::Md5Sess,
            Algorithm::Sha256,
            Algorithm::Sha256Sess,
        ] {
            assert_eq!(Algorithm::from_name(a.as_str()), Some(a));
            assert_eq!(Algorithm::from_name(&a.as_str().to_lowercase()), Some(a));
        }
        assert_eq!(Algorithm::from_name("SHA-512-256"), None);
    }

    #[test]
    fn hashes_match_known_values() {
        assert_eq!(
            Algorithm::Md5.hash(&[b""]),
            "d41d8cd98f00b204e9800998ecf8427e"
        );
        assert_eq!(
            Algorithm::Sha256.hash(&[b"a", b"b"]),
            Algorithm::Sha256.hash(&[b"a:b"])
        );
    }
}
