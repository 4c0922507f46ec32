//! Generates the gRPC code with the vendored `protoc`: no system install needed.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    tonic_prost_build::configure().compile_with_config(config, &["proto/petstore.proto"], &["proto"])?;
    Ok(())
}
