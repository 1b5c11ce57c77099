fn main() -> std::process::ExitCode {
    tiercheck::cli::main()
}
