//! The MCP tools over the Petstore's store, and the scope each one needs.

use std::sync::Arc;

use petstore::{NewPet, PetStore};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{ServerHandler, tool, tool_handler, tool_router};
use serde::Deserialize;

/// `list_pets`: every pet, as `GET /pets` answers them. Needs [`READ_SCOPE`].
pub const LIST_PETS: &str = "list_pets";
/// `add_pet`: adds a pet (`name`, optional `tag`), as `POST /pets`. Needs [`WRITE_SCOPE`].
pub const ADD_PET: &str = "add_pet";
/// The scope `list_pets` needs.
pub const READ_SCOPE: &str = "pets:read";
/// The scope `add_pet` needs.
pub const WRITE_SCOPE: &str = "pets:write";

/// Each tool and the scope a `tools/call` of it needs; a tool not listed needs only a valid token.
pub const TOOL_SCOPES: [(&str, &str); 2] = [(LIST_PETS, READ_SCOPE), (ADD_PET, WRITE_SCOPE)];

/// The arguments of `add_pet`.
#[derive(Debug, Deserialize, rmcp::schemars::JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct AddPet {
    /// The pet's name; must not be blank.
    pub name: String,
    /// An optional free-form tag (`dog`, `cat`…).
    #[serde(default)]
    pub tag: Option<String>,
}

/// The MCP server: one per session, all sharing one store. The scopes were checked by
/// [`ScopeGateLayer`](crate::ScopeGateLayer) before a call gets here.
#[derive(Debug, Clone)]
pub struct PetTools {
    store: Arc<PetStore>,
    tool_router: ToolRouter<PetTools>,
}

impl PetTools {
    /// The tools over `store`.
    pub fn new(store: Arc<PetStore>) -> Self {
        PetTools { store, tool_router: Self::tool_router() }
    }
}

#[tool_router]
impl PetTools {
    /// Every pet, as JSON text like the HTTP Petstore's `GET /pets` body.
    #[tool(description = "List every pet in the store (scope pets:read). Answers a JSON array of \
                          {id, name, tag?, status}.")]
    fn list_pets(&self) -> CallToolResult {
        CallToolResult::success(vec![json_text(&self.store.list())])
    }

    /// Adds a pet, answered as JSON text like the HTTP Petstore's `POST /pets` body.
    #[tool(description = "Add a pet to the store (scope pets:write). Answers the new pet as JSON \
                          {id, name, tag?, status}.")]
    fn add_pet(&self, Parameters(AddPet { name, tag }): Parameters<AddPet>) -> CallToolResult {
        let new = NewPet { name, tag };
        if let Err(message) = new.check() {
            return CallToolResult::error(vec![ContentBlock::text(message)]);
        }
        CallToolResult::success(vec![json_text(&self.store.create(new))])
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for PetTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("petstore-mcp", env!("CARGO_PKG_VERSION")))
            .with_instructions("The Petstore: list_pets needs scope pets:read, add_pet needs pets:write.")
    }
}

fn json_text(value: &impl serde::Serialize) -> ContentBlock {
    // Pets always serialize: plain strings and numbers.
    ContentBlock::text(serde_json::to_string(value).unwrap_or_default())
}
