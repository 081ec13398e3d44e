//! The `chat` binary; everything is in the `chatcli` library.

fn main() -> std::process::ExitCode {
    chatcli::main_entry()
}
