fn main() -> std::process::ExitCode {
    account_server::cli::main()
}
