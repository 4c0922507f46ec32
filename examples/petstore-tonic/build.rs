//! Generates the gRPC code with the vendored `protoc`: no system install needed.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    // The `petstore-grpc` client prints answers as JSON; absent optional fields are left out.
    let mut builder =
        tonic_prost_build::configure().type_attribute(".petstore.v1", "#[derive(serde::Serialize)]");
    for field in [
        ".petstore.v1.Pet.tag",
        ".petstore.v1.CreatePetRequest.tag",
        ".petstore.v1.Me.sub",
        ".petstore.v1.Me.client_id",
    ] {
        builder = builder.field_attribute(field, "#[serde(skip_serializing_if = \"Option::is_none\")]");
    }
    builder.compile_with_config(config, &["proto/petstore.proto"], &["proto"])?;
    Ok(())
}
