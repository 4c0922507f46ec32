//! The command line: options, the command and its operands, each mistake told in one line.

use std::fmt;

use auth_core::Algorithm;
use auth_core::dev_issuer::DpopKey;
use tonic::codegen::http::Uri;

/// `petstore-grpc --help`.
pub(crate) const USAGE: &str = "\
usage: petstore-grpc [--addr URL] [--token TOKEN] [--dpop-key KEY] COMMAND

Calls the tonic Petstore (petstore.v1.PetStore) and prints the status (OK or the gRPC code
name), then the answer as JSON, or the status message and any www-authenticate challenge.

commands:
  list              ListPets   (scope pets:read)
  get ID            GetPet     (scope pets:read)
  add NAME [TAG]    CreatePet  (scope pets:write)
  delete ID         DeletePet  (scopes pets:write and admin)
  me                GetMe      (any valid token)
  pay ID            PayOrder   (scope pets:write, then step-up)

options:
  --addr URL        the server (default: PETSTORE_GRPC_ADDR, else http://127.0.0.1:8080)
  --token TOKEN     the access token (default: the TOKEN environment variable, which keeps it
                    out of the process list); never printed
  --dpop-key KEY    sign a DPoP proof per call with this ES256 key (base64url PKCS#8, the
                    banner's DPOP_KEY) and send the token as `authorization: DPoP`
  -h, --help        this text

exit status: 0 when the call answers OK, 1 for any other status, 2 for bad arguments.";

/// Where the client connects when neither `--addr` nor `PETSTORE_GRPC_ADDR` says: the
/// Petstore's default listen address.
pub const DEFAULT_ADDR: &str = "http://127.0.0.1:8080";

/// `PETSTORE_GRPC_ADDR`: the server's address when `--addr` is not given.
pub(crate) const ADDR_VARIABLE: &str = "PETSTORE_GRPC_ADDR";

/// `TOKEN`: the access token when `--token` is not given.
pub(crate) const TOKEN_VARIABLE: &str = "TOKEN";

/// One call of the `petstore.v1.PetStore` service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    List,
    Get(u64),
    Add { name: String, tag: Option<String> },
    Delete(u64),
    Me,
    Pay(u64),
}

impl Command {
    /// The RPC's name in the service, as the gRPC path and a DPoP proof's `htu` end with it.
    pub(crate) fn method(&self) -> &'static str {
        match self {
            Command::List => "ListPets",
            Command::Get(_) => "GetPet",
            Command::Add { .. } => "CreatePet",
            Command::Delete(_) => "DeletePet",
            Command::Me => "GetMe",
            Command::Pay(_) => "PayOrder",
        }
    }
}

/// An access token; its `Debug` never shows it.
pub(crate) struct Token(String);

impl Token {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(..)")
    }
}

/// What to call, where, and with which credentials.
#[derive(Debug)]
pub(crate) struct Args {
    /// `http://host:port`: what the channel connects to and DPoP's `htu` starts with.
    pub(crate) origin: String,
    pub(crate) token: Option<Token>,
    pub(crate) dpop_key: Option<DpopKey>,
    pub(crate) command: Command,
}

/// What the command line asks for.
#[derive(Debug)]
pub(crate) enum Parsed {
    Help,
    Run(Box<Args>),
}

/// Reads the command line (without the program name); `env` looks up `PETSTORE_GRPC_ADDR` and
/// `TOKEN`. The error is one line, naming the argument (never a token or a key).
pub(crate) fn parse(
    args: impl IntoIterator<Item = String>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Parsed, String> {
    let args: Vec<String> = args.into_iter().collect();
    if args.iter().take_while(|a| *a != "--").any(|a| a == "-h" || a == "--help") {
        return Ok(Parsed::Help);
    }
    let (mut addr, mut token, mut key, mut operands) = (None, None, None, Vec::new());
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name.to_owned(), Some(value.to_owned())),
            _ => (arg.clone(), None),
        };
        let slot = match name.as_str() {
            "--addr" => &mut addr,
            "--token" => &mut token,
            "--dpop-key" => &mut key,
            "--" => {
                operands.extend(args.by_ref());
                break;
            }
            option if option.starts_with('-') && option.len() > 1 => {
                return Err(format!("unknown option {} (--help for usage)", shown(option)));
            }
            _ => {
                operands.push(arg);
                continue;
            }
        };
        let value = inline.or_else(|| args.next()).ok_or_else(|| format!("{name} takes a value"))?;
        *slot = Some(value);
    }
    let origin = match addr {
        Some(addr) => origin(&addr).map_err(|e| format!("--addr: {e}"))?,
        None => match env(ADDR_VARIABLE).filter(|a| !a.is_empty()) {
            Some(addr) => origin(&addr).map_err(|e| format!("{ADDR_VARIABLE}: {e}"))?,
            None => DEFAULT_ADDR.to_owned(),
        },
    };
    let token = match token {
        Some(t) if t.is_empty() => return Err("--token is empty (is the variable set in this shell?)".into()),
        Some(t) => Some(checked_token(t, "--token")?),
        None => env(TOKEN_VARIABLE)
            .filter(|t| !t.is_empty())
            .map(|t| checked_token(t, TOKEN_VARIABLE))
            .transpose()?,
    };
    let dpop_key = key.map(|k| dpop_key(&k)).transpose()?;
    if dpop_key.is_some() && token.is_none() {
        return Err(format!("--dpop-key needs a token (--token or {TOKEN_VARIABLE})"));
    }
    Ok(Parsed::Run(Box::new(Args { origin, token, dpop_key, command: command(operands)? })))
}

