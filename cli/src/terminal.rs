//! Asking the person at the terminal: whether stdin is a terminal at all, a secret read
//! without echo, a yes/no confirmation, and a token piped in on stdin. Callers check
//! `stdin_is_terminal` first: nothing here may wait for an answer nobody can give.

use std::io::{BufRead, IsTerminal, Read};

use crate::error::ClientError;

/// Longest token accepted on stdin; anything longer is not a modelreg token.
const MAX_TOKEN_BYTES: u64 = 4096;

/// Whether stdin is a terminal, i.e. whether there is somebody to ask.
pub fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

/// Asks for a secret on the terminal with echo off (the prompt goes to the terminal, not to
/// stdout), and returns it trimmed.
pub fn prompt_secret(prompt: &str) -> Result<String, ClientError> {
    let answer = rpassword::prompt_password(prompt)
        .map_err(|e| ClientError::io("cannot read from the terminal", e))?;
    check_token(&answer)
}

/// Asks a yes/no question on stderr and reads the answer from stdin; only `y` or `yes`
/// (any case) mean yes.
pub fn confirm(question: &str) -> Result<bool, ClientError> {
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| ClientError::io("cannot read the answer from the terminal", e))?;
    Ok(is_yes(&answer))
}

fn is_yes(answer: &str) -> bool {
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// Reads a token piped in on stdin (`--token-stdin`): the whole input, trimmed, which must
/// be one word.
pub fn read_token(input: impl Read) -> Result<String, ClientError> {
    let mut bytes = Vec::new();
    input
        .take(MAX_TOKEN_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ClientError::io("cannot read the token from stdin", e))?;
    if bytes.len() as u64 > MAX_TOKEN_BYTES {
        return Err(ClientError::Invalid(format!(
            "the input on stdin is longer than {MAX_TOKEN_BYTES} bytes"
        )));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| ClientError::Invalid("the token on stdin is not UTF-8 text".into()))?;
    check_token(&text)
}

/// A token is one non-empty word of printable characters (it travels in an HTTP header).
/// Messages never quote it.
fn check_token(raw: &str) -> Result<String, ClientError> {
    let token = raw.trim();
    if token.is_empty() {
        return Err(ClientError::Usage("no token was given".into()));
    }
    if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ClientError::Invalid(
            "the token must be one line without spaces or control characters".into(),
        ));
    }
    Ok(token.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_piped_token_is_trimmed() {
        assert_eq!(read_token(&b"mr_abc123\n"[..]).unwrap(), "mr_abc123");
        assert_eq!(read_token(&b"  mr_abc123\r\n\n"[..]).unwrap(), "mr_abc123");
    }

    #[test]
    fn empty_multi_word_and_oversized_input_is_refused_without_quoting_it() {
        assert_eq!(read_token(&b"\n"[..]).unwrap_err().exit_code(), 2);
        let err = read_token(&b"mr_abc\nmr_def\n"[..]).unwrap_err();
        assert!(!err.to_string().contains("mr_abc"), "{err}");
        assert_eq!(err.exit_code(), 1);
        let long = vec![b'a'; 5000];
        assert!(read_token(&long[..]).unwrap_err().to_string().contains("longer"));
        assert!(read_token(&[0xff, 0xfe][..]).is_err());
    }

    #[test]
    fn only_y_or_yes_confirms() {
        for yes in ["y\n", "Y", " yes \n", "YES"] {
            assert!(is_yes(yes), "{yes:?}");
        }
        for no in ["", "\n", "n", "no", "yep", "sure"] {
            assert!(!is_yes(no), "{no:?}");
        }
    }
}