/// The command and its operands.
fn command(operands: Vec<String>) -> Result<Command, String> {
    let mut operands = operands.into_iter();
    let Some(name) = operands.next() else {
        return Err("no command given (list, get, add, delete, me or pay; --help for usage)".into());
    };
    let rest: Vec<String> = operands.collect();
    let id = |rest: &[String]| match rest {
        [id] => petstore::parse_id(id)
            .ok_or_else(|| format!("`{name}` takes a pet ID (a whole number), not {}", shown(id))),
        _ => Err(format!("`{name}` takes one pet ID")),
    };
    let command = match name.as_str() {
        "list" | "me" if !rest.is_empty() => return Err(format!("`{name}` takes no operands")),
        "list" => Command::List,
        "me" => Command::Me,
        "get" => Command::Get(id(&rest)?),
        "delete" => Command::Delete(id(&rest)?),
        "pay" => Command::Pay(id(&rest)?),
        "add" => match <[String; 1]>::try_from(rest) {
            Ok([name]) => Command::Add { name, tag: None },
            Err(rest) => match <[String; 2]>::try_from(rest) {
                Ok([name, tag]) => Command::Add { name, tag: Some(tag) },
                Err(_) => return Err("`add` takes a NAME and an optional TAG".into()),
            },
        },
        _ => {
            return Err(format!(
                "unknown command {} (list, get, add, delete, me or pay; --help for usage)",
                shown(&name)
            ));
        }
    };
    Ok(command)
}

/// `http://authority` from `http://host:port` or `host:port`.
fn origin(addr: &str) -> Result<String, String> {
    let with_scheme = if addr.contains("://") { addr.to_owned() } else { format!("http://{addr}") };
    let unfit = || format!("{} is not an address like {DEFAULT_ADDR}", shown(addr));
    let uri: Uri = with_scheme.parse().map_err(|_| unfit())?;
    match uri.scheme_str() {
        Some("http") => {}
        Some("https") => {
            return Err("https is not supported: the Petstore serves plaintext HTTP/2 (http://)".into());
        }
        _ => return Err(unfit()),
    }
    let Some(authority) = uri.authority() else { return Err(unfit()) };
    // Host and port only: no user info, and a port that is a number (`Uri` keeps any text).
    let rebuilt = match authority.port_u16() {
        Some(port) => format!("{}:{port}", authority.host()),
        None => authority.host().to_owned(),
    };
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() || rebuilt != authority.as_str() {
        return Err(unfit());
    }
    Ok(format!("http://{rebuilt}"))
}

/// A token that fits in gRPC metadata (visible ASCII).
fn checked_token(token: String, from: &str) -> Result<Token, String> {
    if token.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(Token(token))
    } else {
        Err(format!("{from}: the token has characters gRPC metadata cannot carry"))
    }
}

fn dpop_key(text: &str) -> Result<DpopKey, String> {
    DpopKey::from_base64url(Algorithm::ES256, text).map_err(|_| {
        "--dpop-key: not an ES256 private key in base64url PKCS#8 (the banner's DPOP_KEY)".into()
    })
}

/// An argument quoted in an error, unless it is long or unprintable: a token pasted in the wrong
/// place is not echoed.
fn shown(arg: &str) -> String {
    if arg.len() <= 32 && arg.chars().all(|c| c.is_ascii_graphic()) {
        format!("`{arg}`")
    } else {
        format!("(an argument of {} characters)", arg.chars().count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(line: &str) -> Result<Args, String> {
        run_with(line, |_| None)
    }

    fn run_with(line: &str, env: impl Fn(&str) -> Option<String>) -> Result<Args, String> {
        match parse(line.split_whitespace().map(str::to_owned), env)? {
            Parsed::Run(args) => Ok(*args),
            Parsed::Help => Err("help".into()),
        }
    }

    #[test]
    fn every_command_and_its_operands() {
        let cases = [
            ("list", Command::List),
            ("me", Command::Me),
            ("get 7", Command::Get(7)),
            ("delete 1", Command::Delete(1)),
            ("pay 2", Command::Pay(2)),
            ("add Nemo", Command::Add { name: "Nemo".into(), tag: None }),
            ("add Nemo fish", Command::Add { name: "Nemo".into(), tag: Some("fish".into()) }),
            ("-- add --odd-name", Command::Add { name: "--odd-name".into(), tag: None }),
        ];
        for (line, command) in cases {
            assert_eq!(run(line).unwrap().command, command, "{line}");
        }
    }

    #[test]
    fn the_address_comes_from_the_option_then_the_environment_then_the_default() {
        let env = |n: &str| (n == ADDR_VARIABLE).then(|| "127.0.0.1:9000".to_owned());
        assert_eq!(run("list").unwrap().origin, DEFAULT_ADDR);
        assert_eq!(run_with("list", env).unwrap().origin, "http://127.0.0.1:9000");
        assert_eq!(run_with("--addr http://[::1]:50051/ list", env).unwrap().origin, "http://[::1]:50051");
        assert_eq!(run("--addr=localhost:1 list").unwrap().origin, "http://localhost:1");
        for bad in ["ftp://h:1", "http://h:1/api", "http://u@h:1", "h:1?q", "http://", "h:x"] {
            let e = run(&format!("--addr {bad} list")).unwrap_err();
            assert!(e.starts_with("--addr: "), "{bad}: {e}");
        }
        assert!(run("--addr https://h:1 list").unwrap_err().contains("plaintext"));
        let bad_env = |n: &str| (n == ADDR_VARIABLE).then(|| "ftp://x".to_owned());
        assert!(run_with("list", bad_env).unwrap_err().starts_with("PETSTORE_GRPC_ADDR: "));
    }

    #[test]
    fn the_token_comes_from_the_option_then_the_environment() {
        let env = |n: &str| (n == TOKEN_VARIABLE).then(|| "from-env".to_owned());
        assert!(run("list").unwrap().token.is_none());
        assert_eq!(run_with("list", env).unwrap().token.unwrap().as_str(), "from-env");
        assert_eq!(run_with("--token abc list", env).unwrap().token.unwrap().as_str(), "abc");
        assert!(run("--token= list").unwrap_err().contains("empty"));
        let spaced = parse(["--token".into(), "a b".into(), "list".into()], |_| None).unwrap_err();
        assert_eq!(spaced, "--token: the token has characters gRPC metadata cannot carry");
        let args = run("--token secret-value list").unwrap();
        assert!(!format!("{args:?}").contains("secret-value"));
    }

    #[test]
    fn a_dpop_key_is_read_and_needs_a_token() {
        let key = DpopKey::generate(Algorithm::ES256).unwrap();
        let line = format!("--token t --dpop-key {} list", key.to_base64url());
        assert_eq!(run(&line).unwrap().dpop_key.unwrap().thumbprint(), key.thumbprint());
        let e = run(&format!("--dpop-key {} list", key.to_base64url())).unwrap_err();
        assert_eq!(e, "--dpop-key needs a token (--token or TOKEN)");
        assert!(
            run("--token t --dpop-key not-a-key list").unwrap_err().starts_with("--dpop-key: not an ES256")
        );
    }

    #[test]
    fn mistakes_are_one_line_and_never_echo_long_arguments() {
        let token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJkZXYtdXNlciJ9.c2lnbmF0dXJl";
        let cases = [
            ("", "no command given"),
            ("frobnicate", "unknown command `frobnicate`"),
            (token, "unknown command (an argument of 58 characters)"),
            ("get abc", "`get` takes a pet ID (a whole number), not `abc`"),
            ("get -1", "unknown option `-1`"),
            ("delete", "`delete` takes one pet ID"),
            ("pay 1 2", "`pay` takes one pet ID"),
            ("add", "`add` takes a NAME and an optional TAG"),
            ("add a b c", "`add` takes a NAME and an optional TAG"),
            ("list extra", "`list` takes no operands"),
            ("--verbose list", "unknown option `--verbose`"),
            ("list --addr", "--addr takes a value"),
        ];
        for (line, expected) in cases {
            let e = run(line).unwrap_err();
            assert!(e.starts_with(expected), "{line}: {e}");
            assert!(!e.contains('\n') && !e.contains(token), "{line}: {e}");
        }
    }

    #[test]
    fn help_wins_over_everything_before_the_double_dash() {
        assert!(matches!(parse(["list".into(), "--help".into()], |_| None), Ok(Parsed::Help)));
        assert!(matches!(parse(["-h".into(), "bogus".into()], |_| None), Ok(Parsed::Help)));
        assert!(run("-- add -h").is_ok());
    }
}
